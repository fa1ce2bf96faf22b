// A rule's `delay` and `maxAge`: 30s, 10m, 2h.
const UNITS: Record<string, number> = { s: 1_000, m: 60_000, h: 3_600_000 };
/** A message is never held longer than a day: the retry age bound counts from receipt. */
export const MAX_DELAY_MS = 24 * 3_600_000;

/** The oldest a rule's maxAge may let an event be: a month. */
export const MAX_AGE_MS = 720 * 3_600_000;

export function parseDuration(value: unknown, maxMs = MAX_DELAY_MS): number | { error: string } {
  const match = typeof value === 'string' ? /^(\d{1,5})([smh])$/.exec(value.trim()) : null;
  if (!match) return { error: 'must be a duration such as 30s, 10m or 2h' };
  const ms = Number(match[1]) * (UNITS[match[2] as string] as number);
  if (ms < 1_000 || ms > maxMs) return { error: `must be between 1s and ${formatDuration(maxMs)}` };
  return ms;
}

/** 600000 → "10m", for the operator. */
export function formatDuration(ms: number): string {
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0) return `${ms / 60_000}m`;
  return `${Math.round(ms / 1_000)}s`;
}
