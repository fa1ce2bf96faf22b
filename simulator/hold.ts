// The simulator's hold switch: calls wait, after their latency, until it is lifted. A caller that
// hangs up meanwhile stops waiting and its call is dropped: nothing happened at MantaGO. Lifted as
// `failed`, the held calls are answered as failures without being carried out, so no answer to a
// caller that is about to give up can be of a call that happened.
import type { IncomingMessage, ServerResponse } from 'node:http';

export type HeldCall = 'carried_out' | 'failed';

export class Hold {
  /** The calls held now, by the order they arrived in. */
  private readonly heldNow = new Set<number>();
  private arrivals = 0;
  /** Resolves when the hold is lifted, with how the calls held go on. */
  private released: Promise<HeldCall> | undefined;
  private lift: (how: HeldCall) => void = () => undefined;

  /** The hold was switched off: every waiting call goes on, or (`failed`) is answered as a failure. */
  release(how: HeldCall = 'carried_out'): void {
    this.lift(how);
    this.released = undefined;
  }

  /** Waits while `holding()` says so, or until the caller hangs up; how the call goes on. */
  async wait(req: IncomingMessage, res: ServerResponse, holding: () => boolean): Promise<HeldCall> {
    const arrival = ++this.arrivals;
    this.heldNow.add(arrival);
    try {
      while (holding() && !res.destroyed && !req.socket.destroyed) {
        if (this.released === undefined) this.released = new Promise((resolve) => (this.lift = resolve));
        const lifted = await Promise.race([
          this.released,
          new Promise<undefined>((resolve) => res.once('close', () => resolve(undefined))),
        ]);
        if (lifted === 'failed') return 'failed';
      }
      return 'carried_out';
    } finally {
      this.heldNow.delete(arrival);
    }
  }

  /** How many calls wait now. */
  get count(): number {
    return this.heldNow.size;
  }
}
