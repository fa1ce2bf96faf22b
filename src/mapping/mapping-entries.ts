// The mapping file's entries made into what the service uses, each mistake reported with its place:
// recipient entries, rules (templates compiled, delays read), the quiet hours.
import type { FbTag } from '../domain/content.ts';
import { RETIRED_FB_TAGS } from '../domain/content.ts';
import type { OrderEvent } from '../domain/order.ts';
import { type ChatUser, isValidUserId, type Platform } from '../domain/recipient.ts';
import { directoryKeyProblem } from './directory-keys.ts';
import { MAX_AGE_MS, parseDuration } from './durations.ts';
import { canonicalLocale } from './locale.ts';
import { AttributeEntry, DirectoryEntry, MantagoEntry, QuietHoursSchema, RuleSchema, StaticEntry } from './mapping-schema.ts';
import { parseQuietHours, type QuietHours } from './quiet-hours.ts';
import type { Bind, RecipientEntry } from './recipients.ts';
import type { Rule, When } from './rules.ts';
import { type RawTag, toTagOps } from './tags.ts';
import { compileTemplate, type Template } from './template.ts';

export type Path = (string | number)[];
export type Check = (schema: import('typebox').TSchema, value: unknown, path: Path) => boolean;
export type Report = (path: Path, message: string) => void;

const DEFAULT_BIND_ID = '{{customer.id}}';

function template(source: string, path: Path, report: Report): Template | undefined {
  const compiled = compileTemplate(source);
  if ('error' in compiled) {
    report(path, compiled.error);
    return undefined;
  }
  return compiled;
}

function bindOf(entry: { bind?: true; customerId?: string }, path: Path, report: Report): Bind | undefined | null {
  if (entry.customerId !== undefined && !entry.bind) report([...path, 'customerId'], 'only applies with bind: true');
  if (!entry.bind) return undefined;
  const customerId = template(entry.customerId ?? DEFAULT_BIND_ID, [...path, 'customerId'], report);
  return customerId ? { customerId } : null;
}

export function toRecipientEntry(entry: unknown, path: Path, check: Check, report: Report): RecipientEntry | undefined {
  const keys = entry && typeof entry === 'object' ? Object.keys(entry) : [];
  if (keys.includes('attribute')) {
    if (!check(AttributeEntry, entry, path)) return undefined;
    const e = entry as { attribute: string; platform: Platform; bind?: true; customerId?: string };
    const bind = bindOf(e, path, report);
    return bind === null ? undefined : { kind: 'attribute', attribute: e.attribute, platform: e.platform, ...(bind && { bind }) };
  }
  if (keys.includes('static')) {
    if (!check(StaticEntry, entry, path)) return undefined;
    const e = entry as { static: Record<string, ChatUser>; bind?: true; customerId?: string };
    const entries = new Map<string, ChatUser>();
    for (const [key, target] of Object.entries(e.static)) {
      const at = [...path, 'static', key];
      const keyProblem = directoryKeyProblem(key);
      if (keyProblem) report(at, keyProblem);
      else if (!isValidUserId(target.platform, target.userId)) report([...at, 'userId'], `is not a ${target.platform} user id`);
      else entries.set(key, target);
    }
    const bind = bindOf(e, path, report);
    return bind === null ? undefined : { kind: 'static', entries, ...(bind && { bind }) };
  }
  if (keys.includes('directory')) {
    if (!check(DirectoryEntry, entry, path)) return undefined;
    const bind = bindOf(entry as { bind?: true; customerId?: string }, path, report);
    return bind === null ? undefined : { kind: 'directory', ...(bind && { bind }) };
  }
  if (keys.includes('mantago')) {
    if (!check(MantagoEntry, entry, path)) {
      const customerId = (entry as { mantago?: { customerId?: unknown } }).mantago?.customerId;
      if (typeof customerId === 'string') template(customerId, [...path, 'mantago', 'customerId'], report);
      return undefined;
    }
    const { customerId, platform } = (entry as { mantago: { customerId: string; platform?: Platform } }).mantago;
    const compiled = template(customerId, [...path, 'mantago', 'customerId'], report);
    return compiled && { kind: 'mantago', customerId: compiled, ...(platform && { platform }) };
  }
  report(path, 'needs one of attribute (with platform), static, directory: true, or mantago: { customerId }');
  return undefined;
}

/** A rule whose shape is wrong still has its delay and message read, so one run reports every problem. */
function checkTexts(entry: unknown, path: Path, report: Report): void {
  const raw = (entry ?? {}) as { delay?: unknown; maxAge?: unknown; send?: { message?: unknown } };
  if (typeof raw.delay === 'string') {
    const delay = parseDuration(raw.delay);
    if (typeof delay === 'object') report([...path, 'delay'], delay.error);
  }
  if (typeof raw.maxAge === 'string') {
    const maxAge = parseDuration(raw.maxAge, MAX_AGE_MS);
    if (typeof maxAge === 'object') report([...path, 'maxAge'], maxAge.error);
  }
  if (typeof raw.send?.message === 'string') template(raw.send.message, [...path, 'send', 'message'], report);
}

type RawRule = {
  name: string;
  when?: Omit<When, 'event' | 'locale'> & { event?: OrderEvent | OrderEvent[]; locale?: string | string[] };
  delay?: string;
  withdrawnBy?: OrderEvent | OrderEvent[];
  maxAge?: string;
  quietHours?: boolean;
  send?: { intentId?: string; message?: string; fbTag?: FbTag };
  tag?: RawTag;
};

/** The rule, and a warning for a Messenger tag Meta retired (MantaGO still requires one: the operator decides). */
export function toRule(entry: unknown, path: Path, check: Check, report: Report, warn: Report): Rule | undefined {
  if (!check(RuleSchema, entry, path)) {
    checkTexts(entry, path, report);
    return undefined;
  }
  const raw = entry as RawRule;
  const { event, locale, ...conditions } = raw.when ?? {};
  const when: When = {
    ...conditions,
    event: event === undefined ? ['placed'] : Array.isArray(event) ? event : [event],
    ...(locale !== undefined && { locale: (Array.isArray(locale) ? locale : [locale]).map(canonicalLocale) }),
  };
  const withdrawnBy = raw.withdrawnBy === undefined ? undefined : Array.isArray(raw.withdrawnBy) ? raw.withdrawnBy : [raw.withdrawnBy];
  for (const withdrawing of withdrawnBy ?? []) {
    if (when.event.includes(withdrawing))
      report([...path, 'withdrawnBy'], `${withdrawing} is an event of this rule: its own event cannot withdraw it`);
  }
  if (when.minTotal !== undefined && when.maxTotal !== undefined && when.minTotal > when.maxTotal) {
    report([...path, 'when'], 'minTotal is greater than maxTotal, so the rule can never match');
  }
  const delay = raw.delay === undefined ? undefined : parseDuration(raw.delay);
  if (typeof delay === 'object') report([...path, 'delay'], delay.error);
  const maxAge = raw.maxAge === undefined ? undefined : parseDuration(raw.maxAge, MAX_AGE_MS);
  if (typeof maxAge === 'object') report([...path, 'maxAge'], maxAge.error);
  const tags = raw.tag && toTagOps(raw.tag);
  const common = {
    name: raw.name,
    when,
    quietHours: raw.quietHours ?? true,
    ...(typeof delay === 'number' && { delayMs: delay }),
    ...(withdrawnBy && { withdrawnBy }),
    ...(typeof maxAge === 'number' && { maxAgeMs: maxAge }),
    ...(tags && { tags }),
  };
  if (!raw.send) {
    if (!tags) report(path, 'needs send (a message), tag (MantaGO tags), or both');
    return tags && common;
  }
  if ((raw.send.intentId === undefined) === (raw.send.message === undefined)) {
    report([...path, 'send'], 'needs exactly one of intentId (a conversation module) or message (text)');
    return undefined;
  }
  if (raw.send.fbTag !== undefined && when.platform === 'line') report([...path, 'send', 'fbTag'], 'fbTag only applies to facebook');
  const tag = raw.send.fbTag;
  if (when.platform !== 'line' && (tag === undefined || RETIRED_FB_TAGS.includes(tag))) {
    warn(
      tag === undefined ? path : [...path, 'send', 'fbTag'],
      `rule ${raw.name} sends to Messenger with the message tag ${tag ?? 'POST_PURCHASE_UPDATE (the default)'}, which Meta retired in 2026: outside the 24-hour window Messenger may refuse it (MantaGO shows the reason on the delivery)`,
    );
  }
  if (raw.send.message !== undefined) {
    const message = template(raw.send.message, [...path, 'send', 'message'], report);
    return message && { ...common, send: { message, fbTag: raw.send.fbTag } };
  }
  return { ...common, send: { intentId: raw.send.intentId as string, fbTag: raw.send.fbTag } };
}

export function toQuietHours(value: unknown, path: Path, check: Check, report: Report): QuietHours | undefined {
  if (!check(QuietHoursSchema, value, path)) return undefined;
  const parsed = parseQuietHours(value as { from: string; to: string; timeZone: string });
  if ('problems' in parsed) {
    for (const [field, problem] of Object.entries(parsed.problems)) report([...path, field], problem);
    return undefined;
  }
  return parsed;
}
