// An outcome MantaGO has already acted on (a message sent) is written until the store takes it.
// Given up, the claim's lease would run out and bring the delivery back to be sent again: a database
// restart under load sent every message in flight twice. Only the store's unavailability (down,
// restarting, too slow) is waited out. A stop (SIGTERM) does not end the wait at once: a rolling
// deploy during a database restart would send those messages twice too. It ends it at the caller's
// deadline, inside the shutdown's grace; then the lease decides.
import type { Logger } from 'pino';
import type { Clock } from '../clock.ts';
import { StoreUnavailableError } from '../store/errors.ts';

const FIRST_WAIT_MS = 250;
const MAX_WAIT_MS = 5_000;

/**
 * `write` is told whether it is a try after one that failed (which the store may have taken even so:
 * its answer was lost). `giveUpAt`: once the caller is stopping, the deadline: no try is waited for
 * past it (one the store does not answer, say a connection timing out, would hold the shutdown).
 */
export async function untilStored(
  write: (again: boolean) => Promise<void>,
  { clock, giveUpAt, log, what }: { clock: Clock; giveUpAt: () => number | undefined; log: Logger; what: string },
): Promise<void> {
  for (let wait = FIRST_WAIT_MS, tries = 1; ; wait = Math.min(wait * 2, MAX_WAIT_MS), tries++) {
    try {
      const deadline = giveUpAt();
      return await (deadline === undefined ? write(tries > 1) : byDeadline(write(tries > 1), deadline, clock));
    } catch (error) {
      if (!(error instanceof StoreUnavailableError)) throw error;
      const deadline = giveUpAt();
      const left = deadline === undefined ? wait : deadline - clock.now();
      if (left <= 0) throw error;
      if (tries === 1) log.warn({ reason: error.message }, `the store cannot take ${what} now; trying again until it does`);
      await clock.sleep(Math.min(wait, left));
    }
  }
}

/** `write`, or the store's unavailability once `deadline` is past (the write may still land: the lease then finds it done). */
function byDeadline(write: Promise<void>, deadline: number, clock: Clock): Promise<void> {
  return new Promise((resolve, reject) => {
    const cancel = clock.setTimer(
      () => reject(new StoreUnavailableError('timeout', "the store did not take it before the shutdown's grace ran out")),
      deadline - clock.now(),
    );
    write.then(
      () => {
        cancel();
        resolve();
      },
      (error: unknown) => {
        cancel();
        reject(error);
      },
    );
  });
}
