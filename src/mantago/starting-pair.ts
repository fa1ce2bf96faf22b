// The pair a process starts with: the stored one in preference to the environment's (after a
// rotation the environment's pair is dead), unless the operator changed the environment's pair
// since: then theirs wins, and is stored as the next generation.
import { type StoredCredentials, UnreadablePairError } from '../domain/credentials.ts';
import { type CredentialsDeps, fingerprint, nextPair } from './renewal.ts';

export async function startingPair(
  { store, botId, envPair }: Pick<CredentialsDeps, 'store' | 'botId' | 'envPair'>,
  now: () => number,
): Promise<{ credentials: StoredCredentials; fromEnv: boolean }> {
  const envFingerprint = fingerprint(botId, envPair);
  const stored = await readable(store.loadCredentials(botId), envFingerprint);
  const fromEnv = !stored || stored.envFingerprint !== envFingerprint;
  if (!fromEnv) return { credentials: stored, fromEnv };
  return { credentials: await store.saveCredentials(nextPair(botId, now(), stored, envPair, 'env', envFingerprint)), fromEnv };
}

/** The stored pair; unreadable (a lost key), what is stored beside it, so a new environment pair replaces it. */
async function readable(loading: Promise<StoredCredentials | undefined>, envFingerprint: string) {
  try {
    return await loading;
  } catch (error) {
    if (!(error instanceof UnreadablePairError)) throw error;
    if (error.stored.envFingerprint !== envFingerprint) return { ...error.stored, apiToken: '', apiSecret: '' };
    throw new Error(`${error.message}; or put the dashboard's current pair in MANTAGO_API_TOKEN and MANTAGO_API_SECRET`);
  }
}
