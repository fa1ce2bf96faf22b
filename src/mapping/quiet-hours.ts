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

/** One formatter per time zone: making one costs ten times what using it does. */
const formatters = new Map<string, Intl.DateTimeFormat>();
function formatter(timeZone: string): Intl.DateTimeFormat {
  let made = formatters.get(timeZone);
  if (!made) {
    made = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
    });
    formatters.set(timeZone, made);
  }
  return made;
}

/** Local calendar date and minutes after midnight of `at` in `timeZone`. */
function localTime(at: number, timeZone: string): { year: number; month: number; day: number; minutes: number } {
  const parts = Object.fromEntries(
    formatter(timeZone)
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

const MINUTE = 60_000;

function isInside(window: QuietHours, at: number): boolean {
  const { minutes } = localTime(at, window.timeZone);
  return window.from > window.to ? minutes >= window.from || minutes < window.to : minutes >= window.from && minutes < window.to;
}

/**
 * Per window, the last ends found and the instants they were found for: every instant between is
 * inside, with that end. A few nights' worth: a webhook's message and a review request a week on alternate.
 */
const lastEnds = new WeakMap<QuietHours, { from: number; end: number }[]>();
const NIGHTS_KEPT = 8;

/** When the window that `at` falls in ends (the first minute after `at` outside it); undefined when `at` is outside the window. */
export function quietUntil(window: QuietHours, at: number): number | undefined {
  const known = lastEnds.get(window) ?? [];
  for (const { from, end } of known) if (at >= from && at < end) return end;
  if (!isInside(window, at)) return undefined;
  const end = windowEnd(window, at);
  lastEnds.set(window, [{ from: at, end }, ...known.slice(0, NIGHTS_KEPT - 1)]);
  return end;
}

/**
 * The wall-clock end (today, or tomorrow for a window across midnight) is exact on most days. Around
 * a DST change it may not exist (clocks jump past it: the window ends at the jump) or come twice (the
 * first one after `at` ends it): then the end is the first whole minute outside the window, searched
 * between `at` and the earliest instant near the wall-clock end that is outside.
 */
function windowEnd(window: QuietHours, at: number): number {
  const local = localTime(at, window.timeZone);
  const endsTomorrow = window.from > window.to && local.minutes >= window.from;
  const date = new Date(Date.UTC(local.year, local.month - 1, local.day + (endsTomorrow ? 1 : 0)));
  const guess = instantOf(date.getUTCFullYear(), date.getUTCMonth() + 1, date.getUTCDate(), window.to, window.timeZone);
  const shifts = [-4, -3, -2, -1, 0, 1, 2, 3, 4].map((shift) => guess + shift * 30 * MINUTE);
  const after = shifts.find((candidate) => candidate > at && !isInside(window, candidate));
  if (after === undefined) return guess; // no time zone shifts its clocks by more than two hours
  // Zone offsets are whole minutes, so `at`'s minute is inside, and the end is a whole minute.
  let outside = after;
  let inside = Math.floor(at / MINUTE) * MINUTE;
  while (outside - inside > MINUTE) {
    const middle = inside + Math.floor((outside - inside) / 2 / MINUTE) * MINUTE;
    if (isInside(window, middle)) inside = middle;
    else outside = middle;
  }
  return outside;
}
