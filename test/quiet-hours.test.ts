// Quiet hours: a message due inside the window waits until it ends, is never dropped, and a rule
// can opt out. With a clock the test moves, not a real night's wait.
import { describe, expect, onTestFinished, test } from 'vitest';
import { settledDelivery } from './helpers/admin.ts';
import { parseQuietHours, type QuietHours, quietUntil } from '../src/mapping/quiet-hours.ts';
import { engineEnv, SERVICE_ENGINES } from './helpers/engines.ts';
import { ADMIN_TOKEN, startService, startServiceWithSimulator, shiftedClock } from './helpers/service.ts';
import { auth, fulfillmentEvent, messages, STAGES, user } from './helpers/stages.ts';
import { waitFor } from './helpers/wait.ts';
import { shopifyFulfillment, shopifyOrder, shopifyRequest } from './helpers/webhooks.ts';
import { JOURNEY_RULES } from './helpers/journey.ts';

const TAIPEI = parseQuietHours({ from: '22:00', to: '08:00', timeZone: 'Asia/Taipei' }) as QuietHours;
/** An instant given as Taipei wall-clock time (UTC+8, no DST). */
const taipei = (iso: string) => Date.parse(`${iso}+08:00`);

describe('quietUntil', () => {
  test('inside a window across midnight: before midnight it ends the next morning, after midnight the same morning', () => {
    expect(quietUntil(TAIPEI, taipei('2026-12-01T23:30:00'))).toBe(taipei('2026-12-02T08:00:00'));
    expect(quietUntil(TAIPEI, taipei('2026-12-02T03:10:00'))).toBe(taipei('2026-12-02T08:00:00'));
    expect(quietUntil(TAIPEI, taipei('2026-12-01T22:00:00'))).toBe(taipei('2026-12-02T08:00:00'));
  });

  test('outside the window: no wait', () => {
    expect(quietUntil(TAIPEI, taipei('2026-12-01T08:00:00'))).toBeUndefined();
    expect(quietUntil(TAIPEI, taipei('2026-12-01T21:59:00'))).toBeUndefined();
  });

  test('a window within one day, and a time zone with daylight saving time', () => {
    const lunch = parseQuietHours({ from: '12:00', to: '13:30', timeZone: 'Europe/Berlin' }) as QuietHours;
    // 12:15 in Berlin in summer (UTC+2) and in winter (UTC+1): each ends at 13:30 local time.
    expect(quietUntil(lunch, Date.parse('2026-07-01T10:15:00Z'))).toBe(Date.parse('2026-07-01T11:30:00Z'));
    expect(quietUntil(lunch, Date.parse('2026-12-01T11:15:00Z'))).toBe(Date.parse('2026-12-01T12:30:00Z'));
    expect(quietUntil(lunch, Date.parse('2026-12-01T12:31:00Z'))).toBeUndefined();
  });

  test('on the nights clocks change: an end the clocks jump past ends at the jump; an end that comes twice, at the first after', () => {
    const window = (from: string, to: string, timeZone: string) => parseQuietHours({ from, to, timeZone }) as QuietHours;
    const at = (iso: string) => Date.parse(iso);
    // New York springs forward at 02:00 EST (07:00Z) to 03:00 EDT: 02:30 never comes.
    expect(quietUntil(window('01:00', '02:30', 'America/New_York'), at('2026-03-08T06:30:00Z'))).toBe(at('2026-03-08T07:00:00Z'));
    expect(quietUntil(window('22:00', '02:30', 'America/New_York'), at('2026-03-08T04:00:00Z'))).toBe(at('2026-03-08T07:00:00Z'));
    // Santiago's clocks jump from 00:00 to 01:00: a window to 00:30 ends at 01:00.
    expect(quietUntil(window('22:00', '00:30', 'America/Santiago'), at('2026-09-06T02:00:00Z'))).toBe(at('2026-09-06T04:00:00Z'));
    // New York falls back at 02:00 EDT (06:00Z) to 01:00 EST: 01:30 comes at 05:30Z and again at 06:30Z.
    const twice = window('00:30', '01:30', 'America/New_York');
    expect(quietUntil(twice, at('2026-11-01T05:10:00Z'))).toBe(at('2026-11-01T05:30:00Z'));
    expect(quietUntil(twice, at('2026-11-01T06:10:00Z'))).toBe(at('2026-11-01T06:30:00Z'));
    // Lord Howe moves by half an hour.
    expect(quietUntil(window('22:00', '02:30', 'Australia/Lord_Howe'), at('2026-10-03T12:00:00Z'))).toBe(at('2026-10-03T15:30:00Z'));
  });

  test('mistakes are named per field', () => {
    expect(parseQuietHours({ from: '25:00', to: '8:00', timeZone: 'Mars/Olympus' })).toEqual({
      problems: {
        from: 'must be a local time HH:MM, e.g. 22:00',
        to: 'must be a local time HH:MM, e.g. 22:00',
        timeZone: 'must be an IANA time zone, e.g. Asia/Taipei',
      },
    });
  });
});

test('a confirmation due in the quiet hours waits for their end and goes then; a cancellation rule that opts out goes at once', async () => {
  const clock = shiftedClock();
  clock.offset = taipei('2026-12-01T23:00:00') - Date.now();
  const mapping = `quietHours: { from: "22:00", to: "08:00", timeZone: "Asia/Taipei" }
recipients:
  - attribute: line_uid
    platform: line
${JOURNEY_RULES.trimStart().replace(/^ {4}delay: 10m.*\n/m, '')}`;
  const { app, sim } = await startServiceWithSimulator({ mapping, clock });
  const auth = { authorization: `Bearer ${ADMIN_TOKEN}` };
  const user = 'U0000000000000000000000000000a001';
  const order = shopifyOrder({ note_attributes: [{ name: 'line_uid', value: user }] });
  const placed = await app.inject(shopifyRequest(order));
  expect(placed.json()).toMatchObject({ status: 'accepted', delivery: 'pending' });
  const held = (await app.inject({ method: 'GET', url: `/admin/deliveries/${placed.json().deliveryId}`, headers: auth })).json();
  expect(held).toMatchObject({
    status: 'pending',
    waitReason: 'quiet hours (22:00–08:00 Asia/Taipei)',
    nextAttemptAt: new Date(taipei('2026-12-02T08:00:00')).toISOString(),
  });

  // Another order's cancellation at 23:00: its rule ignores the quiet hours.
  const other = shopifyOrder({ note_attributes: [{ name: 'line_uid', value: 'U0000000000000000000000000000a002' }] });
  await app.inject(shopifyRequest({ ...other, cancel_reason: 'customer' }, { topic: 'orders/cancelled' }));
  await waitFor(() => sim.broadcasts.some((b) => b.message === `Order ${other.name} was cancelled.`), {
    what: 'the cancellation, at once',
  });
  expect(sim.broadcasts.some((b) => b.clientIds.includes(user))).toBe(false);

  // The night passes (the clock moves; nothing waits for it): at 08:00 the confirmation goes.
  clock.offset = taipei('2026-12-02T07:59:00') - Date.now();
  expect(sim.broadcasts.some((b) => b.clientIds.includes(user))).toBe(false);
  clock.offset = taipei('2026-12-02T08:00:01') - Date.now();
  await waitFor(() => sim.broadcasts.filter((b) => b.clientIds.includes(user)).length === 1, {
    what: 'the confirmation at the end of the quiet hours',
  });
  expect(sim.broadcasts.filter((b) => b.clientIds.includes(user))[0]).toMatchObject({
    intentId: 'rb2kYmMdW',
    name: `confirmation ${order.name}`,
  });
});

/** One confirmation rule, keeping Taipei's quiet hours (22:00–08:00). */
const NIGHT_CONFIRMATION = `quietHours: { from: "22:00", to: "08:00", timeZone: "Asia/Taipei" }
recipients:
  - attribute: line_uid
    platform: line
rules:
  - name: confirmation
    send: { intentId: rb2kYmMdW }
`;

test('a retry that would fall inside the quiet hours (MantaGO down at 21:59) waits for their end; the operator can still send it now', async () => {
  const clock = shiftedClock();
  clock.offset = taipei('2026-12-01T21:59:00') - Date.now();
  const mapping = NIGHT_CONFIRMATION;
  const { app, sim } = await startServiceWithSimulator({
    mapping,
    clock,
    env: { RETRY_BASE_DELAY_MS: '120000', RETRY_MAX_DELAY_MS: '120000' },
  });
  const auth = { authorization: `Bearer ${ADMIN_TOKEN}` };
  const user = 'U0000000000000000000000000000a003';
  sim.set({ fail: { status: 503, count: 1 } });
  const placed = await app.inject(shopifyRequest(shopifyOrder({ note_attributes: [{ name: 'line_uid', value: user }] })));
  const id = placed.json().deliveryId;
  // The retry would be due two minutes later, at 22:01 (jitter: between 22:00 and 22:01): inside the window.
  const waiting = await waitFor(
    async () => {
      const d = (await app.inject({ method: 'GET', url: `/admin/deliveries/${id}`, headers: auth })).json();
      return d.attemptLog.length === 1 ? d : undefined;
    },
    { what: 'the failed attempt' },
  );
  // MantaGO had accepted no broadcast yet: an outage's failure, not counted.
  expect(waiting.attemptLog).toMatchObject([{ outcome: 'failed', httpStatus: 503 }]);
  expect(waiting).toMatchObject({ status: 'pending', nextAttemptAt: new Date(taipei('2026-12-02T08:00:00')).toISOString() });

  expect((await app.inject({ method: 'POST', url: `/admin/deliveries/${id}/retry`, headers: auth })).statusCode).toBe(200);
  await waitFor(() => sim.broadcasts.some((b) => b.clientIds.includes(user)), { what: "the operator's retry, at once" });
});

test('a message due before the quiet hours that could only go inside them (MantaGO refused the bot until 23:30) waits for their end; the operator can still send it now', async () => {
  const clock = shiftedClock();
  clock.offset = taipei('2026-12-01T21:58:00') - Date.now();
  const mapping = NIGHT_CONFIRMATION;
  const env = { BOT_PROBE_BASE_MS: '100', BOT_PROBE_MAX_MS: '300' };
  const { app, sim } = await startServiceWithSimulator({ mapping, clock, env });
  const auth = { authorization: `Bearer ${ADMIN_TOKEN}` };
  const readiness = async () => (await app.inject({ method: 'GET', url: '/readyz' })).json();
  await waitFor(() => sim.checkCalls().length > 0, { what: "the start's bot check" });
  sim.set({ permissionDenied: true });
  const user = 'U0000000000000000000000000000a004';
  const placed = await app.inject(shopifyRequest(shopifyOrder({ note_attributes: [{ name: 'line_uid', value: user }] })));
  const id = placed.json().deliveryId;
  await waitFor(async () => (await readiness()).checks.delivery === 'bot_refused', { what: 'the bot refused at 21:58' });
  // Night falls; at 23:30 the operator puts the plan right.
  clock.offset = taipei('2026-12-01T23:30:00') - Date.now();
  sim.set({ permissionDenied: false });
  const detail = async () => (await app.inject({ url: `/admin/deliveries/${id}`, headers: auth })).json();
  await waitFor(async () => (await detail()).nextAttemptAt === new Date(taipei('2026-12-02T08:00:00')).toISOString(), {
    what: 'the confirmation held to the end of the quiet hours',
  });
  await waitFor(async () => (await readiness()).checks.delivery === 'ok', {
    what: 'the bot allowed again (its check, no message, probed)',
  });
  expect(sim.timesDelivered(user)).toBe(0);
  expect(await detail()).toMatchObject({ status: 'pending', attempts: 0 });

  expect((await app.inject({ method: 'POST', url: `/admin/deliveries/${id}/retry`, headers: auth })).statusCode).toBe(200);
  await waitFor(() => sim.timesDelivered(user) === 1, { what: "the operator's retry, at once" });
});

test.skipIf(!SERVICE_ENGINES[1]?.available)(
  "a stage on the parcel's way claimed late at night waits for the morning; its parcel delivered meanwhile, it is withdrawn, not sent beside the delivery",
  async () => {
    const clock = shiftedClock();
    clock.offset = taipei('2026-12-01T21:58:00') - Date.now();
    const env = await engineEnv('postgres');
    const mapping = `quietHours: { from: "22:00", to: "08:00", timeZone: "Asia/Taipei" }\n${STAGES}`;
    // Webhooks taken at 21:58 by a web replica; no worker runs until 22:30 (a deploy, an outage).
    const { app: web, sim } = await startServiceWithSimulator({ mapping, clock, env: { ...env, NOTIFIER_ROLE: 'web' } });
    const to = user(40);
    const order = shopifyOrder({ note_attributes: [{ name: 'line_uid', value: to }] });
    await web.inject(shopifyRequest(order));
    const fulfillment = shopifyFulfillment(order.id, { tracking_number: 'TW40' });
    await web.inject(shopifyRequest(fulfillment, { topic: 'fulfillments/create' }));
    const onItsWay = (await web.inject(fulfillmentEvent(order.id, fulfillment.id, 'out_for_delivery'))).json();
    expect(onItsWay).toMatchObject({ status: 'accepted', delivery: 'pending' });

    clock.offset = taipei('2026-12-01T22:30:00') - Date.now();
    const { app: worker } = await startService(sim, { mapping, clock, env: { ...env, NOTIFIER_ROLE: 'worker' } });
    onTestFinished(() => worker.close());
    await worker.ready();
    const detail = async (id: number) => (await web.inject({ url: `/admin/deliveries/${id}`, headers: auth })).json();
    const morning = new Date(taipei('2026-12-02T08:00:00')).toISOString();
    await waitFor(async () => (await detail(onItsWay.deliveryId)).nextAttemptAt === morning, { what: 'the stage held to the morning' });

    // At 06:00 the parcel is delivered; at 08:00 the customer hears of that, not of it being on its way.
    clock.offset = taipei('2026-12-02T06:00:00') - Date.now();
    const delivered = (await web.inject(fulfillmentEvent(order.id, fulfillment.id, 'delivered', { city: 'Taipei' }))).json();
    expect(delivered).toMatchObject({ status: 'accepted', delivery: 'pending' });
    clock.offset = taipei('2026-12-02T08:00:01') - Date.now();
    await settledDelivery(web, delivered.deliveryId);
    expect(await settledDelivery(web, onItsWay.deliveryId)).toMatchObject({
      status: 'skipped',
      lastError: 'order delivered before the message went out',
    });
    expect(messages(sim, to)).toEqual(['rb2kYmMdW', `Order ${order.name} delivered in Taipei.`]);
  },
);
