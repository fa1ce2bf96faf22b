// Vitest's global setup. Node strips the types of each .ts file it loads itself (the SQLite thread's
// modules, the service and simulator started as child processes) with a WebAssembly build of swc,
// compiled and instantiated anew in every thread that needs it. Tests start hundreds of SQLite
// threads: each cost about 90 ms of CPU more than a cached start, and churning that much WebAssembly
// through thread after thread of one process is what V8 has crashed on (nodejs/node#64500; seen
// here as a test process dying with SIGSEGV or SIGTRAP). Node's compile cache keeps the stripped
// code, so a thread that finds its modules there never loads the compiler: it is warmed here once,
// before any test file runs, by opening and closing a store in a process of its own.
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Where `enableCompileCache()` (src/server.ts) keeps it by default: one cache for every process the tests start. */
export const COMPILE_CACHE_DIR = join(tmpdir(), 'node-compile-cache');

// Script, not a module (--input-type would be passed on to the SQLite thread, which it fails).
const WARM_UP = "import('./src/store/sqlite/engine.ts').then(async ({ openSqliteStore }) => (await openSqliteStore(':memory:')).close())";

export default function setup(): void {
  const warmed = spawnSync(process.execPath, ['-e', WARM_UP], {
    cwd: new URL('../..', import.meta.url),
    env: { ...process.env, NODE_COMPILE_CACHE: COMPILE_CACHE_DIR },
    encoding: 'utf8',
  });
  // Not fatal: without the cache the tests run as before, only slower.
  if (warmed.status !== 0) console.warn(`warming Node's compile cache failed:\n${warmed.stderr}`);
}
