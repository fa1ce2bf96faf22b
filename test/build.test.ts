// The production build as the container holds it: `npm run build`'s bundles, package.json and the
// mapping in one folder, no node_modules and no sources beside them. It is started as `npm start`
// starts it, takes an order and delivers it. The simulator is not in it: it has a bundle of its own
// (docker-compose's sandbox), which answers too.
import { execFile, spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { startSimulator } from '../simulator/simulator.ts';
import { spawnService, type ServiceProcess } from './helpers/process.ts';
import { tempDir } from './helpers/service.ts';
import { waitFor } from './helpers/wait.ts';
import { LINE_USER, SHOPIFY_SECRET, shopifyOrder, shopifyRequest } from './helpers/webhooks.ts';

const ROOT = new URL('..', import.meta.url);
const packageJson = JSON.parse(readFileSync(new URL('package.json', ROOT), 'utf8')) as { version: string; scripts: Record<string, string> };
const image = tempDir();
const simulatorBundle = tempDir();
const cleanup: (() => Promise<unknown>)[] = [];

beforeAll(async () => {
  await promisify(execFile)(process.execPath, ['scripts/build.ts', '--outdir', join(image, 'dist')], { cwd: ROOT });
  await promisify(execFile)(process.execPath, ['scripts/build.ts', '--simulator', '--outdir', simulatorBundle], { cwd: ROOT });
  cpSync(new URL('package.json', ROOT), join(image, 'package.json'));
  mkdirSync(join(image, 'config'));
  cpSync(new URL('config/mapping.yaml', ROOT), join(image, 'config/mapping.yaml'));
}, 60_000);
afterAll(async () => {
  for (const close of cleanup.reverse()) await close();
});

test('the build is self-contained: bundles (migrations inside), source maps and the console, no sources or node_modules needed, and no simulator', () => {
  for (const file of [
    'dist/server.js',
    'dist/server.js.map',
    'dist/store/sqlite/thread.js',
    'dist/console/index.html',
    'dist/console/console.js',
    'dist/console/console.css',
  ]) {
    expect(existsSync(join(image, file)), file).toBe(true);
  }
  expect(existsSync(join(image, 'node_modules'))).toBe(false);
  expect(existsSync(join(image, 'src'))).toBe(false);
  // The MantaGO simulator is a development tool: none of its code ships in the service.
  const bundles = readdirSync(join(image, 'dist'), { recursive: true })
    .map(String)
    .filter((f) => f.endsWith('.js'));
  expect(bundles.length).toBeGreaterThanOrEqual(2);
  for (const bundle of bundles) {
    const code = readFileSync(join(image, 'dist', bundle), 'utf8');
    expect(code, bundle).not.toContain('__simulator');
    expect(code, bundle).not.toContain('MantagoSimulator');
  }
  expect(readFileSync(join(simulatorBundle, 'simulator.js'), 'utf8')).toContain('__simulator');
});

test('started as npm start starts it, the build takes a signed order, delivers it, and stops cleanly on SIGTERM', async () => {
  const sim = await startSimulator();
  cleanup.push(() => sim.close());
  const start = packageJson.scripts.start?.split(' ') ?? [];
  expect(start[0]).toBe('node');
  const service: ServiceProcess = await spawnService(
    {
      ...sim.serviceEnv(),
      DATABASE_URL: join(image, 'data/notifier.db'),
      MAPPING_FILE: 'config/mapping.yaml',
      SHOPIFY_WEBHOOK_SECRET: SHOPIFY_SECRET,
      ADMIN_TOKEN: 'build-test-admin-token',
      LOG_LEVEL: 'info',
    },
    { command: start.slice(1), cwd: image },
  );
  cleanup.push(() => service.stop('SIGKILL'));

  // As an orchestrator would: polled until ready (a loaded machine's start may shed load for a moment, answering 503).
  await waitFor(async () => (await fetch(`${service.url}/readyz`)).status === 200, { what: 'the built service to be ready' });
  const openapi = (await (await fetch(`${service.url}/openapi.json`)).json()) as { info: { version: string } };
  expect(openapi.info.version).toBe(packageJson.version);
  // The console's files come from dist/console/ (the image has no esbuild to bundle them with).
  for (const file of ['', 'console.js', 'console.css']) {
    const served = await fetch(`${service.url}/console/${file}`);
    expect(served.status, file).toBe(200);
    expect(served.headers.get('content-security-policy'), file).toContain("script-src 'self'");
    expect(await served.text(), file).toBe(readFileSync(join(image, 'dist/console', file || 'index.html'), 'utf8'));
  }

  const request = shopifyRequest(shopifyOrder({ note_attributes: [{ name: 'line_uid', value: LINE_USER }] }));
  const answer = await fetch(`${service.url}${request.url}`, {
    method: 'POST',
    headers: request.headers as Record<string, string>,
    body: request.payload as string,
  });
  expect(answer.status).toBe(202);
  await waitFor(() => sim.broadcasts.some((b) => b.clientIds.includes(LINE_USER)), { what: 'the order at MantaGO' });

  expect(await service.stop('SIGTERM')).toBe(0);
});

test("the simulator's bundle, as docker-compose's sandbox runs it, listens and answers", async () => {
  const child = spawn(process.execPath, ['simulator.js'], {
    cwd: simulatorBundle,
    env: { PATH: process.env.PATH, SIMULATOR_PORT: '0' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  cleanup.push(async () => {
    if (child.exitCode === null) child.kill('SIGKILL');
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const url = await waitFor(() => /listening on (http:\/\/\S+)/.exec(output)?.[1], { what: 'the simulator to listen' });
  expect((await fetch(`${url}/__simulator/state`)).status).toBe(200);
  child.kill('SIGTERM');
  expect(await new Promise((resolve) => child.once('exit', resolve))).toBe(0);
});
