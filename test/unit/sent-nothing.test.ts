// Whether a failed MantaGO call certainly did nothing there (classify.ts): only then may an outage's
// tries go uncounted, since trying again cannot send the message twice.
import { expect, test } from 'vitest';
import { type CallResult, describeNetworkError, sentNothing } from '../../src/mantago/classify.ts';

const failed = (code: string, name = 'Error'): CallResult => ({
  kind: 'unreachable',
  durationMs: 1,
  ...describeNetworkError(Object.assign(new Error(`${code} at 127.0.0.1:4010`), { code, name })),
});
const answered = (status: number, foreign?: true): CallResult => ({
  kind: 'refused',
  status,
  durationMs: 1,
  message: 'x',
  retryAfterMs: undefined,
  ...(foreign && { foreign }),
});

test('no connection made (refused, no such host, no route, the connect timed out): nothing sent', () => {
  for (const code of ['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'UND_ERR_CONNECT_TIMEOUT'])
    expect(sentNothing(failed(code)), code).toBe(true);
  expect(failed('UND_ERR_CONNECT_TIMEOUT')).toMatchObject({ timeout: true, unsent: true });
});

test('a reset, a closed socket or no answer in time may come after MantaGO carried the call out', () => {
  for (const code of ['ECONNRESET', 'UND_ERR_SOCKET', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'EPIPE'])
    expect(sentNothing(failed(code)), code).toBe(false);
});

test("MantaGO's own failure, or a gateway that reached none (502, 503), did nothing; a gateway's 504 may hide a call carried out", () => {
  expect(sentNothing(answered(500))).toBe(true);
  expect(sentNothing(answered(503, true))).toBe(true);
  expect(sentNothing(answered(502, true))).toBe(true);
  expect(sentNothing(answered(504, true))).toBe(false);
  expect(sentNothing(answered(403, true))).toBe(false);
  expect(sentNothing({ kind: 'not_started', durationMs: 0, message: 'no slot' })).toBe(false);
});
