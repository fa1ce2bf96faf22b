// A credentials manager through its seams, for unit tests: a store that fails on demand, a token
// endpoint the test answers, and a clock it moves.
import pino, { type Logger } from 'pino';
import type { StoredCredentials } from '../../src/domain/credentials.ts';
import type { RefreshResult } from '../../src/mantago/client.ts';
import { CredentialsManager } from '../../src/mantago/credentials.ts';
import type { CredentialsDeps } from '../../src/mantago/renewal.ts';
import type { CredentialsStore } from '../../src/store/store.ts';
import { FakeClock } from './fake-clock.ts';

/** One row per bot, as both engines keep it; `failSaves` makes the next saves throw. */
export class MemoryStore implements CredentialsStore {
  row: StoredCredentials | undefined;
  claim: { owner: string; until: number } | undefined;
  failSaves = 0;
  /** Every claim throws while set: the store gone mid-decision. */
  failClaims = false;
  saves = 0;
  /** Runs once, just after the next read: another replica's write landing between two statements. */
  afterNextLoad: (() => void) | undefined;
  async loadCredentials() {
    const row = this.row && { ...this.row };
    const after = this.afterNextLoad;
    this.afterNextLoad = undefined;
    after?.();
    return row;
  }
  async saveCredentials(next: StoredCredentials) {
    if (this.failSaves > 0) {
      this.failSaves--;
      throw new Error('disk I/O error');
    }
    this.saves++;
    if (!this.row || this.row.generation <= next.generation) {
      this.row = { ...next };
      this.claim = undefined;
    }
    return { ...(this.row as StoredCredentials) };
  }
  async claimRefresh(_bot: string, owner: string, generation: number, until: number, now: number) {
    if (this.failClaims) throw new Error('disk I/O error');
    if (this.row?.generation !== generation) return false;
    if (this.claim && this.claim.owner !== owner && this.claim.until >= now) return false;
    this.claim = { owner, until };
    return true;
  }
  async releaseRefresh(_bot: string, owner: string) {
    if (this.claim?.owner === owner) this.claim = undefined;
  }
}

export const pair = (n: number) => ({ apiToken: `token-${n}`, apiSecret: `secret-${n}` });

export async function setup(
  answers: (() => RefreshResult | Promise<RefreshResult>)[],
  log: Logger = pino({ level: 'silent' }),
  deps: Pick<CredentialsDeps, 'shutdownGraceMs'> = {},
) {
  const clock = new FakeClock();
  const store = new MemoryStore();
  const asked: string[] = [];
  /** Each refresh call's latest start, as the manager gave it. */
  const startBys: (number | undefined)[] = [];
  const outcomes: string[] = [];
  let next = 0;
  const manager = new CredentialsManager({
    botId: 'bot',
    envPair: pair(1),
    store,
    client: {
      async refreshToken(apiToken, _apiSecret, startBy) {
        asked.push(apiToken);
        startBys.push(startBy);
        const answer = answers[Math.min(next++, answers.length - 1)];
        return answer ? answer() : { kind: 'unreachable', durationMs: 1, message: 'no answer programmed', timeout: false };
      },
    },
    log,
    onRefresh: (outcome) => outcomes.push(outcome),
    owner: 'me',
    refreshTimeoutMs: 30_000,
    clock,
    random: () => 0.5,
    ...deps,
  });
  await manager.start();
  return { clock, store, manager, asked, startBys, outcomes };
}

/** A logger whose lines the test reads, parsed. */
export function loggedLines(): { log: Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const log = pino({ level: 'debug' }, { write: (line: string) => void lines.push(JSON.parse(line)) });
  return { log, lines };
}
