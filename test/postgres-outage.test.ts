// PostgreSQL going away under the service (a restart, a failover, an ended session), over HTTP
// with the database behind a TCP relay the test cuts: webhooks are answered 503 STORE_UNAVAILABLE
// with Retry-After (the shop retries), never 500, and counted as the store's unavailability; the
// process goes on, and takes webhooks again once the database is back. A session the database
// ends inside a transaction fails that call as the store's unavailability, not the process.
import { randomBytes } from 'node:crypto';
import { connect, createServer, type Socket } from 'node:net';
import pg from 'pg';
import { afterAll, expect, test } from 'vitest';
import { StoreUnavailableError } from '../src/store/errors.ts';
import { PostgresRunner } from '../src/store/postgres/engine.ts';
import { startServiceWithSimulator } from './helpers/service.ts';
import { freshSchema, postgresServer } from './helpers/postgres.ts';
import { waitFor } from './helpers/wait.ts';
import { shopifyOrder, shopifyRequest } from './helpers/webhooks.ts';

const server = await postgresServer();
const drops: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const drop of drops.splice(0)) await drop();
});

/** A relay to the database that the test can cut (every connection reset, new ones refused) and mend. */
async function relay(to: URL) {
  const sockets = new Set<Socket>();
  let cut = false;
  const listener = createServer((socket) => {
    if (cut) return void socket.destroy();
    const upstream = connect(Number(to.port || 5432), to.hostname);
    for (const s of [socket, upstream]) {
      sockets.add(s);
      s.on('error', () => undefined).on('close', () => sockets.delete(s));
    }
    socket.pipe(upstream).pipe(socket);
  });
  await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
  const url = new URL(to);
  url.hostname = '127.0.0.1';
  url.port = String((listener.address() as { port: number }).port);
  return {
    url: url.toString(),
    cut() {
      cut = true;
      for (const s of sockets) s.destroy();
    },
    mend() {
      cut = false;
    },
    close: () => new Promise<void>((resolve) => listener.close(() => resolve())),
  };
}

test.skipIf(!server)(
  'the database out of reach: webhooks get 503 with Retry-After, never 500, and are taken again once it is back',
  async () => {
    const schema = await freshSchema(server as string);
    drops.push(schema.drop);
    const db = await relay(new URL(schema.url));
    drops.push(db.close);
    const { app } = await startServiceWithSimulator({ env: { DATABASE_URL: db.url, STORE_TIMEOUT_MS: '3000' } });
    expect((await app.inject(shopifyRequest(shopifyOrder()))).statusCode).toBe(202);

    db.cut();
    const refused = await app.inject(shopifyRequest(shopifyOrder()));
    expect(refused.statusCode).toBe(503);
    expect(refused.json()).toMatchObject({ code: 'STORE_UNAVAILABLE' });
    expect(refused.headers['retry-after']).toBeDefined();
    expect(refused.body).not.toContain('ECONNRE');
    expect((await app.inject({ url: '/readyz' })).json()).toMatchObject({ status: 'not_ready', checks: { store: 'unreachable' } });
    const scrape = await app.inject({ url: '/metrics' });
    expect(scrape.statusCode).toBe(200); // a scrape still answers, with the counts that tell of the outage
    const metrics = scrape.body;
    expect(metrics).toMatch(/notifier_webhooks_total\{source="shopify",outcome="store_unavailable"\} [1-9]/);
    expect(metrics).not.toMatch(/notifier_webhooks_total\{source="shopify",outcome="invalid"\}/);

    db.mend();
    await waitFor(async () => (await app.inject(shopifyRequest(shopifyOrder()))).statusCode === 202, {
      what: 'webhooks taken again once the database is back',
    });
  },
);

test.skipIf(!server)(
  'a session the database ends inside a transaction fails that call as the store being unavailable; the pool goes on',
  async () => {
    const schema = await freshSchema(server as string);
    drops.push(schema.drop);
    const pool = new pg.Pool({ connectionString: schema.url, max: 2 });
    pool.on('error', () => undefined);
    drops.push(() => pool.end());
    const admin = new pg.Client({ connectionString: server as string });
    await admin.connect();
    drops.push(() => admin.end());
    const runner = new PostgresRunner(pool);
    const ended = runner.transaction(async (tx) => {
      const [row] = await tx.all('SELECT pg_backend_pid() AS pid');
      await admin.query('SELECT pg_terminate_backend($1)', [row?.pid]);
      await waitFor(async () => (await admin.query('SELECT 1 FROM pg_stat_activity WHERE pid = $1', [row?.pid])).rowCount === 0, {
        what: 'the session ended',
      });
      return tx.all('SELECT 1 AS one');
    });
    await expect(ended).rejects.toBeInstanceOf(StoreUnavailableError);
    expect(await runner.all('SELECT 2 AS two')).toEqual([{ two: 2 }]);
  },
);

test.skipIf(!server)(
  'a database that answers but takes no writes (set read-only, as a standby after a failover): /readyz 503, webhooks 503; ready again once it takes writes',
  async () => {
    const name = `ro_${randomBytes(5).toString('hex')}`;
    const admin = new pg.Client({ connectionString: server as string });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${name}`);
    drops.push(async () => {
      await admin.query(`DROP DATABASE ${name} WITH (FORCE)`);
      await admin.end();
    });
    const url = new URL(server as string);
    url.pathname = `/${name}`;
    const { app } = await startServiceWithSimulator({ env: { DATABASE_URL: url.toString() } });
    // The setting holds for new sessions: the service's are ended, and its pool opens new ones.
    const readOnly = async (on: boolean) => {
      await admin.query(`ALTER DATABASE ${name} ${on ? 'SET default_transaction_read_only = on' : 'RESET default_transaction_read_only'}`);
      await admin.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1', [name]);
    };
    const ready = async () => (await app.inject({ url: '/readyz' })).json();
    expect(await ready()).toMatchObject({ status: 'ready', checks: { store: 'ok' } });

    await readOnly(true);
    await waitFor(async () => (await ready()).checks.store === 'unreachable', { what: '/readyz to see the store take no writes' });
    expect(await ready()).toMatchObject({ status: 'not_ready' });
    const refused = await app.inject(shopifyRequest(shopifyOrder()));
    expect(refused.statusCode).toBe(503);
    expect(refused.json()).toMatchObject({ code: 'STORE_UNAVAILABLE' });

    await readOnly(false);
    await waitFor(async () => (await ready()).status === 'ready', { what: '/readyz ready again' });
    expect((await app.inject(shopifyRequest(shopifyOrder()))).statusCode).toBe(202);
  },
);
