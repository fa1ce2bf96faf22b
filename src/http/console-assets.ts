// The console's files: what the production build writes to dist/console/ (scripts/build.ts) and
// what the console routes serve. Running from the sources, the same esbuild options bundle the
// browser code in memory instead, so `node src/server.ts` needs no build step.
import { resolve } from 'node:path';
import type { BuildOptions } from 'esbuild';

/** Served as they are, from src/console/ or dist/console/. */
export const CONSOLE_STATIC_FILES = ['index.html', 'console.css'];
/** The bundle of src/console/main.ts (and what it imports). */
export const CONSOLE_SCRIPT = 'console.js';
export const CONSOLE_ENTRY = 'main.ts';

/** esbuild options for the browser bundle; the entry is given by the caller (path differs by caller). */
export function consoleBundleOptions(entry: string): BuildOptions {
  return {
    entryPoints: [entry],
    // Paths in the bundle's comments from the project's root (src/console/…), never the host's, whatever the cwd.
    absWorkingDir: resolve(entry, '../../..'),
    bundle: true,
    platform: 'browser',
    format: 'esm',
    // Browsers of the last few years: dialog, :focus-visible and URLSearchParams.size are all there.
    target: ['chrome114', 'firefox115', 'safari17'],
    legalComments: 'none',
    logLevel: 'warning',
  };
}
