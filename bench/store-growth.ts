// `npm run bench:growth`: what the store costs as it grows. For each engine, a store with no
// deliveries and one with BENCH_ROWS (1,000,000) already stored as retention keeps 30 days of a busy
// shop (growth-seed.ts); at each:
//   - ingest: the built service (production flags) under autocannon, as `npm run bench` loads it:
//     req/s and p99, BENCH_INGEST_RUNS (3) runs of BENCH_DURATION_S (10) s each, alternating empty
//     and full, every run on a fresh copy of its store; the medians compared;
//   - claim: the worker's claim of a batch (100) among 300 pending deliveries, in-process through
//     the store API, median and p95 of 200 claims;
//   - retention's hourly pass with nothing to delete, in-process too;
//   - the operator's dead list, GET /admin/deliveries?status=dead, and the console's overview,
//     GET /admin/overview (queue counts, sent in the last hour): median and p95 of 50 after 10;
//   - database bytes per stored order, at BENCH_ROWS.
// The service runs with DRY_RUN on: its worker claims, records attempts and marks deliveries sent
// as it would, the limits included, and only the call to MantaGO is left out, so the store's work
// is all there while no simulator competes with autocannon for the 2 cores. (The simulator stands
// in for MantaGO only while the service stores the template rows.)
// `--engine sqlite|postgres` runs one engine; PostgreSQL databases are created and dropped through
// BENCH_POSTGRES_URL (postgres://postgres@127.0.0.1:5432/postgres).
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { startSimulator } from '../simulator/simulator.ts';
import { openPostgresStore } from '../src/store/postgres/engine.ts';
import { openSqliteStore } from '../src/store/sqlite/engine.ts';
import { type BenchDb, createDb, type EngineName } from './growth-db.ts';
import { type EngineResult, type Latency, latency, type StateResult, writeResults } from './growth-report.ts';
import { addPending, captureTemplates, removeScaffolding, seed, type Templates } from './growth-seed.ts';
import { BENCH_SHOPIFY_SECRET } from './orders.ts';
import { measured, ROOT, SERVICE, type Started, startProcess } from './processes.ts';

const engineFlag = process.argv.includes('--engine') ? process.argv[process.argv.indexOf('--engine') + 1] : undefined;
if (engineFlag !== undefined && engineFlag !== 'sqlite' && engineFlag !== 'postgres') throw new Error('--engine is sqlite or postgres');
const ENGINES: EngineName[] = engineFlag ? [engineFlag] : ['sqlite', 'postgres'];
const ROWS = Number(process.env.BENCH_ROWS ?? 1_000_000);
const DURATION_S = Number(process.env.BENCH_DURATION_S ?? 10);
const RUNS = Math.max(1, Number(process.env.BENCH_INGEST_RUNS ?? 3));
/** The worker's batch (BATCH_MAX_RECIPIENTS' default), among this many pending deliveries. */
const CLAIM_LIMIT = 100;
const PENDING = 300;
const CLAIMS = 200;
const ADMIN_REQUESTS = 50;
const PRUNES = 10;
const DAY_MS = 86_400_000;
const WARM_UP = 10;
const ADMIN_TOKEN = 'bench-growth-admin-token';

const sim = await startSimulator({ botId: 'benchBot' });
const serviceEnv = {
  ...sim.serviceEnv(),
  MAPPING_FILE: join(ROOT, 'config/mapping.yaml'),
  SHOPIFY_WEBHOOK_SECRET: BENCH_SHOPIFY_SECRET,
  ADMIN_TOKEN,
  LOG_LEVEL: 'info',
};
const log = (message: string) => process.stderr.write(`[growth] ${message}\n`);

/**
 * In-process through the store API, with the service stopped: the worker's claim of a batch among
 * PENDING due deliveries (handed back each time, so the next claim finds as many), and retention's
 * hourly pass when nothing is past retention (the seeded mix starts an hour inside it), which is
 * the scan every pass ends with.
 */
async function storeLatencies(db: BenchDb, templates: Templates): Promise<{ claim: Latency; prune: Latency }> {
  await addPending(db, templates, PENDING);
  const store = db.engine === 'sqlite' ? await openSqliteStore(db.url) : await openPostgresStore({ url: db.url, poolMax: 2 });
  const claims: number[] = [];
  const prunes: number[] = [];
  try {
    for (let i = 0; i < WARM_UP + CLAIMS; i++) {
      const now = Date.now();
      const started = performance.now();
      const claimed = await store.claimBatch('growth-bench', CLAIM_LIMIT, 60_000, now);
      const ms = performance.now() - started;
      if (claimed.length !== CLAIM_LIMIT) throw new Error(`a claim took ${claimed.length} deliveries, not ${CLAIM_LIMIT}`);
      if (i >= WARM_UP) claims.push(ms);
      // Due again at once, behind the others: the next claim takes the next oldest batch.
      await store.release(
        'growth-bench',
        claimed.map((d) => d.id),
        now - 1,
      );
    }
    for (let i = 0; i < PRUNES; i++) {
      const now = Date.now();
      const started = performance.now();
      // The service's pass with its defaults: RETENTION_DAYS 30, DEAD_RETENTION_DAYS 90, ORDER_RETENTION_DAYS 120.
      const deleted = await store.operator.prune({
        finishedBefore: now - 30 * DAY_MS,
        deadBefore: now - 90 * DAY_MS,
        ordersBefore: now - 120 * DAY_MS,
        endings: { now, forgetBefore: now - 365 * DAY_MS },
      });
      prunes.push(performance.now() - started);
      if (deleted > 0) throw new Error(`retention deleted ${deleted} deliveries of the seeded mix`);
    }
  } finally {
    await store.close();
  }
  await removeScaffolding(db, templates);
  return { claim: latency(claims), prune: latency(prunes) };
}

/** A GET of the admin API, as the console asks it, timed end to end after a warm-up. */
async function adminLatency(service: Started, path: string, requests: number): Promise<Latency & { body: unknown }> {
  const times: number[] = [];
  let body: unknown;
  for (let i = 0; i < WARM_UP + requests; i++) {
    const started = performance.now();
    const answer = await fetch(`${service.url}${path}`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    body = await answer.json();
    if (!answer.ok) throw new Error(`GET ${path} answered ${answer.status}`);
    if (i >= WARM_UP) times.push(performance.now() - started);
  }
  return { ...latency(times), body };
}

const count = async (db: BenchDb) =>
  Number((await db.session((sql) => sql.all('SELECT count(*) AS n FROM deliveries')))[0]?.n ?? Number.NaN);

/** One measured run on a fresh copy of `source`: the admin reads first (on the first run), then the ingest load. */
async function serviceRun(source: BenchDb, state: StateResult, firstId: number, withAdmin: boolean): Promise<void> {
  const db = await source.clone();
  try {
    const service = await startProcess(SERVICE, { ...serviceEnv, DRY_RUN: 'true', DATABASE_URL: db.url }, '/readyz');
    try {
      state.readyMs.push(service.readyMs);
      if (withAdmin) {
        const { body, ...dead } = await adminLatency(service, '/admin/deliveries?status=dead', ADMIN_REQUESTS);
        state.deadList = { ...dead, returned: (body as { deliveries: unknown[] }).deliveries.length };
        const { body: _overview, ...overview } = await adminLatency(service, '/admin/overview', ADMIN_REQUESTS);
        state.overview = overview;
      }
      state.ingest.push(await measured(service, firstId, DURATION_S));
    } finally {
      await service.stop();
    }
  } finally {
    await db.drop();
  }
}

async function engineRun(engine: EngineName): Promise<EngineResult> {
  const made: BenchDb[] = [];
  const fresh = async () => {
    const db = await createDb(engine);
    made.push(db);
    return db;
  };
  try {
    log(`${engine}: the empty store`);
    const empty = await fresh();
    const emptyTemplates = await captureTemplates(empty, sim, serviceEnv);
    const zero: StateResult = { rows: 0, ingest: [], readyMs: [], ...(await storeLatencies(empty, emptyTemplates)) };

    log(`${engine}: seeding ${ROWS.toLocaleString('en-US')} deliveries`);
    const full = await fresh();
    const templates = await captureTemplates(full, sim, serviceEnv);
    const seedStarted = performance.now();
    await seed(full, templates, ROWS);
    const seedMs = performance.now() - seedStarted;
    log(`${engine}: seeded in ${Math.round(seedMs / 1000)} s`);
    // Sized as seeded (with the four template rows), before the claims leave old row versions behind.
    const bytes = await full.size();
    const bytesPerOrder = bytes / (await count(full));
    const latencies = await storeLatencies(full, templates);
    const grown: StateResult = { rows: await count(full), ingest: [], readyMs: [], ...latencies, bytes, bytesPerOrder, seedMs };

    for (let run = 0; run < RUNS; run++) {
      log(`${engine}: ingest run ${run + 1} of ${RUNS}`);
      await serviceRun(empty, zero, 10_000_000 * (run + 1), run === 0);
      await serviceRun(full, grown, 10_000_000 * (run + 1) + 5_000_000, run === 0);
    }
    return { engine, zero, grown };
  } finally {
    for (const db of made) await db.drop();
  }
}

const engines: EngineResult[] = [];
try {
  for (const engine of ENGINES) engines.push(await engineRun(engine));
} finally {
  await sim.close();
}
const machine = `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`;
const command = `npm run bench:growth${engineFlag ? ` -- --engine ${engineFlag}` : ''}`;
process.stdout.write(
  writeResults({ date: new Date().toISOString(), machine, command, rows: ROWS, durationS: DURATION_S, runs: RUNS, engines }),
);
