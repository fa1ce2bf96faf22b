import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';
import { COMPILE_CACHE_DIR } from './test/helpers/compile-cache.ts';

// Read by every process the tests start (test/helpers/compile-cache.ts says why).
process.env.NODE_COMPILE_CACHE ??= COMPILE_CACHE_DIR;

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/helpers/compile-cache.ts'],
    // Tests start real HTTP servers and child processes; forks keep their sockets and signals apart.
    pool: 'forks',
    // Most of a test's time is waiting (on sockets, child processes, the store's fsync), so files run
    // one more than there are cores, not vitest's default of one fewer (one at a time on 2 cores).
    maxWorkers: availableParallelism() + 1,
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
});
