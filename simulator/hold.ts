// The simulator's hold switch: calls wait, after their latency, until it is lifted. A caller that
// hangs up meanwhile stops waiting and its call is dropped: nothing happened at MantaGO.
import type { IncomingMessage, ServerResponse } from 'node:http';

export class Hold {
  /** The calls held now, by the order they arrived in. */
  private readonly heldNow = new Set<number>();
  private arrivals = 0;
  /** Resolves when the hold is lifted. */
  private released: Promise<void> | undefined;
  private lift: () => void = () => undefined;

  /** The hold was switched off: every waiting call goes on. */
  release(): void {
    this.lift();
    this.released = undefined;
  }

  /** Waits while `holding()` says so, or until the caller hangs up. */
  async wait(req: IncomingMessage, res: ServerResponse, holding: () => boolean): Promise<void> {
    const arrival = ++this.arrivals;
    this.heldNow.add(arrival);
    try {
      while (holding() && !res.destroyed && !req.socket.destroyed) {
        if (this.released === undefined) this.released = new Promise((resolve) => (this.lift = resolve));
        await Promise.race([this.released, new Promise((resolve) => res.once('close', resolve))]);
      }
    } finally {
      this.heldNow.delete(arrival);
    }
  }

  /** How many calls wait now. */
  get count(): number {
    return this.heldNow.size;
  }

  /** A mark for the calls held so far: `countUpTo(mark)` says how many of them still wait. */
  mark(): number {
    return this.arrivals;
  }

  /** How many of the calls held up to `mark` still wait: 0 once each was let go or its caller hung up. */
  countUpTo(mark: number): number {
    return [...this.heldNow].filter((arrival) => arrival <= mark).length;
  }
}
