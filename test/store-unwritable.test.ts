// A store that answers but cannot write: the real server as a child process whose files may not
// grow past their size (the disk full, as RLIMIT_FSIZE makes it), and PostgreSQL refusing a
// statement for now (a statement timeout). Webhooks get 503 STORE_UNAVAILABLE with Retry-After
// (the shop retries), never 500; /readyz says the replica cannot take them; once the disk has room
// again, both come back without a restart.
import { execFileSync } from 'node:child_process';
import { statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, afterEach, expect, test } from 'vitest';
import { startSimulator } from '../simulator/simulator.ts';
import { StoreUnavailableError } from '../src/store/errors.ts';
import { PostgresRunner } from '../src/store/postgres/engine.ts';
import { freshSchema, postgresServer } from './helpers/postgres.ts';
import { spawnService, type ServiceProcess } from './helpers/process.ts';
import { EXAMPLE_MAPPING, serviceEnv, tempDir } from './helpers/service.ts';
import { waitFor } from './helpers/wait.ts';
import { shopifyOrder, shopifyRequest } from './helpers/webhooks.ts';

const running: ServiceProcess[] = [];
const closing: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const service of running.splice(0)) await service.stop('SIGKILL');
});
afterAll(async () => {
  for (const close of closing.splice(0).reverse()) await close();
});

async function post(baseUrl: string) {
  const request = shopifyRequest(shopifyOrder());
  return fetch(`${baseUrl}${request.url}`, {
    method: 'POST',
    headers: request.headers as Record<string, string>,
    body: request.payload as string,
  });
}

test('the disk full under the SQLite file: webhooks 503 with Retry-After, never 500; /readyz 503; both back once it has room', async () => {
  const sim = await startSimulator();
  closing.push(() => sim.close());
  const dir = tempDir();
  writeFileSync(join(dir, 'mapping.yaml'), EXAMPLE_MAPPING);
  const service = await spawnService(serviceEnv(sim, dir, { LOG_LEVEL: 'info', LOAD_MAX_EVENT_LOOP_DELAY_MS: '0' }));
  running.push(service);
  expect((await post(service.url)).status).toBe(202);

  // No file of the process may grow any more (the log goes to a pipe, not a file).
  const sizes = ['notifier.db', 'notifier.db-wal'].map((name) => statSync(join(dir, name)).size);
  // The soft limit only: lifted again (the hard one stays unlimited).
  const limit = (bytes: string) => execFileSync('prlimit', [`--pid=${service.child.pid}`, `--fsize=${bytes}:unlimited`]);
  limit(String(Math.max(...sizes)));
  const answers: Response[] = [];
  await waitFor(
    async () => {
      const answer = await post(service.url);
      answers.push(answer);
      return answer.status !== 202;
    },
    { what: 'an order the full disk cannot take' },
  );
  const refused = answers.at(-1) as Response;
  expect(refused.status).toBe(503);
  expect(await refused.json()).toMatchObject({ code: 'STORE_UNAVAILABLE' });
  expect(refused.headers.get('retry-after')).not.toBeNull();
  expect(answers.filter((a) => a.status !== 202 && a.status !== 503)).toEqual([]);
  // Its next write of its own (one each few seconds, each a commit to disk) finds it so.
  const [ready] = await waitFor(
    async () => {
      const answer = await fetch(`${service.url}/readyz`);
      return answer.status === 503 ? [await answer.json()] : undefined;
    },
    { what: '/readyz to find the store unable to write' },
  );
  expect(ready).toMatchObject({ checks: { store: 'unreachable' } });

  limit('unlimited');
  await waitFor(async () => (await fetch(`${service.url}/readyz`)).status === 200, { what: '/readyz ready again' });
  expect((await post(service.url)).status).toBe(202);
  expect(service.output.filter((line) => line.includes('"level":50') && line.includes('request failed'))).toEqual([]);
});

const server = await postgresServer();
test.skipIf(!server)(
  'PostgreSQL cancelling a statement for now (its statement timeout): the store is unavailable for now, not broken',
  async () => {
    const schema = await freshSchema(server as string);
    closing.push(schema.drop);
    const url = new URL(schema.url);
    url.searchParams.set('options', `${url.searchParams.get('options')} -c statement_timeout=50`);
    const pool = new pg.Pool({ connectionString: url.toString(), max: 1 });
    pool.on('error', () => undefined);
    closing.push(() => pool.end());
    const runner = new PostgresRunner(pool);
    const cancelled = runner.all('SELECT pg_sleep(1)');
    await expect(cancelled).rejects.toBeInstanceOf(StoreUnavailableError);
    await expect(cancelled).rejects.toMatchObject({ reason: 'timeout', message: 'the database cannot take it now (57014)' });
  },
);
