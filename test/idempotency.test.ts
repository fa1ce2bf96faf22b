// POST /admin/broadcasts with an Idempotency-Key: the operator who tries again sends nothing twice.
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { expect, onTestFinished, test } from 'vitest';
import { ADMIN_TOKEN, shiftedClock, startService, startServiceWithSimulator } from './helpers/service.ts';
import { LINE_USER, LINE_USER_2 } from './helpers/webhooks.ts';

async function setup(clock?: ReturnType<typeof shiftedClock>) {
  const { app, sim, dir } = await startServiceWithSimulator(clock && { clock });
  const broadcast = (payload: unknown, key?: string) =>
    app.inject({
      method: 'POST',
      url: '/admin/broadcasts',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json', ...(key && { 'idempotency-key': key }) },
      payload: payload as Record<string, unknown>,
    });
  return { app, sim, dir, broadcast };
}

const request = { platform: 'line', userIds: [LINE_USER, LINE_USER_2], intentId: 'rb2kYmMdW', name: 'spring sale' };

test('the same key answers the first result again and sends nothing more; another request with it is refused; no key sends every time', async () => {
  const { sim, broadcast } = await setup();
  const first = await broadcast(request, 'op-2026-12-01-a');
  expect(first.statusCode).toBe(200);
  expect(first.headers['idempotent-replayed']).toBeUndefined();
  expect(sim.broadcasts).toHaveLength(1);

  const again = await broadcast(request, 'op-2026-12-01-a');
  expect(again.statusCode).toBe(200);
  expect(again.headers['idempotent-replayed']).toBe('true');
  expect(again.json()).toEqual(first.json());
  expect(sim.broadcasts).toHaveLength(1);

  // The same request written with its fields in another order (another client, another JSON library) is the same request.
  const reordered = await broadcast(
    { name: 'spring sale', intentId: 'rb2kYmMdW', userIds: request.userIds, platform: 'line' },
    'op-2026-12-01-a',
  );
  expect(reordered.statusCode).toBe(200);
  expect(reordered.headers['idempotent-replayed']).toBe('true');
  expect(sim.broadcasts).toHaveLength(1);

  const reused = await broadcast({ ...request, name: 'another sale' }, 'op-2026-12-01-a');
  expect(reused.statusCode).toBe(422);
  expect(reused.json()).toMatchObject({ code: 'IDEMPOTENCY_KEY_REUSED', message: expect.stringContaining('use a new key') });

  expect((await broadcast(request, 'op-2026-12-01-b')).statusCode).toBe(200);
  expect((await broadcast(request)).statusCode).toBe(200);
  expect(sim.broadcasts).toHaveLength(3);

  const bad = await broadcast(request, 'has spaces');
  expect(bad.statusCode).toBe(400);
  expect(bad.json().message).toContain('idempotency-key');
});

test('the same key sent twice at once: one sends, the other is told it is under way (or gets the answer)', async () => {
  const { sim, broadcast } = await setup();
  sim.set({ latencyMs: 300 });
  const [a, b] = await Promise.all([broadcast(request, 'twice'), broadcast(request, 'twice')]);
  expect([a.statusCode, b.statusCode].sort()).toEqual([200, 409]);
  expect(sim.broadcasts).toHaveLength(1);
  const later = await broadcast(request, 'twice');
  expect(later.headers['idempotent-replayed']).toBe('true');
  expect(sim.broadcasts).toHaveLength(1);
});

test("a refused broadcast is replayed as refused, with MantaGO's reason, and not sent again", async () => {
  const { sim, broadcast } = await setup();
  sim.set({ fail: { status: 403, count: 1 } }); // refused for good: a 403 without a code of its own
  const first = await broadcast({ ...request, userIds: [LINE_USER] }, 'refused-once');
  expect(first.statusCode).toBe(502);
  const again = await broadcast({ ...request, userIds: [LINE_USER] }, 'refused-once');
  expect(again.statusCode).toBe(502);
  expect(again.json()).toEqual(first.json());
  expect(sim.broadcastCalls()).toHaveLength(1);
});

test('a key used again after its 24 h is a new request: the new broadcast goes, not the old answer', async () => {
  const clock = shiftedClock();
  const { sim, broadcast } = await setup(clock);
  const first = await broadcast({ ...request, message: 'first message', intentId: undefined }, 'weekly-promo');
  expect(first.statusCode).toBe(200);
  clock.offset += 25 * 60 * 60 * 1000;
  const later = await broadcast({ ...request, message: 'second message', intentId: undefined }, 'weekly-promo');
  expect(later.statusCode).toBe(200);
  expect(later.headers['idempotent-replayed']).toBeUndefined();
  expect(later.json().deliveryIds).not.toEqual(first.json().deliveryIds);
  expect(sim.broadcasts.map((b) => b.message)).toEqual(['first message', 'second message']);
});

test('an answer kept for its key by the version before (no per-user deliveries in it) is replayed as it was, not a 500', async () => {
  const { app, sim, dir, broadcast } = await setup();
  const first = await broadcast(request, 'kept-before');
  expect(first.statusCode).toBe(200);
  await app.close(); // the upgrade: the answer as the version before kept it, then this version
  const { deliveries: _new, ...before } = first.json();
  const db = new DatabaseSync(join(dir, 'notifier.db'));
  db.prepare('UPDATE idempotency_keys SET response_json = ? WHERE key = ?').run(JSON.stringify(before), 'kept-before');
  db.close();
  const { app: upgraded } = await startService(sim, { dir });
  onTestFinished(() => upgraded.close());
  const again = await upgraded.inject({
    method: 'POST',
    url: '/admin/broadcasts',
    headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json', 'idempotency-key': 'kept-before' },
    payload: request,
  });
  expect([again.statusCode, again.headers['idempotent-replayed']]).toEqual([200, 'true']);
  expect(again.json()).toEqual(before);
  expect(sim.broadcasts).toHaveLength(1);
});

test('a key the version before stored (its hash of the fields as sent, not sorted) is still answered from its first run, not refused', async () => {
  const { app, sim, dir, broadcast } = await setup();
  const first = await broadcast(request, 'stored-before');
  expect(first.statusCode).toBe(200);
  await app.close(); // the upgrade: the key as the version before stored it
  const asSent = createHash('sha256').update(JSON.stringify(request)).digest('hex');
  const db = new DatabaseSync(join(dir, 'notifier.db'));
  db.prepare('UPDATE idempotency_keys SET fingerprint = ? WHERE key = ?').run(asSent, 'stored-before');
  db.close();
  const { app: upgraded } = await startService(sim, { dir });
  onTestFinished(() => upgraded.close());
  const again = (payload: unknown) =>
    upgraded.inject({
      method: 'POST',
      url: '/admin/broadcasts',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json', 'idempotency-key': 'stored-before' },
      payload: payload as Record<string, unknown>,
    });
  const replayed = await again(request);
  expect([replayed.statusCode, replayed.headers['idempotent-replayed']]).toEqual([200, 'true']);
  expect(replayed.json()).toEqual(first.json());
  expect((await again({ ...request, name: 'another sale' })).statusCode).toBe(422);
  expect(sim.broadcasts).toHaveLength(1);
});
