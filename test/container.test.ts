// The Dockerfile and docker-compose.yml, read as files (no Docker engine runs here): every
// environment name they use is documented, their ports and health paths are the service's, and
// nothing runs as root.
import { readFileSync } from 'node:fs';
import { afterAll, expect, test } from 'vitest';
import { parse } from 'yaml';
import { EnvSchema } from '../src/config/env.ts';
import { startSimulator } from '../simulator/simulator.ts';
import { startService } from './helpers/service.ts';

const read = (file: string) => readFileSync(new URL(`../${file}`, import.meta.url), 'utf8');
const dockerfile = read('Dockerfile');
const compose = parse(read('docker-compose.yml')) as { services: Record<string, Service>; volumes: Record<string, unknown> };
const envExample = read('.env.example');
const packageJson = JSON.parse(read('package.json')) as { scripts: Record<string, string> };

interface Service {
  image?: string;
  build?: string | { context: string; target?: string };
  profiles?: string[];
  init?: boolean;
  env_file?: string | string[];
  environment?: Record<string, string>;
  ports?: string[];
  healthcheck?: { test: string[] };
  user?: string;
  command?: string[];
}

const documented = (name: string) => new RegExp(`^${name}=|\\b${name}\\b`, 'm').test(envExample);
/** Runtime stage: everything after the last FROM. */
const runtime = dockerfile.slice(dockerfile.lastIndexOf('\nFROM '));
/** The arguments of each `keyword` instruction, with backslash-continued lines joined. */
const instructions = (text: string, keyword: string) =>
  text
    .replace(/\\\n\s*/g, ' ')
    .split('\n')
    .filter((l) => l.startsWith(`${keyword} `))
    .map((l) => l.slice(keyword.length + 1).trim());
const healthPath = (check: string[]) => /https?:\/\/127\.0\.0\.1:(\d+)(\/[\w/]+)/.exec(check.join(' ')) ?? [];

const cleanup: (() => Promise<unknown>)[] = [];
afterAll(async () => {
  for (const close of cleanup.reverse()) await close();
});

test('the Dockerfile: node:24-slim stages, production dependencies, the node user, node run directly as npm start does', () => {
  const froms = instructions(dockerfile, 'FROM');
  expect(froms.length).toBeGreaterThanOrEqual(2);
  for (const from of froms) expect(from).toMatch(/^node:24-slim\b/);
  expect(runtime).toMatch(/npm ci --omit=dev/);
  expect(dockerfile.slice(0, dockerfile.lastIndexOf('\nFROM '))).not.toMatch(/NODE_ENV=production/); // the build stage needs TypeScript
  const users = instructions(runtime, 'USER');
  expect(users.at(-1)).toBe('node');
  expect(runtime.indexOf('USER node')).toBeLessThan(runtime.indexOf('\nCMD '));
  expect(runtime).toMatch(/chown node:node \/data/);
  expect(instructions(runtime, 'VOLUME').join(' ')).toContain('/data');

  const cmd = JSON.parse(instructions(runtime, 'CMD')[0] ?? '[]') as string[];
  expect(cmd.join(' ')).toBe(packageJson.scripts.start); // the same flags as npm start, without npm
  expect(cmd[0]).toBe('node');
});

test('every environment name the Dockerfile and docker-compose.yml use is documented in .env.example', () => {
  const names = new Set<string>();
  for (const line of instructions(dockerfile, 'ENV').join(' ').split(/\s+/)) {
    const name = /^([A-Z][A-Z0-9_]*)=/.exec(line)?.[1];
    if (name) names.add(name);
  }
  for (const service of Object.values(compose.services)) for (const name of Object.keys(service.environment ?? {})) names.add(name);
  for (const match of read('docker-compose.yml').matchAll(/\$\{([A-Z][A-Z0-9_]*)/g)) names.add(match[1] as string);
  expect(names.size).toBeGreaterThan(5);
  expect([...names].filter((name) => !documented(name))).toEqual([]);
  // The service's own settings among them are real settings.
  for (const name of Object.keys(compose.services.notifier?.environment ?? {})) expect(Object.keys(EnvSchema.properties)).toContain(name);
});

test('docker-compose.yml: the notifier, the simulator (sandbox) and PostgreSQL (postgres), each with a healthcheck and the env from .env', () => {
  const { notifier, simulator, postgres } = compose.services;
  expect(notifier?.env_file).toBe('.env');
  expect(notifier?.init).toBe(true);
  expect(simulator?.profiles).toEqual(['sandbox']);
  expect(postgres?.profiles).toEqual(['postgres']);
  for (const [name, service] of Object.entries(compose.services)) {
    expect(service.healthcheck?.test, name).toBeDefined();
    expect(service.user ?? '', name).not.toMatch(/^(root|0)(:|$)/);
  }
  expect(compose.volumes).toHaveProperty('notifier-data');
});

test("the ports and health paths in both files are the service's and the simulator's, and answer", async () => {
  const port = String((EnvSchema.properties.PORT as unknown as { default: number }).default);
  const notifier = compose.services.notifier as Service;
  expect(notifier.environment?.PORT).toBe(port);
  expect(notifier.ports?.[0]).toMatch(new RegExp(`:${port}$`));
  expect(instructions(runtime, 'EXPOSE')).toEqual([port]);
  expect(instructions(runtime, 'ENV').join(' ')).toContain(`PORT=${port}`);

  const [, composePort, composePath] = healthPath(notifier.healthcheck?.test ?? []);
  expect(composePort).toBe(port);
  expect(instructions(runtime, 'HEALTHCHECK').join(' ')).toContain(`/healthz'`);
  expect(composePath).toBe('/healthz');

  const sim = await startSimulator();
  const service = await startService(sim);
  cleanup.push(
    () => sim.close(),
    () => service.app.close(),
  );
  expect((await service.app.inject({ method: 'GET', url: composePath })).statusCode).toBe(200);

  const simulator = compose.services.simulator as Service;
  const [, simPort, simPath] = healthPath(simulator.healthcheck?.test ?? []);
  expect(simulator.environment?.SIMULATOR_PORT).toBe(simPort);
  expect(simulator.command?.join(' ')).toContain('simulator.js');
  expect(simulator.build).toMatchObject({ target: 'simulator' }); // its own image: no simulator in the service's
  expect((await fetch(`${sim.url}${simPath}`)).status).toBe(200);
});
