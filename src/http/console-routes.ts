// GET /console: the operator's console, a static page that is a client of /admin (it has no
// privileged routes of its own). Registered only when ADMIN_TOKEN is set, so it is 404 like /admin
// otherwise. Every answer carries a strict CSP: no inline script or style, only this origin.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyPluginAsync } from 'fastify';
import { serviceFile } from '../service-files.ts';
import { CONSOLE_ENTRY, CONSOLE_SCRIPT, CONSOLE_STATIC_FILES, consoleBundleOptions } from './console-assets.ts';

export const CONSOLE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

const SECURITY_HEADERS = {
  'content-security-policy': CONSOLE_CSP,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
};

export const consoleRoutes: FastifyPluginAsync = async (app) => {
  // src/console/ running from the sources, dist/console/ running the build (see service-files.ts).
  const root = serviceFile('console');
  const prebuilt = existsSync(join(root, CONSOLE_SCRIPT));
  await app.register(fastifyStatic, { root, serve: false });
  app.addHook('onSend', async (_request, reply) => {
    reply.headers(SECURITY_HEADERS);
  });

  const hide = { schema: { hide: true } }; // not part of the API's OpenAPI document
  // Relative to /console/, the page's links and API calls work wherever the service is mounted.
  app.get('/console', hide, async (_request, reply) => reply.redirect('console/', 302));
  app.get('/console/', hide, async (_request, reply) => reply.sendFile('index.html'));
  for (const file of CONSOLE_STATIC_FILES.filter((f) => f !== 'index.html')) {
    app.get(`/console/${file}`, hide, async (_request, reply) => reply.sendFile(file));
  }

  if (prebuilt) {
    app.get(`/console/${CONSOLE_SCRIPT}`, hide, async (_request, reply) => reply.sendFile(CONSOLE_SCRIPT));
    return;
  }
  app.get(`/console/${CONSOLE_SCRIPT}`, hide, async (_request, reply) =>
    reply
      .type('text/javascript; charset=utf-8')
      .header('cache-control', 'no-cache')
      .send(await bundled(join(root, CONSOLE_ENTRY))),
  );
};

// From the sources: bundled in memory on first request, then kept for the process. Lazily,
// because most apps built (tests, the demo) never serve it; esbuild is a dev dependency, absent
// from the image, which serves dist/console/ instead.
let script: Promise<string> | undefined;
function bundled(entry: string): Promise<string> {
  script ??= bundle(entry).catch((error: unknown) => {
    script = undefined; // the next request tries again
    throw error;
  });
  return script;
}

async function bundle(entry: string): Promise<string> {
  if (!existsSync(entry)) throw new Error(`the console is not built (no ${CONSOLE_SCRIPT} beside ${entry}); run npm run build`);
  const { build } = await import('esbuild');
  const result = await build({ ...consoleBundleOptions(entry), write: false, outfile: CONSOLE_SCRIPT });
  const output = result.outputFiles?.[0];
  if (!output) throw new Error('esbuild produced no console bundle');
  return output.text;
}
