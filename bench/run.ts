// `npm run bench`: one run, every figure of the performance issue, printed as a table and written
// to bench/results/latest.json and its part of BENCHMARKS.md.
//   1. Ingest: autocannon (50 connections, no pipelining, 10 s) posting signed ~2 KB Shopify orders
//      to bare Fastify, then to the service on SQLite, back to back.
//   2. Delivery: 10,000 orders pushed in, the simulator answering after 50 ms.
//   3. The service's peak RSS, and the time from process start to /readyz 200.
//   4. (The whole run only.) Shop connections: bench/reconcile.ts, also `npm run bench:reconcile`.
// The ingest comparison runs as BENCH_INGEST_PAIRS (3) back-to-back pairs, bare then service, and the
// table shows the pair with the median ratio beside every pair's ratio: on a shared 2-core machine
// one pair can differ from the next by a third. Beside req/s, each run's CPU time per request: the
// whole process's, and the service's main thread and SQLite thread apart (bench/processes.ts), so a
// change's cost shows where it lands.
// `--only ingest|delivery` runs one part; BENCH_DURATION_S shortens the ingest runs. For profiling:
// BENCH_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof" adds flags to the service, and
// BENCH_SERVICE_ENV="LOG_LEVEL=warn,BATCH_MAX_RECIPIENTS=50" overrides its settings.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { cpus, totalmem, tmpdir } from 'node:os';
import { join } from 'node:path';
import { startSimulator, type MantagoSimulator } from '../simulator/simulator.ts';
import { writeSection } from './benchmarks-md.ts';
import { BENCH_SHOPIFY_SECRET, lineUser } from './orders.ts';
import { type LoadResult, load, measured, peakRssMb, percentile, ROOT, SERVICE, sleep, startProcess } from './processes.ts';

const only = process.argv.includes('--only') ? process.argv[process.argv.indexOf('--only') + 1] : undefined;
const DURATION_S = Number(process.env.BENCH_DURATION_S ?? 10);
const INGEST_PAIRS = Math.max(1, Number(process.env.BENCH_INGEST_PAIRS ?? 3));
const DELIVERY_ORDERS = 10_000;
const UPSTREAM_LATENCY_MS = 50;
/** Limits for the delivery run; the service never exceeds them (a test checks the simulator never sees more). */
const DELIVERY_LIMITS = { MANTAGO_MAX_CONCURRENCY: '8', MANTAGO_MAX_RPS: '50', BATCH_MAX_RECIPIENTS: '100' };

function serviceEnv(sim: MantagoSimulator, extra: Record<string, string> = {}): Record<string, string> {
  const dir = mkdtempSync(join(tmpdir(), 'notifier-bench-'));
  return {
    ...sim.serviceEnv(),
    DATABASE_URL: join(dir, 'notifier.db'),
    MAPPING_FILE: join(ROOT, 'config/mapping.yaml'),
    SHOPIFY_WEBHOOK_SECRET: BENCH_SHOPIFY_SECRET,
    LOG_LEVEL: 'info',
    ...extra,
    ...Object.fromEntries(
      (process.env.BENCH_SERVICE_ENV ?? '')
        .split(',')
        .filter(Boolean)
        .map((pair) => pair.split('=') as [string, string]),
    ),
  };
}

interface Results {
  /** The pair with the median ratio, and every pair's ratio in the order run. */
  ingest?: { bare: LoadResult; service: LoadResult; ratio: number; pairRatios: number[] };
  ingestPeakRssMb?: number;
  delivery?: {
    orders: number;
    delivered: number;
    pushRps: number;
    ordersPerSecond: number;
    callsPerOrder: number;
    latencyP50Ms: number;
    latencyP99Ms: number;
    maxConcurrentCalls: number;
    maxCallsPerSecond: number;
    limits: typeof DELIVERY_LIMITS;
  };
  deliveryPeakRssMb?: number;
  readyMs?: number;
}
const results: Results = {};

if (!only || only === 'ingest') {
  const sim = await startSimulator({ botId: 'benchBot' });
  const pairs: { bare: LoadResult; service: LoadResult; ratio: number }[] = [];
  for (let pair = 0; pair < INGEST_PAIRS; pair++) {
    const bare = await startProcess('bench/bare-server.ts', {}, '/health');
    const bareRun = await measured(bare, 1_000_000 * (pair + 1), DURATION_S);
    await bare.stop();

    const service = await startProcess(SERVICE, serviceEnv(sim), '/readyz');
    const serviceRun = await measured(service, 1_000_000 * (pair + 1) + 500_000, DURATION_S);
    results.ingestPeakRssMb = Math.max(results.ingestPeakRssMb ?? 0, peakRssMb(service.child.pid));
    results.readyMs = Math.max(results.readyMs ?? 0, service.readyMs); // the slowest start
    await service.stop();
    pairs.push({ bare: bareRun, service: serviceRun, ratio: serviceRun.rps / bareRun.rps });
    // Every pair as it ends: the table keeps only the median one.
    const us = (n: number) => n.toFixed(1);
    process.stdout.write(
      `pair ${pair + 1}: bare ${Math.round(bareRun.rps)} req/s ${us(bareRun.cpuUsPerRequest)} µs; service ${Math.round(serviceRun.rps)} req/s p99 ${serviceRun.p99} ms, ${us(serviceRun.cpuUsPerRequest)} µs CPU (main ${us(serviceRun.mainThreadUsPerRequest)}, SQLite thread ${us(serviceRun.sqliteThreadUsPerRequest)})\n`,
    );
  }
  const median = [...pairs].sort((a, b) => a.ratio - b.ratio)[Math.floor(pairs.length / 2)] as (typeof pairs)[number];
  results.ingest = { ...median, pairRatios: pairs.map((p) => p.ratio) };
  await sim.close();
}

if (!only || only === 'delivery') {
  // A simulator of its own: its counts (calls per second, in flight) are this run's alone, and the
  // wait below never rescans the ingest runs' broadcasts (which held up the simulator's own clock).
  const sim = await startSimulator({ botId: 'benchBot', latencyMs: UPSTREAM_LATENCY_MS });
  const service = await startProcess(SERVICE, serviceEnv(sim, DELIVERY_LIMITS), '/readyz');
  const sentAt = new Map<string, number>();
  const firstId = 3_000_000;
  const started = Date.now();
  const push = await load(service.url, firstId, { amount: DELIVERY_ORDERS, onSent: (id) => sentAt.set(lineUser(id), Date.now()) });
  const wanted = new Set(sentAt.keys());
  const deliveredAt = new Map<string, number>();
  for (let seen = 0; deliveredAt.size < wanted.size && Date.now() - started < 120_000; ) {
    for (; seen < sim.broadcasts.length; seen++) {
      const broadcast = sim.broadcasts[seen] as (typeof sim.broadcasts)[number];
      for (const id of broadcast.clientIds) if (wanted.has(id) && !deliveredAt.has(id)) deliveredAt.set(id, broadcast.at);
    }
    await sleep(50);
  }
  const finished = Math.max(...deliveredAt.values());
  const latencies = [...deliveredAt].map(([id, at]) => at - (sentAt.get(id) as number)).sort((a, b) => a - b);
  const calls = sim.broadcastCalls().length;
  results.delivery = {
    orders: wanted.size,
    delivered: deliveredAt.size,
    pushRps: push.rps,
    ordersPerSecond: deliveredAt.size / ((finished - started) / 1000),
    callsPerOrder: calls / deliveredAt.size,
    latencyP50Ms: percentile(latencies, 50),
    latencyP99Ms: percentile(latencies, 99),
    maxConcurrentCalls: sim.maxConcurrentCalls(),
    maxCallsPerSecond: sim.maxCallsPerSecond(),
    limits: DELIVERY_LIMITS,
  };
  results.deliveryPeakRssMb = peakRssMb(service.child.pid);
  if (results.readyMs === undefined) results.readyMs = service.readyMs;
  await service.stop();
  await sim.close();
}

const machine = `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`;
const report: Results & { date: string; machine: string; command: string } = {
  date: new Date().toISOString(),
  machine,
  command: `npm run bench${only ? ` -- --only ${only}` : ''}`,
  ...results,
};
const table = render(report);
process.stdout.write(`${table}\n`);
mkdirSync(join(ROOT, 'bench/results'), { recursive: true });
writeFileSync(join(ROOT, 'bench/results/latest.json'), `${JSON.stringify(report, null, 2)}\n`);
// Only this run's part of BENCHMARKS.md: the store-growth run (bench/store-growth.ts) writes its own.
if (!only)
  writeSection(
    'run',
    `The latest \`npm run bench\`, on ${machine}, ${report.date.slice(0, 10)}.\nautocannon runs on the same machine. Figures: [bench/results/latest.json](bench/results/latest.json).\n\n${table}`,
  );

// Shop connections write their own part of BENCHMARKS.md and bench/results/reconcile.json.
if (!only) await import('./reconcile.ts');

function render(r: typeof report): string {
  const rows: [string, string, string][] = [];
  const f = (n: unknown, digits = 0) =>
    typeof n === 'number' ? n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits }) : '–';
  const ingest = r.ingest;
  if (ingest) {
    rows.push([
      'Ingest, bare Fastify (median pair)',
      `${f(ingest.bare.rps)} req/s`,
      `p50 ${f(ingest.bare.p50)} ms, p99 ${f(ingest.bare.p99)} ms, ${f(ingest.bare.cpuUsPerRequest)} µs CPU/req`,
    ]);
    rows.push([
      'Ingest, service (SQLite) (median pair)',
      `${f(ingest.service.rps)} req/s`,
      `p50 ${f(ingest.service.p50)} ms, p99 ${f(ingest.service.p99)} ms, ${f(ingest.service.cpuUsPerRequest)} µs CPU/req, non-2xx ${ingest.service.non2xx}`,
    ]);
    const s = ingest.service;
    rows.push([
      'CPU per webhook, service: main / SQLite thread',
      `${f(s.mainThreadUsPerRequest)} / ${f(s.sqliteThreadUsPerRequest)} µs`,
      `${f(s.cpuUsPerRequest - s.mainThreadUsPerRequest - s.sqliteThreadUsPerRequest)} µs on other threads (GC, compiler, libuv); whole process target ≤ 50 µs`,
    ]);
    rows.push([
      'Ingest ratio service/bare',
      f(ingest.ratio, 2),
      `median of ${ingest.pairRatios.length} pairs (${ingest.pairRatios.map((r) => f(r, 2)).join(', ')}); target ≥ 0.50, p99 ≤ 1.5× bare's (${f(ingest.bare.p99 * 1.5)} ms)`,
    ]);
  }
  const d = r.delivery;
  if (d) {
    rows.push([
      'Delivery, 10,000 orders, 50 ms upstream',
      `${f(d.ordersPerSecond)} orders/s`,
      `target ≥ 1,000; ${f(d.delivered)} delivered`,
    ]);
    rows.push(['MantaGO calls per order', f(d.callsPerOrder, 3), 'target ≤ 0.05']);
    rows.push(['Receipt → MantaGO success', `p50 ${f(d.latencyP50Ms)} ms`, `p99 ${f(d.latencyP99Ms)} ms`]);
    rows.push([
      'Most calls in flight / per second',
      `${f(d.maxConcurrentCalls)} / ${f(d.maxCallsPerSecond)}`,
      `limits ${DELIVERY_LIMITS.MANTAGO_MAX_CONCURRENCY} / ${DELIVERY_LIMITS.MANTAGO_MAX_RPS}`,
    ]);
  }
  rows.push(['Peak RSS (ingest run / delivery run)', `${f(r.ingestPeakRssMb)} / ${f(r.deliveryPeakRssMb)} MB`, 'target ≤ 200 MB']);
  rows.push(['Process start → /readyz 200', `${f(r.readyMs)} ms`, 'target ≤ 1,000 ms']);
  const width = [0, 1, 2].map((i) => Math.max(...rows.map((row) => row[i]?.length ?? 0)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(width[i] as number)).join(' | ')} |`;
  return [line(['Measure', 'Result', 'Notes']), line(width.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}
