// The pair in use, when MantaGO rotated to it and the store refused it, lives in this process alone:
// the store still holds the pair MantaGO killed. At shutdown it is tried again until the grace runs
// out (a store failing over during a rolling deploy comes back within it), not once.
import type { Logger } from 'pino';
import { type Clock, settleBy } from '../clock.ts';

const FIRST_WAIT_MS = 250;
const MAX_WAIT_MS = 1_000;

/**
 * `tryStore` until it stores (true) or `storeBy` passes, a try under way included (a store that hangs
 * through a failover): then said, without the pair, while the process can still say it.
 */
export async function storeBeforeExit(tryStore: () => Promise<boolean>, clock: Clock, storeBy: number, log: Logger): Promise<boolean> {
  for (let wait = FIRST_WAIT_MS; ; wait = Math.min(wait * 2, MAX_WAIT_MS)) {
    if (await settleBy(clock, tryStore(), storeBy, false)) return true;
    if (clock.now() + wait > storeBy) {
      log.error(
        'the MantaGO pair in use could not be stored before the exit, and MantaGO killed the stored one: install the pair its dashboard shows with PUT /admin/credentials',
      );
      return false;
    }
    await clock.sleep(wait);
  }
}
