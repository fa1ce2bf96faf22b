// Which of the PostgreSQL driver's errors mean the store cannot be reached now (a 503 the shop retries),
// through the runner's seam: a pool whose every query fails as the network would have it.
import type pg from 'pg';
import { expect, test } from 'vitest';
import { StoreUnavailableError } from '../../src/store/errors.ts';
import { PostgresRunner } from '../../src/store/postgres/engine.ts';

const failing = (code: string) =>
  ({
    query: async () => {
      throw Object.assign(new Error(`connect ${code} 10.0.0.5:5432`), { code });
    },
  }) as unknown as pg.Pool;

test.each(['ECONNREFUSED', 'ECONNRESET', 'ECONNABORTED', 'EHOSTUNREACH', 'EHOSTDOWN', 'ENETUNREACH', 'ETIMEDOUT'])(
  'a socket error %s: the store is unavailable (503), not broken (500)',
  async (code) => {
    await expect(new PostgresRunner(failing(code)).all('SELECT 1')).rejects.toBeInstanceOf(StoreUnavailableError);
  },
);

test('a statement PostgreSQL refuses (a bug of ours) stays an error of its own', async () => {
  await expect(new PostgresRunner(failing('42P01')).all('SELECT 1')).rejects.not.toBeInstanceOf(StoreUnavailableError);
});
