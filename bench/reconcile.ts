// `npm run bench:reconcile`: shop connections under load, against the built service on SQLite with
// the Shopify stand-in as the shop (a cost bucket too large to throttle) and the simulator as MantaGO.
//   1. A pass over 10,000 updated orders whose events are all stored already (a first pass stored
//      and sent them): its time, its counts, that it sends nothing, and the service's peak RSS.
//   2. Webhook ingest (autocannon, as in `npm run bench`) without a pass, then with passes running
//      back to back: the ratio, in BENCH_RECONCILE_PAIRS (3) pairs whose order alternates, the median
//      one shown (one 10 s run on a shared 2-core machine can differ from the next by a fifth).
//      Writes its part of BENCHMARKS.md and bench/results/reconcile.json.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { startShopifyShop } from '../simulator/shops/shopify.ts';
import { startSimulator } from '../simulator/simulator.ts';
import { writeSection } from './benchmarks-md.ts';
import { BENCH_SHOPIFY_SECRET, lineUser } from './orders.ts';
import { load, peakRssMb, ROOT, SERVICE, sleep, startProcess } from './processes.ts';

const ORDERS = Number(process.env.BENCH_RECONCILE_ORDERS ?? 10_000);
const DURATION_S = Number(process.env.BENCH_DURATION_S ?? 10);
const PAIRS = Math.max(1, Number(process.env.BENCH_RECONCILE_PAIRS ?? 3));
const ADMIN_TOKEN = 'bench-admin-token-0123456789';

const sim = await startSimulator({ botId: 'benchBot' });
const shop = await startShopifyShop({
  shop: 'bench.myshopify.com',
  webhookSecret: BENCH_SHOPIFY_SECRET,
  bucket: { maximumAvailable: 1e12, restoreRate: 1e12 },
});
const since = new Date(Date.now() - 60_000).toISOString();
for (let i = 0; i < ORDERS; i++) shop.createOrder({ customAttributes: { line_uid: lineUser(5_000_000 + i) } });

const dir = mkdtempSync(join(tmpdir(), 'notifier-bench-reconcile-'));
const service = await startProcess(
  SERVICE,
  {
    ...sim.serviceEnv(),
    ...shop.serviceEnv(),
    DATABASE_URL: join(dir, 'notifier.db'),
    MAPPING_FILE: join(ROOT, 'config/mapping.yaml'),
    ADMIN_TOKEN,
    RECONCILE_INTERVAL_S: '0', // passes only when asked: the benchmark times each one
    LOG_LEVEL: 'warn',
  },
  '/readyz',
);

async function pass(): Promise<{ ms: number; counts: Record<string, number> }> {
  const started = performance.now();
  const answer = await fetch(`${service.url}/admin/reconcile`, {
    method: 'POST',
    headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify({ source: 'shopify', since }),
  });
  const counts = (await answer.json()) as Record<string, number>;
  if (answer.status !== 200) throw new Error(`reconcile answered ${answer.status}: ${JSON.stringify(counts)}`);
  return { ms: performance.now() - started, counts };
}

const recipients = () => sim.broadcasts.reduce((sum, b) => sum + b.clientIds.length, 0);
const first = await pass();
for (const deadline = Date.now() + 180_000; recipients() < ORDERS && Date.now() < deadline; ) await sleep(100);
const sentBefore = recipients();
const stored = await pass();
await sleep(2_000); // anything the pass had made due would have gone by now
const sentByPass = recipients() - sentBefore;
const passPeakRssMb = peakRssMb(service.child.pid);

/** Ingest with passes running back to back meanwhile; how many passes ran. */
async function ingestDuringPasses(firstId: number) {
  let passing = true;
  let passes = 0;
  const looping = (async () => {
    while (passing) {
      await pass();
      passes++;
    }
  })();
  const run = await load(service.url, firstId, { durationS: DURATION_S });
  passing = false;
  await looping;
  return { ...run, passes };
}
type Run = Awaited<ReturnType<typeof load>>;
const pairs: { without: Run; during: Run & { passes: number }; ratio: number }[] = [];
for (let i = 0; i < PAIRS; i++) {
  const firstId = 8_000_000 + i * 1_000_000;
  const duringFirst = i % 2 === 1;
  const d1 = duringFirst ? await ingestDuringPasses(firstId) : undefined;
  const without = await load(service.url, firstId + 500_000, { durationS: DURATION_S });
  const during = d1 ?? (await ingestDuringPasses(firstId));
  pairs.push({ without, during, ratio: during.rps / without.rps });
  process.stdout.write(
    `pair ${i + 1}: without ${Math.round(without.rps)} req/s, during ${Math.round(during.rps)} req/s: ${during.rps / without.rps}\n`,
  );
}
const { without, during } = [...pairs].sort((a, b) => a.ratio - b.ratio)[Math.floor(pairs.length / 2)] as (typeof pairs)[number];
const passesDuring = during.passes;
const peakRss = peakRssMb(service.child.pid);
await service.stop();
await shop.close();
await sim.close();

const machine = `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`;
const report = {
  date: new Date().toISOString(),
  machine,
  orders: ORDERS,
  firstPass: first,
  storedPass: { ...stored, sentByPass, peakRssMb: passPeakRssMb },
  ingest: { without, during, ratio: during.rps / without.rps, passesDuring, pairRatios: pairs.map((p) => p.ratio) },
  peakRssMb: peakRss,
};
mkdirSync(join(ROOT, 'bench/results'), { recursive: true });
writeFileSync(join(ROOT, 'bench/results/reconcile.json'), `${JSON.stringify(report, null, 2)}\n`);
const f = (n: number, digits = 0) => n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
const rows = [
  [
    `Pass over ${f(ORDERS)} orders, all stored already`,
    `${f(stored.ms / 1000, 1)} s`,
    `${f(stored.counts.orders ?? 0)} read, ${f(stored.counts.new ?? 0)} new, ${f(stored.counts.duplicates ?? 0)} duplicates; ${f(sentByPass)} sent by it`,
  ],
  [`First pass (${f(ORDERS)} new events)`, `${f(first.ms / 1000, 1)} s`, `${f(first.counts.new ?? 0)} new`],
  ['Peak RSS after the passes', `${f(passPeakRssMb)} MB`, `${f(peakRss)} MB after the ingest runs too; target ≤ 200 MB`],
  ['Ingest without a pass', `${f(without.rps)} req/s`, `p50 ${f(without.p50)} ms, p99 ${f(without.p99)} ms`],
  ['Ingest during passes', `${f(during.rps)} req/s`, `p50 ${f(during.p50)} ms, p99 ${f(during.p99)} ms; ${passesDuring} passes meanwhile`],
  [
    'Ingest ratio during/without',
    f(during.rps / without.rps, 2),
    `median of ${pairs.length} pairs (${pairs.map((p) => f(p.ratio, 2)).join(', ')}); target ≥ 0.90`,
  ],
];
const width = [0, 1, 2].map((i) => Math.max(...rows.map((row) => row[i]?.length ?? 0), 8));
const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(width[i] as number)).join(' | ')} |`;
const table = [line(['Measure', 'Result', 'Notes']), line(width.map((w) => '-'.repeat(w))), ...rows.map((r) => line(r as string[]))].join(
  '\n',
);
process.stdout.write(`${table}\n`);
writeSection(
  'reconcile',
  `## Shop connections\n\nThe latest \`npm run bench:reconcile\`, on ${machine}, ${report.date.slice(0, 10)}: the built service on SQLite, the Shopify stand-in as the shop (its cost bucket too large to throttle), the simulator as MantaGO, autocannon as in \`npm run bench\` (50 connections, ${DURATION_S} s). Figures: [bench/results/reconcile.json](bench/results/reconcile.json).\n\n${table}`,
);
