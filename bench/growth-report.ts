// The store-growth figures: bench/results/growth.json, and their part of BENCHMARKS.md (one table
// per engine: each measure with an empty store, with BENCH_ROWS stored, and its target).
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeSection } from './benchmarks-md.ts';
import type { EngineName } from './growth-db.ts';
import { MIX } from './growth-seed.ts';
import { type LoadResult, percentile, ROOT } from './processes.ts';

export interface Latency {
  medianMs: number;
  p95Ms: number;
  maxMs: number;
  count: number;
}

export interface StateResult {
  /** Deliveries stored when the runs started. */
  rows: number;
  /** Every ingest run, in the order run. */
  ingest: LoadResult[];
  readyMs: number[];
  claim: Latency;
  /** Retention's pass with nothing past retention. */
  prune: Latency;
  deadList?: Latency & { returned: number };
  overview?: Latency;
  bytes?: number;
  bytesPerOrder?: number;
  seedMs?: number;
}

export interface EngineResult {
  engine: EngineName;
  zero: StateResult;
  grown: StateResult;
}

export interface GrowthReport {
  date: string;
  machine: string;
  command: string;
  rows: number;
  durationS: number;
  runs: number;
  engines: EngineResult[];
}

export function latency(times: number[]): Latency {
  const sorted = [...times].sort((a, b) => a - b);
  return { medianMs: percentile(sorted, 50), p95Ms: percentile(sorted, 95), maxMs: sorted.at(-1) ?? Number.NaN, count: sorted.length };
}

const median = (values: number[]) =>
  percentile(
    [...values].sort((a, b) => a - b),
    50,
  );

/** The medians over a state's ingest runs, and full-store req/s as a share of empty-store req/s. */
export function ingestSummary(state: StateResult) {
  return {
    rps: median(state.ingest.map((r) => r.rps)),
    p99: median(state.ingest.map((r) => r.p99)),
    cpuUsPerRequest: median(state.ingest.map((r) => r.cpuUsPerRequest)),
    non2xx: state.ingest.reduce((sum, r) => sum + r.non2xx + r.errors, 0),
  };
}

const f = (n: number | undefined, digits = 0) =>
  n === undefined || Number.isNaN(n) ? '–' : n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
const ms = (l: Latency | undefined) => (l ? `${f(l.medianMs, 1)} / ${f(l.p95Ms, 1)} ms` : '–');

function table(r: GrowthReport, e: EngineResult): string {
  const zero = ingestSummary(e.zero);
  const full = ingestSummary(e.grown);
  const ratio = full.rps / zero.rps;
  const rows: string[][] = [
    ['Measure', '0 rows', `${f(e.grown.rows)} rows`, 'Target'],
    [
      `Ingest (median of ${r.runs} × ${r.durationS} s)`,
      `${f(zero.rps)} req/s`,
      `${f(full.rps)} req/s (${f(ratio, 2)}×)`,
      `≥ 0.85× of 0 rows: ${ratio >= 0.85 ? 'met' : 'missed'}`,
    ],
    ['Ingest p99', `${f(zero.p99)} ms`, `${f(full.p99)} ms`, '–'],
    ['Service CPU per request', `${f(zero.cpuUsPerRequest)} µs`, `${f(full.cpuUsPerRequest)} µs`, '–'],
    ['Ingest runs (req/s, in order)', runs(e.zero), runs(e.grown), `non-2xx: ${zero.non2xx} / ${full.non2xx}`],
    [
      'Claim of 100 among 300 pending, median / p95',
      ms(e.zero.claim),
      ms(e.grown.claim),
      `no growth: ${e.grown.claim.medianMs <= Math.max(2 * e.zero.claim.medianMs, 1) ? 'met' : 'missed'}`,
    ],
    [
      'GET /admin/deliveries?status=dead, median / p95',
      ms(e.zero.deadList),
      `${ms(e.grown.deadList)} (${e.grown.deadList?.returned ?? 0} returned)`,
      `< 50 ms: ${(e.grown.deadList?.p95Ms ?? Number.POSITIVE_INFINITY) < 50 ? 'met' : 'missed'}`,
    ],
    ['GET /admin/overview, median / p95', ms(e.zero.overview), ms(e.grown.overview), '–'],
    ['Retention pass, nothing to delete, median / p95', ms(e.zero.prune), ms(e.grown.prune), '–'],
    ['Process start → /readyz 200', `${f(median(e.zero.readyMs))} ms`, `${f(median(e.grown.readyMs))} ms`, '–'],
    [
      'Database bytes per stored order',
      '–',
      `${f(e.grown.bytesPerOrder)} B (${f((e.grown.bytes ?? 0) / 2 ** 20)} MiB)`,
      `seeded in ${f((e.grown.seedMs ?? 0) / 1000)} s`,
    ],
  ];
  const width = [0, 1, 2, 3].map((i) => Math.max(...rows.map((row) => row[i]?.length ?? 0)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(width[i] as number)).join(' | ')} |`;
  const [head, ...body] = rows as [string[], ...string[][]];
  return [line(head), line(width.map((w) => '-'.repeat(w))), ...body.map(line)].join('\n');
}

const runs = (state: StateResult) => state.ingest.map((run) => f(run.rps)).join(', ');
const ENGINE_TITLES: Record<EngineName, string> = { sqlite: 'SQLite', postgres: 'PostgreSQL' };

export function render(r: GrowthReport): string {
  const dead = MIX.deadRefused + MIX.deadExhausted;
  return `## Cost as the store grows (${f(r.rows)} deliveries)

The latest \`${r.command}\`, on ${r.machine}, ${r.date.slice(0, 10)}. Figures: [bench/results/growth.json](bench/results/growth.json).

- **Stores.** An empty one, and one with ${f(r.rows)} deliveries already stored as retention keeps 30 days of a busy shop: received over the last 30 days, ${MIX.sent}% sent, ${MIX.skipped}% skipped (nobody to send to), ${dead}% dead (half refused by MantaGO at once, half after 50 attempts), each with its stored order and the attempt rows the service writes, 40,000 customers. They are copies of rows the service itself stored, made by one set-based statement per table (bench/growth-seed.ts), in the schema its migrations made.
- **Service.** The built service with its production flags and \`DRY_RUN=true\`: the worker claims, records and finishes deliveries as usual and only the call to MantaGO is left out, so no simulator competes with autocannon for the cores.
- **Ingest.** autocannon posts signed Shopify orders as in \`npm run bench\` (50 connections); the runs alternate between the two stores, each on a fresh copy of its store.
- **Claim and retention.** In the benchmark's process, through the store API: the worker's claim (a batch of 100 among 300 pending deliveries), and the hourly retention pass when nothing is past retention (the seeded mix starts an hour inside it), the scan each pass ends with.
- **Admin reads.** The dead list and the console's overview (queue counts, the last hour's sent) over HTTP, after 10 warm-up requests.
- **Bytes per order.** The SQLite file after a checkpoint, or every table of the PostgreSQL database with its indexes and TOAST, over the deliveries stored.

Run it with \`npm run bench:growth\` (\`-- --engine sqlite|postgres\` for one; \`BENCH_ROWS\`, \`BENCH_DURATION_S\`, \`BENCH_INGEST_RUNS\`; PostgreSQL databases are created and dropped through \`BENCH_POSTGRES_URL\`). It rewrites only the part above; what follows is written by hand.

${r.engines.map((e) => `### ${ENGINE_TITLES[e.engine]}\n\n${table(r, e)}`).join('\n\n')}`;
}

/** Writes growth.json and the BENCHMARKS.md part; returns the markdown. */
export function writeResults(r: GrowthReport): string {
  mkdirSync(join(ROOT, 'bench/results'), { recursive: true });
  writeFileSync(join(ROOT, 'bench/results/growth.json'), `${JSON.stringify(r, null, 2)}\n`);
  const markdown = render(r);
  writeSection('growth', markdown);
  return `${markdown}\n`;
}
