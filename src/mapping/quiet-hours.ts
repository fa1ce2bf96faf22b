// Quiet hours: a window of local time (in an IANA time zone; it may cross midnight) in which no
// message is sent; one due inside it waits until the window ends. Validated at startup.

export interface QuietHours {
  /** Minutes after local midnight. */
  from: number;
  to: number;
  timeZone: string;
  /** "22:00–08:00 Asia/Taipei", for the operator. */
  label: string;
}

const TIME = /^([01]\d|2[0-3]):([0-5]\d)$/;

/** The window, or what is wrong with each of its fields (by field name). */
export function parseQuietHours(value: { from: string; to: string; timeZone: string }): QuietHours | { problems: Record<string, string> } {
  const problems: Record<string, string> = {};
  const minutes = (field: 'from' | 'to') => {
    const match = TIME.exec(value[field]);
    if (!match) problems[field] = 'must be a local time HH:MM, e.g. 22:00';
    return match ? Number(match[1]) * 60 + Number(match[2]) : 0;
  };
  const from = minutes('from');
  const to = minutes('to');
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: value.timeZone });
  } catch {
    problems.timeZone = 'must be an IANA time zone, e.g. Asia/Taipei';
  }
  if (!problems.from && !problems.to && from === to) problems.to = 'must differ from `from`: the window would be empty';
  if (Object.keys(problems).length > 0) return { problems };
  return { from, to, timeZone: value.timeZone, label: `${value.from}–${value.to} ${value.timeZone}` };
}

/** Local calendar date and minutes after midnight of `at` in `timeZone`. */
function localTime(at: number, timeZone: string): { year: number; month: number; day: number; minutes: number } {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
    })
      .formatToParts(at)
      .map((p) => [p.type, Number(p.value)]),
  ) as Record<string, number>;
  return {
    year: parts.year as number,
    month: parts.month as number,
    day: parts.day as number,
    minutes: (parts.hour as number) * 60 + (parts.minute as number),
  };
}

/** The instant a local wall-clock time happens in `timeZone` (the zone's offset found by looking, twice for DST). */
function instantOf(year: number, month: number, day: number, minutes: number, timeZone: string): number {
  const wall = Date.UTC(year, month - 1, day, 0, minutes);
  let guess = wall;
  for (let i = 0; i < 2; i++) {
    const seen = localTime(guess, timeZone);
    const seenWall = Date.UTC(seen.year, seen.month - 1, seen.day, 0, seen.minutes);
    guess += wall - seenWall;
  }
  return guess;
}

/** When the window that `at` falls in ends; undefined when `at` is outside the window. */
export function quietUntil(window: QuietHours, at: number): number | undefined {
  const local = localTime(at, window.timeZone);
  const crossesMidnight = window.from > window.to;
  const inside = crossesMidnight
    ? local.minutes >= window.from || local.minutes < window.to
    : local.minutes >= window.from && local.minutes < window.to;
  if (!inside) return undefined;
  // The end is later today, unless the window crossed midnight and `at` is before it (then tomorrow).
  const endsTomorrow = crossesMidnight && local.minutes >= window.from;
  const date = new Date(Date.UTC(local.year, local.month - 1, local.day + (endsTomorrow ? 1 : 0)));
  return instantOf(date.getUTCFullYear(), date.getUTCMonth() + 1, date.getUTCDate(), window.to, window.timeZone);
}
