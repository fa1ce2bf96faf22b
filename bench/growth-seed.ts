// Filling a store with deliveries as a busy shop's 30 days would leave them, quickly: the service
// itself first stores four real orders (sent; skipped, nobody to send to; dead at once, refused by
// MantaGO; dead after every retry), and set-based SQL copies those rows — one statement per table —
// with a new order id, customer, chat user and time for each copy. So the rows are what the
// service writes, in the schema its own migrations made.
import type { MantagoSimulator } from '../simulator/simulator.ts';
import { NEW_DELIVERY_COLUMNS } from '../src/store/delivery-row.ts';
import type { BenchDb, EngineName } from './growth-db.ts';
import { lineUser, shopifyHeaders, shopifyOrderBody } from './orders.ts';
import { SERVICE, sleep, startProcess } from './processes.ts';

/** The delivery ids of the four rows the service stored, one of each kind. */
export interface Templates {
  sent: number;
  skipped: number;
  refused: number;
  exhausted: number;
}

const DAY_MS = 86_400_000;
const TEMPLATE_ORDER = 987_654_321;
/** Seeded order ids start here (Shopify's are 13 digits), far from the ids the ingest runs post. */
const SEEDED_ORDER_BASE = 6_000_000_000_000;
const PENDING_ORDER_BASE = 7_000_000_000_000;
/** Distinct customers among the seeded orders. */
const CUSTOMERS = 40_000;
/** Receipt to death under the default retry policy (50 attempts, delays doubling from 1 s to 5 min, half jittered). */
const EXHAUSTED_SPAN_MS = Math.round(
  Array.from({ length: 49 }, (_, i) => 0.75 * Math.min(300_000, 1_000 * 2 ** i)).reduce((a, b) => a + b),
);

/** The mix by n % 100: 90% sent, 8% skipped, 2% dead (half refused at once, half after 50 attempts). */
export const MIX = { sent: 90, skipped: 8, deadRefused: 1, deadExhausted: 1 };

/** Runs the service (on the simulator, retrying fast) until it has stored one delivery of each kind. */
export async function captureTemplates(db: BenchDb, sim: MantagoSimulator, env: Record<string, string>): Promise<Templates> {
  const fast = { RETRY_BASE_DELAY_MS: '1', RETRY_MAX_DELAY_MS: '2', MANTAGO_MAX_RPS: '1000', DELIVERY_POLL_MS: '10' };
  const service = await startProcess(SERVICE, { ...env, ...fast, DATABASE_URL: db.url }, '/readyz');
  const admin = { authorization: `Bearer ${env.ADMIN_TOKEN}` };
  const store = async (id: number, chatUser: boolean): Promise<number> => {
    const order = JSON.parse(shopifyOrderBody(id, lineUser(id))) as Record<string, unknown>;
    if (!chatUser) delete order.note_attributes; // nobody to send it to: skipped after MantaGO's member lookup
    const body = JSON.stringify(order);
    const answer = await fetch(`${service.url}/webhooks/shopify`, { method: 'POST', body, headers: shopifyHeaders(body) });
    const { deliveryId } = (await answer.json()) as { deliveryId: number };
    for (const started = Date.now(); Date.now() - started < 30_000; await sleep(20)) {
      const found = (await (await fetch(`${service.url}/admin/deliveries/${deliveryId}`, { headers: admin })).json()) as { status: string };
      if (found.status !== 'pending') return deliveryId;
    }
    throw new Error(`template delivery ${deliveryId} was still pending after 30 s`);
  };
  try {
    const sent = await store(TEMPLATE_ORDER, true);
    const skipped = await store(TEMPLATE_ORDER + 1, false);
    sim.set({ refusedClientIds: [lineUser(TEMPLATE_ORDER + 2)] });
    const refused = await store(TEMPLATE_ORDER + 2, true);
    sim.set({ refusedClientIds: [], fail: { status: 503 } });
    const exhausted = await store(TEMPLATE_ORDER + 3, true);
    return { sent, skipped, refused, exhausted };
  } finally {
    sim.set({ refusedClientIds: [], fail: null });
    await service.stop();
  }
}

/** The numbers 1..count as the CTE g(n), and a LINE user id (U + 32 hex digits) from a number. */
const dialect = (engine: EngineName) =>
  engine === 'sqlite'
    ? {
        series: (count: number) => `RECURSIVE g(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM g WHERE n < ${count})`,
        user: (x: string) => `printf('U%032x', ${x})`,
      }
    : {
        series: (count: number) => `g(n) AS (SELECT generate_series(1, ${count}))`,
        user: (x: string) => `'U' || lpad(to_hex(${x}), 32, '0')`,
      };

interface Copies {
  count: number;
  orderBase: number;
  firstAt: number;
  lastAt: number;
  /** [template, share of n % 100, receipt-to-finish in ms (0: as the template's)]. */
  kinds: [number, number, number][];
  pending: boolean;
}

/** One INSERT … SELECT: `count` copies of the templates, their ids, customers, users and times their own. */
function copyStatement(engine: EngineName, c: Copies): string {
  const d = dialect(engine);
  const step = Math.floor((c.lastAt - c.firstAt) / c.count);
  const kinds = c.kinds
    .map(([template, share, span], i) => {
      const from = c.kinds.slice(0, i).reduce((sum, [, before]) => sum + before, 0);
      return `(${template}, ${from}, ${from + share - 1}, ${span})`;
    })
    .join(', ');
  const finishedAt = 's.at + CASE WHEN k.span > 0 THEN k.span ELSE t.finished_at - t.received_at END';
  const json = `replace(replace(replace(t.order_json, t.order_id, s.oid), '"' || t.customer_id || '"', '"' || s.cust || '"'), t.customer_email, s.email)`;
  const expressions: Record<string, string> = {
    dedupe_key: 'replace(t.dedupe_key, t.order_id, s.oid)',
    order_id: 's.oid',
    received_at: 's.at',
    order_json: `CASE WHEN t.client_id IS NULL THEN ${json} ELSE replace(${json}, t.client_id, s.usr) END`,
    client_id: 'CASE WHEN t.client_id IS NULL THEN NULL ELSE s.usr END',
    broadcast_name: 'replace(t.broadcast_name, t.order_id, s.oid)',
    last_error: 'replace(t.last_error, t.customer_id, s.cust)', // a skip's reason names the customer
    customer_id: 's.cust',
    customer_email: 's.email',
    ...(c.pending
      ? {
          status: `'pending'`,
          attempts: '0',
          next_attempt_at: 's.at',
          finished_at: 'NULL',
          last_error: 'NULL',
          lease_owner: 'NULL',
          lease_until: 'NULL',
        }
      : { finished_at: finishedAt }),
  };
  const columns = [...NEW_DELIVERY_COLUMNS.map((column) => column.name), 'attempts'];
  return `WITH ${d.series(c.count)},
  kinds(tid, lo, hi, span) AS (VALUES ${kinds}),
  s AS (SELECT n, CAST(${c.orderBase} + n AS TEXT) AS oid, ${d.user(`${c.orderBase} + n`)} AS usr,
          CAST(100000 + n % ${CUSTOMERS} AS TEXT) AS cust, 'customer' || CAST(n % ${CUSTOMERS} AS TEXT) || '@example.com' AS email,
          ${c.firstAt} + CAST(n - 1 AS BIGINT) * ${step} AS at FROM g)
INSERT INTO deliveries (${columns.join(', ')})
SELECT ${columns.map((name) => expressions[name] ?? `t.${name}`).join(', ')}
FROM s JOIN kinds k ON s.n % 100 BETWEEN k.lo AND k.hi JOIN deliveries t ON t.id = k.tid
ORDER BY s.n`;
}

/** Each copied sent or dead delivery gets its template's attempt rows, spread over its own receipt to finish. */
function attemptsStatement(templates: Templates): string {
  const ids = Object.values(templates).join(', ');
  const at = (column: string) =>
    `d.received_at + (a.${column} - t.received_at) * (d.finished_at - d.received_at) / (CASE WHEN t.finished_at > t.received_at THEN t.finished_at - t.received_at ELSE 1 END)`;
  return `INSERT INTO attempts (delivery_id, started_at, duration_ms, outcome, http_status, error, next_attempt_at, batch_size)
SELECT d.id, ${at('started_at')}, a.duration_ms, a.outcome, a.http_status, a.error, ${at('next_attempt_at')}, a.batch_size
FROM deliveries d
JOIN deliveries t ON t.id IN (${ids}) AND t.status = d.status AND t.attempts = d.attempts
JOIN attempts a ON a.delivery_id = t.id
WHERE d.id NOT IN (${ids}) AND d.status IN ('sent', 'dead')
ORDER BY d.id, a.id`;
}

/** Stores `count` finished deliveries received over the last 30 days (less an hour: retention takes none during the run). */
export async function seed(db: BenchDb, templates: Templates, count: number, now = Date.now()): Promise<void> {
  const kinds: [number, number, number][] = [
    [templates.sent, MIX.sent, 0],
    [templates.skipped, MIX.skipped, 0],
    [templates.refused, MIX.deadRefused, 0],
    [templates.exhausted, MIX.deadExhausted, EXHAUSTED_SPAN_MS],
  ];
  const copies = {
    count,
    orderBase: SEEDED_ORDER_BASE,
    firstAt: now - 30 * DAY_MS + 3_600_000,
    lastAt: now - 60_000,
    kinds,
    pending: false,
  };
  await db.session(async (sql) => {
    await sql.run(copyStatement(db.engine, copies));
    await sql.run(attemptsStatement(templates));
    // PostgreSQL's autovacuum would have vacuumed and analyzed a table after this many inserts.
    if (db.engine === 'postgres') await sql.run('VACUUM (ANALYZE) deliveries, attempts');
  });
}

/** Adds `count` pending deliveries, due now, copied from the sent template: what a claim finds. */
export async function addPending(db: BenchDb, templates: Templates, count: number, now = Date.now()): Promise<void> {
  const copies = {
    count,
    orderBase: PENDING_ORDER_BASE,
    firstAt: now - (count + 1) * 1_000,
    lastAt: now - 1_000,
    kinds: [[templates.sent, 100, 0]] as [number, number, number][],
    pending: true,
  };
  await db.session((sql) => sql.run(copyStatement(db.engine, copies)));
}

/** Removes the pending deliveries and the templates: what remains is the seeded mix alone. */
export async function removeScaffolding(db: BenchDb, templates: Templates): Promise<void> {
  const ids = Object.values(templates).join(', ');
  await db.session(async (sql) => {
    await sql.run(`DELETE FROM attempts WHERE delivery_id IN (${ids})`);
    await sql.run(`DELETE FROM deliveries WHERE id IN (${ids}) OR status = 'pending'`);
  });
}
