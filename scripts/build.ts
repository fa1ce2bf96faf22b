// `npm run build`: the production build in dist/, what `npm start` and the container run.
// Each entry is bundled with its dependencies into one file: loading the few hundred ES modules of
// the dependencies one by one took most of a cold start (about 0.6 s of it; bundled, about 0.2 s).
// The layout under dist/ mirrors src/ (server.js at the top, the SQLite thread where its source
// is), which src/service-files.ts relies on. The MantaGO simulator is a development tool, not part
// of the service: `--simulator` bundles it alone (docker-compose's sandbox, the Dockerfile's
// `simulator` target). Types are checked by `npm run typecheck` (part of `npm test`), not here.
// `--outdir <dir>` builds elsewhere (a test builds the image's layout in a temporary folder).
import { cpSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { CONSOLE_ENTRY, CONSOLE_SCRIPT, CONSOLE_STATIC_FILES, consoleBundleOptions } from '../src/http/console-assets.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const outdirFlag = process.argv.indexOf('--outdir');
const simulator = process.argv.includes('--simulator');
const dist =
  outdirFlag > 0 && process.argv[outdirFlag + 1]
    ? resolve(process.argv[outdirFlag + 1] as string)
    : join(root, simulator ? 'dist-simulator' : 'dist');

rmSync(dist, { recursive: true, force: true });
await build({
  absWorkingDir: root,
  entryPoints: simulator ? { simulator: 'simulator/cli.ts' } : ['src/server.ts', 'src/store/sqlite/thread.ts'],
  ...(simulator ? {} : { outbase: 'src' }),
  outdir: dist,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node24',
  sourcemap: true,
  // pg loads its native binding only when asked for it, which this service never does; esbuild
  // bundles the console only when running from the sources (the build has dist/console/).
  external: ['pg-native', 'esbuild'],
  // Dependencies written as CommonJS require() Node's built-ins; an ES module has no require of its own.
  banner: {
    js: "import { createRequire as createRequireForBundle } from 'node:module'; const require = createRequireForBundle(import.meta.url);",
  },
  logLevel: 'warning',
});
if (!simulator) {
  // The operator's console (src/http/console-routes.ts serves it): the browser bundle and its static files.
  await build({ ...consoleBundleOptions(join(root, 'src/console', CONSOLE_ENTRY)), outfile: join(dist, 'console', CONSOLE_SCRIPT) });
  for (const file of CONSOLE_STATIC_FILES) cpSync(join(root, 'src/console', file), join(dist, 'console', file));
}
