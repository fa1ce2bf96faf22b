// The MantaGO pair in the store: encrypted (AES-256-GCM) with CREDENTIALS_ENCRYPTION_KEY, in clear
// without it; on both engines.
import { randomBytes } from 'node:crypto';
import { DatabaseSync } from 'node:sqlite';
import { describe, expect, test } from 'vitest';
import { startSimulator } from '../simulator/simulator.ts';
import { postgresServer } from './helpers/postgres.ts';
import { startService, tempDir } from './helpers/service.ts';
import { faultyStore, type FaultyStore } from './helpers/store-faults.ts';
import { waitFor } from './helpers/wait.ts';
import { LINE_USER, shopifyOrder, shopifyRequest } from './helpers/webhooks.ts';

const server = await postgresServer();

async function storedPair(store: FaultyStore): Promise<{ api_token: string; api_secret: string }> {
  if (store.engine === 'postgres') return (await store.query('SELECT api_token, api_secret FROM credentials')).rows[0];
  const db = new DatabaseSync(store.url, { readOnly: true });
  try {
    return db.prepare('SELECT api_token, api_secret FROM credentials').get() as { api_token: string; api_secret: string };
  } finally {
    db.close();
  }
}

describe.each([{ engine: 'sqlite' as const }, { engine: 'postgres' as const }])('$engine', ({ engine }) => {
  test.skipIf(engine === 'postgres' && !server)(
    'with CREDENTIALS_ENCRYPTION_KEY the stored pair is sealed; the same key opens it; without it (or with another) the service refuses to start, saying why; a new pair in the environment recovers',
    async () => {
      const sim = await startSimulator();
      const store = await faultyStore(engine, tempDir(), server);
      const key = randomBytes(32).toString('base64');
      const { MANTAGO_API_TOKEN, MANTAGO_API_SECRET } = sim.serviceEnv(); // the environment's pair stays the same throughout
      try {
        const env = { DATABASE_URL: store.url, CREDENTIALS_ENCRYPTION_KEY: key, MANTAGO_API_TOKEN, MANTAGO_API_SECRET };
        const first = await startService(sim, { env });
        sim.expireToken(); // a rotation: the new pair is stored sealed too
        await first.app.inject(shopifyRequest(shopifyOrder()));
        await waitFor(() => sim.refreshCalls().length === 1 && sim.broadcasts.length === 1, { what: 'the order after a refresh' });
        await first.app.close();
        const { apiToken, apiSecret } = sim.credentials();
        const raw = await storedPair(store);
        for (const [value, secret] of [
          [raw.api_token, apiToken],
          [raw.api_secret, apiSecret],
        ] as const) {
          expect(value).toMatch(/^enc:v1:/);
          expect(value).not.toContain(secret);
        }

        const second = await startService(sim, { env });
        await second.app.inject(shopifyRequest(shopifyOrder({ note_attributes: [{ name: 'line_uid', value: LINE_USER }] })));
        await waitFor(() => sim.broadcasts.length === 2, { what: 'an order with the stored, sealed pair' });
        expect(sim.refreshCalls()).toHaveLength(1);
        await second.app.close();

        const sameEnvPair = { DATABASE_URL: store.url, MANTAGO_API_TOKEN, MANTAGO_API_SECRET };
        await expect(startService(sim, { env: sameEnvPair })).rejects.toThrow(
          "the stored MantaGO pair is encrypted: set CREDENTIALS_ENCRYPTION_KEY to the key it was stored with; or put the dashboard's current pair in MANTAGO_API_TOKEN and MANTAGO_API_SECRET",
        );
        await expect(
          startService(sim, { env: { ...sameEnvPair, CREDENTIALS_ENCRYPTION_KEY: randomBytes(32).toString('base64') } }),
        ).rejects.toThrow('CREDENTIALS_ENCRYPTION_KEY does not open the stored MantaGO pair');

        // The key is lost: the operator takes a new pair from the dashboard into the environment, with a new key.
        const fresh = sim.issuePair();
        const newKey = randomBytes(32).toString('base64');
        const third = await startService(sim, {
          env: {
            DATABASE_URL: store.url,
            CREDENTIALS_ENCRYPTION_KEY: newKey,
            MANTAGO_API_TOKEN: fresh.apiToken,
            MANTAGO_API_SECRET: fresh.apiSecret,
          },
        });
        await third.app.inject(shopifyRequest(shopifyOrder()));
        await waitFor(() => sim.broadcasts.length === 3, { what: 'an order with the new pair' });
        await third.app.close();
        expect((await storedPair(store)).api_token).toMatch(/^enc:v1:/);
      } finally {
        await store.close();
        await sim.close();
      }
    },
  );

  test.skipIf(engine === 'postgres' && !server)('without the key the pair is stored as it is (the README says so)', async () => {
    const sim = await startSimulator();
    const store = await faultyStore(engine, tempDir(), server);
    try {
      const service = await startService(sim, { env: { DATABASE_URL: store.url } });
      await service.app.close();
      expect(await storedPair(store)).toEqual({ api_token: sim.credentials().apiToken, api_secret: sim.credentials().apiSecret });
    } finally {
      await store.close();
      await sim.close();
    }
  });
});
