// A rule's `delay` and `maxAge`: 30s, 10m, 2h, 7d.
const UNITS: Record<string, number> = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };
/** A message is never held longer than 30 days (a review request a week after delivery fits well inside). */
export const MAX_DELAY_MS = 30 * 86_400_000;

/** The oldest a rule's maxAge may let an event be: a month. */
export const MAX_AGE_MS = 720 * 3_600_000;

export function parseDuration(value: unknown, maxMs = MAX_DELAY_MS): number | { error: string } {
  const match = typeof value === 'string' ? /^(\d{1,5})([smhd])$/.exec(value.trim()) : null;
  if (!match) return { error: 'must be a duration such as 30s, 10m, 2h or 7d' };
  const ms = Number(match[1]) * (UNITS[match[2] as string] as number);
  if (ms < 1_000 || ms > maxMs) return { error: `must be between 1s and ${formatDuration(maxMs)}` };
  return ms;
}

/** 600000 → "10m", for the operator. */
export function formatDuration(ms: number): string {
  if (ms % 86_400_000 === 0) return `${ms / 86_400_000}d`;
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0) return `${ms / 60_000}m`;
  return `${Math.round(ms / 1_000)}s`;
}
