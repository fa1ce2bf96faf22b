// The deliveries this process's sends hold, each under its claim's lease. A lease can run out while
// its call is still under way (the host's clock stepped forward, or the process stalled, past what
// was left of it: at least MANTAGO_TIMEOUT_MS and a second); the store would then give the delivery
// to the next claim, and a claim of this process would send it a second time. So this process's
// claims leave out what it still holds. Another replica can still take it: the lease in the store is
// all replicas share.
import { LEASE_MARGIN_MS, type Lease } from './lease.ts';

export class HeldDeliveries {
  private readonly held = new Map<number, Lease>();

  /** Holds `deliveries` under `lease` while `send` runs: until its outcome is recorded or handed back. */
  async during<T>(deliveries: readonly { id: number }[], lease: Lease, send: () => Promise<T>): Promise<T> {
    for (const { id } of deliveries) this.held.set(id, lease);
    try {
      return await send();
    } finally {
      for (const { id } of deliveries) if (this.held.get(id) === lease) this.held.delete(id);
    }
  }

  /** What a claim at `now` leaves out: held deliveries the store may count as free by then (none, nearly always). */
  runOutBy(now: number): number[] | undefined {
    const ids: number[] = [];
    for (const [id, lease] of this.held) if (lease.until - LEASE_MARGIN_MS <= now) ids.push(id);
    return ids.length > 0 ? ids : undefined;
  }
}
