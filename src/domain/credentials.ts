// MantaGO's rotating API credentials: one token/secret pair per bot; a refresh replaces both.

export const CREDENTIALS_STATES = ['ok', 'rejected'] as const;
export type CredentialsState = (typeof CREDENTIALS_STATES)[number];

/** Where the pair in use came from: the environment, a refresh, or the operator (PUT /admin/credentials). */
export const CREDENTIALS_ORIGINS = ['env', 'refresh', 'admin'] as const;
export type CredentialsOrigin = (typeof CREDENTIALS_ORIGINS)[number];

export interface ApiPair {
  apiToken: string;
  apiSecret: string;
}

export interface StoredCredentials extends ApiPair {
  botId: string;
  /** Goes up by one with every new pair, so a stale holder can tell it is stale. */
  generation: number;
  origin: CredentialsOrigin;
  /** Hash of the pair last given in the environment: a different one means the operator changed it. */
  envFingerprint: string;
  obtainedAt: number;
  expiresAt: number;
  lastRefreshAt: number | null;
  state: CredentialsState;
  lastError: string | null;
}

/** What the operator may see: never the token or the secret. */
export type CredentialsStatus = Omit<StoredCredentials, 'apiToken' | 'apiSecret' | 'envFingerprint'>;

/**
 * The stored pair cannot be read with the encryption key given (none, or another). What is stored
 * beside it is known: a pair newly put in the environment can replace it; the same one cannot.
 */
export class UnreadablePairError extends Error {
  override readonly name = 'UnreadablePairError';
  readonly stored: Omit<StoredCredentials, 'apiToken' | 'apiSecret'>;
  constructor(message: string, stored: Omit<StoredCredentials, 'apiToken' | 'apiSecret'>) {
    super(message);
    this.stored = stored;
  }
}
