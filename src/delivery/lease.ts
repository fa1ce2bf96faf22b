// The lease rule, in one place. A claim leases its deliveries until `until`; nobody else takes
// them before. A call under the claim may start only while the lease still covers the whole call
// (its timeout and a margin); otherwise the lease is renewed first. Once its process is stopping,
// a call starts only if it can also end before the stop's deadline: cut off by the exit, what it
// sent would be sent again by the next claim.
export interface LeaseTerms {
  /** How long a claim or a renewal lasts. */
  leaseMs: number;
  /** The longest one MantaGO call may take. */
  callTimeoutMs: number;
}

/** Slack for the clocks of the replicas and the store's own time to record a result. */
export const LEASE_MARGIN_MS = 1_000;

/**
 * Why a lease and a call timeout cannot work together, if they cannot (said at startup). A claim
 * must outlast the calls made under it, or another worker takes the same deliveries; and leave a
 * second to begin one (a call begins no later than its time and a margin before the end: tags and
 * binds, which do not renew their claim, would never begin).
 */
export function leaseTermsProblem({ leaseMs, callTimeoutMs }: LeaseTerms): string | undefined {
  const begins = callTimeoutMs + LEASE_MARGIN_MS + 1_000;
  if (leaseMs >= Math.max(2 * callTimeoutMs, begins)) return undefined;
  return 2 * callTimeoutMs >= begins
    ? `DELIVERY_LEASE_MS (${leaseMs}) must be at least twice MANTAGO_TIMEOUT_MS (${callTimeoutMs})`
    : `DELIVERY_LEASE_MS (${leaseMs}) must be at least MANTAGO_TIMEOUT_MS (${callTimeoutMs}) plus ${begins - callTimeoutMs}, so a claim leaves time to begin a call`;
}

export class Lease {
  until: number;
  /** Who holds it in the store: one name per claim. */
  readonly owner: string;
  private readonly terms: LeaseTerms;
  /** Until when its process still records outcomes, once it is stopping (none before). */
  private readonly stopsAt: () => number | undefined;

  constructor(until: number, terms: LeaseTerms, owner: string, stopsAt: () => number | undefined = () => undefined) {
    this.until = until;
    this.terms = terms;
    this.owner = owner;
    this.stopsAt = stopsAt;
  }

  /** Whether a call starting at `now` could outlast the lease: then renew before calling. */
  needsRenewal(now: number): boolean {
    return now + this.terms.callTimeoutMs + LEASE_MARGIN_MS >= this.until;
  }

  /** The latest a call may start under this lease and still end within it (and before the stop's deadline, once stopping). */
  latestStart(): number {
    const end = Math.min(this.until, this.stopsAt() ?? Number.POSITIVE_INFINITY);
    return end - this.terms.callTimeoutMs - LEASE_MARGIN_MS;
  }

  /** The new end of a lease renewed at `now`. */
  renewedUntil(now: number): number {
    return now + this.terms.leaseMs;
  }

  /** The same lease over part of its deliveries (a split batch's half): renewing it renews only theirs. */
  forPart(): Lease {
    return new Lease(this.until, this.terms, this.owner, this.stopsAt);
  }

  /** Before a call at `now`: renewed for all of `ids` if the call could outlast it (`renew` says how many the store renewed); false: it is lost. */
  async keep(now: number, ids: number[], renew: (until: number) => Promise<number>): Promise<boolean> {
    if (!this.needsRenewal(now)) return true;
    if (now >= this.until) return false;
    this.until = this.renewedUntil(now);
    return (await renew(this.until)) === ids.length;
  }
}
