// The service keeps one time: with its clock set to another instant (MantaGO's too, as their clocks
// agree), the worker, the routes, the store's stamps and retention all go by it. The quiet-hours and
// retention scenarios run at several instants: a fixed night, a year ahead of today, and nights on
// which daylight saving time starts or ends in a zone that has it.
import { describe, expect, test } from 'vitest';
import { JOURNEY_RULES } from './helpers/journey.ts';
import { ADMIN_TOKEN, shiftedClock, startServiceWithSimulator } from './helpers/service.ts';
import { waitFor } from './helpers/wait.ts';
import { shopifyOrder, shopifyRequest } from './helpers/webhooks.ts';

const HOUR = 60 * 60 * 1000;
const DAY = 24 * HOUR;

/** The calendar day (YYYY-MM-DD) in `timeZone` of the instant `at`. */
const dayIn = (timeZone: string, at: number) => new Intl.DateTimeFormat('en-CA', { timeZone }).format(at);
const nextDay = (day: string) => new Date(Date.parse(`${day}T12:00:00Z`) + DAY).toISOString().slice(0, 10);

interface Night {
  name: string;
  timeZone: string;
  /** 23:00 local time: inside quiet hours 22:00–08:00. */
  evening: number;
  /** 08:00 local time the next morning, worked out by hand in UTC (not by the code under test). */
  morning: number;
}

const yearAhead = dayIn('Asia/Taipei', Date.now() + 365 * DAY);
const NIGHTS: Night[] = [
  {
    name: 'a fixed night in Taipei (UTC+8)',
    timeZone: 'Asia/Taipei',
    evening: Date.parse('2026-12-01T15:00:00Z'),
    morning: Date.parse('2026-12-02T00:00:00Z'),
  },
  {
    name: `a night a year ahead of today in Taipei (${yearAhead})`,
    timeZone: 'Asia/Taipei',
    evening: Date.parse(`${yearAhead}T23:00:00+08:00`),
    morning: Date.parse(`${nextDay(yearAhead)}T08:00:00+08:00`),
  },
  {
    // Clocks go forward at 02:00 on 2027-03-28: 23:00 is CET (UTC+1), 08:00 is CEST (UTC+2): 8 hours.
    name: 'the night summer time starts in Berlin',
    timeZone: 'Europe/Berlin',
    evening: Date.parse('2027-03-27T22:00:00Z'),
    morning: Date.parse('2027-03-28T06:00:00Z'),
  },
  {
    // Clocks go back at 02:00 on 2026-11-01: 23:00 is EDT (UTC-4), 08:00 is EST (UTC-5): 10 hours.
    name: 'the night summer time ends in New York',
    timeZone: 'America/New_York',
    evening: Date.parse('2026-11-01T03:00:00Z'),
    morning: Date.parse('2026-11-01T13:00:00Z'),
  },
];

describe.each(NIGHTS)('at $name', ({ timeZone, evening, morning }) => {
  test('an order in the quiet hours goes at 08:00 local time; retention keeps it RETENTION_DAYS by the same clock', async () => {
    const clock = shiftedClock();
    clock.offset = evening - Date.now();
    const mapping = `quietHours: { from: "22:00", to: "08:00", timeZone: "${timeZone}" }
recipients:
  - attribute: line_uid
    platform: line
${JOURNEY_RULES.trimStart().replace(/^ {4}delay: 10m.*\n/m, '')}`;
    const { app, sim } = await startServiceWithSimulator({
      mapping,
      clock,
      simulator: { now: clock.now },
      env: { RETENTION_DAYS: '30', ORDER_RETENTION_DAYS: '30' },
    });
    const auth = { authorization: `Bearer ${ADMIN_TOKEN}` };
    const delivery = async (id: number) => app.inject({ method: 'GET', url: `/admin/deliveries/${id}`, headers: auth });
    const user = 'U0000000000000000000000000000b001';
    const order = shopifyOrder({ note_attributes: [{ name: 'line_uid', value: user }] });
    const placed = await app.inject(shopifyRequest(order));
    const id = placed.json().deliveryId as number;
    const held = (await delivery(id)).json();
    expect(held).toMatchObject({ status: 'pending', nextAttemptAt: new Date(morning).toISOString() });
    expect(Date.parse(held.receivedAt) - evening).toBeLessThan(60_000);
    // Another order's cancellation at 23:00: its rule ignores the quiet hours, so it is sent at once.
    const other = shopifyOrder({ note_attributes: [{ name: 'line_uid', value: 'U0000000000000000000000000000b002' }] });
    const cancelled = await app.inject(shopifyRequest({ ...other, cancel_reason: 'customer' }, { topic: 'orders/cancelled' }));
    const cancellation = await waitFor(async () => {
      const d = (await delivery(cancelled.json().deliveryId)).json();
      return d.status === 'sent' ? d : undefined;
    });
    expect(Date.parse(cancellation.finishedAt) - evening).toBeLessThan(HOUR);

    clock.offset = morning - 60_000 - Date.now();
    expect(sim.broadcasts.some((b) => b.clientIds.includes(user))).toBe(false);
    clock.offset = morning + 1_000 - Date.now();
    const sent = await waitFor(
      async () => {
        const d = (await delivery(id)).json();
        return d.status === 'sent' ? d : undefined;
      },
      { what: 'the confirmation at 08:00 local time' },
    );
    expect(sim.broadcasts.filter((b) => b.clientIds.includes(user))).toHaveLength(1);
    const sentAt = Date.parse(sent.finishedAt);
    expect(sentAt).toBeGreaterThanOrEqual(morning);
    expect(sentAt - morning).toBeLessThan(HOUR);

    // 30 days less an hour after the confirmation: the pass that prunes the cancellation (sent the
    // evening before) keeps the confirmation; a few hours past its 30 days, it goes too.
    clock.offset = sentAt + 30 * DAY - HOUR - Date.now();
    await waitFor(async () => (await delivery(cancelled.json().deliveryId)).statusCode === 404, {
      what: 'the cancellation pruned after 30 days',
    });
    expect((await delivery(id)).statusCode).toBe(200);
    clock.offset = sentAt + 30 * DAY + 3 * HOUR - Date.now();
    await waitFor(async () => (await delivery(id)).statusCode === 404, { what: 'the confirmation pruned after 30 days' });
  });
});
