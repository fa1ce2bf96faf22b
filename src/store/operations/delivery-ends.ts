// How a pending delivery's row ends, in an UPDATE's SET: written once, so that every way of ending
// it (a withdrawal, an opt-out, a resolution to nobody) clears the same columns.

/** Ends a delivery's lease (a claim's, or one stored already leased). */
export const NO_LEASE = 'lease_owner = NULL, lease_until = NULL';

/** A pending delivery ended skipped, never to be sent (parameters: the time, the reason): nothing left of its lease, its resolution or its hold. */
export const SKIPPED = `status = 'skipped', finished_at = ?, next_attempt_at = NULL, ${NO_LEASE}, resolve_from = NULL, hold_reason = NULL, last_error = ?`;
