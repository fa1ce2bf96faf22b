import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Tests start real HTTP servers and child processes; forks keep their sockets and signals apart.
    pool: 'forks',
    // Most of a test's time is waiting (on sockets, child processes, the store's fsync), so files run
    // one more than there are cores, not vitest's default of one fewer (one at a time on 2 cores).
    maxWorkers: availableParallelism() + 1,
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
});
