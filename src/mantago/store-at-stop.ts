// The pair in use, when MantaGO rotated to it and the store refused it, lives in this process alone:
// the store still holds the pair MantaGO killed. At shutdown it is tried again while the grace
// lasts (a store failing over during a rolling deploy comes back within it), not once.
import type { Logger } from 'pino';
import { type Clock, settleBy } from '../clock.ts';

const FIRST_WAIT_MS = 250;
const MAX_WAIT_MS = 1_000;

/** The shutdown's grace: when it began (quiesced), and how long it lasts (SHUTDOWN_GRACE_MS). */
export interface ShutdownWindow {
  from: number;
  graceMs: number;
}

/**
 * `tryStore` until it stores (true). With no shutdown under way, one try, waited for. Within one, tries
 * begin until nine tenths of the grace, each waited for until a second before its end (a store that
 * hangs through a failover): then it is said, without the pair, while the process can still say it.
 */
export async function storeBeforeExit(
  tryStore: () => Promise<boolean>,
  clock: Clock,
  window: ShutdownWindow | undefined,
  log: Logger,
): Promise<boolean> {
  if (!window) return tryStore();
  const beginBy = window.from + window.graceMs * 0.9;
  const waitBy = window.from + window.graceMs - Math.min(MAX_WAIT_MS, window.graceMs * 0.05);
  for (let wait = FIRST_WAIT_MS; ; wait = Math.min(wait * 2, MAX_WAIT_MS)) {
    if (await settleBy(clock, tryStore(), waitBy, false)) return true;
    if (clock.now() + wait > beginBy) {
      log.error(
        'the MantaGO pair in use could not be stored before the exit, and MantaGO killed the stored one: install the pair its dashboard shows with PUT /admin/credentials',
      );
      return false;
    }
    await clock.sleep(wait);
  }
}
