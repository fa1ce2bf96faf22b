// Who gets the message: the mapping file's `recipients` entries, tried in order, first hit wins.
// Each try is recorded as a step, so the operator can see why a customer got nothing.
import type { Order } from '../domain/order.ts';
import {
  type BoundClient,
  type ChatUser,
  isValidUserId,
  NO_CHAT_USER,
  PLATFORMS,
  type Platform,
  type Recipient,
} from '../domain/recipient.ts';
import { customerKeys } from './directory-keys.ts';
import { renderTemplate, type Template } from './template.ts';

/** `bind: true`: once sent, bind the customer's id (customer.id, or the entry's own template) to the user in MantaGO. */
export interface Bind {
  customerId: Template;
}

export type RecipientEntry =
  | { kind: 'attribute'; attribute: string; platform: Platform; bind?: Bind }
  | { kind: 'static'; entries: ReadonlyMap<string, ChatUser>; bind?: Bind }
  | { kind: 'directory'; bind?: Bind }
  /** MantaGO's member binding: the users bound to the shop's id for this customer (rendered from `customerId`). */
  | { kind: 'mantago'; customerId: Template; platform?: Platform };

/** Looks customer keys up in the recipient directory; the first key found wins. */
export type DirectoryLookup = (keys: string[]) => Promise<{ key: string; user: ChatUser } | undefined>;

/** The users MantaGO has bound to `customerId` (on `platform`, if given). Throws when MantaGO cannot be asked. */
/** MantaGO's answer for a customer id; `notAsked` says why MantaGO was not asked at all (DRY_RUN). */
export type MemberLookup = (
  customerId: string,
  platform: Platform | undefined,
) => Promise<{ clients: BoundClient[]; cached: boolean; notAsked?: string }>;

export interface Lookups {
  directory?: DirectoryLookup;
  /** Absent where no MantaGO call may be made (the webhook's answer path): a `mantago` entry then defers to the worker. */
  members?: MemberLookup;
}

export interface Step {
  entry: string;
  found: string;
  /** A `mantago` entry's question and MantaGO's answer. */
  mantago?: { customerId: string; clients: BoundClient[]; cached: boolean };
}

export type Resolution =
  | { recipient: Recipient; bindCustomerId?: string }
  | { skip: string }
  /** The entry at `at` needs MantaGO: the worker resolves the order (the whole list again, with MantaGO). */
  | { defer: number };

export const describeEntry = (entry: RecipientEntry): string => {
  switch (entry.kind) {
    case 'attribute':
      return `attribute ${entry.attribute}`;
    case 'static':
      return 'static';
    case 'directory':
      return 'directory';
    case 'mantago':
      return `mantago customerId ${entry.customerId.source}${entry.platform ? ` on ${entry.platform}` : ''}`;
  }
};

const bindOf = (entry: RecipientEntry, order: Order): string | undefined => {
  if (entry.kind === 'mantago' || !entry.bind) return undefined;
  const rendered = renderTemplate(entry.bind.customerId, order);
  return 'text' in rendered ? rendered.text : undefined;
};

const broadcastable = (platform: string): platform is Platform => (PLATFORMS as readonly string[]).includes(platform);

/** The platforms MantaGO has users of the customer on that broadcasts cannot reach (instagram, whatsapp, liveChat), once each. */
const unreachablePlatforms = (clients: readonly BoundClient[]): string[] => [
  ...new Set(clients.filter((c) => !broadcastable(c.platform)).map((c) => c.platform)),
];

/** Tries the entries in order; every try is a step. */
export async function resolveRecipient(
  order: Order,
  entries: readonly RecipientEntry[],
  lookups: Lookups,
): Promise<{ resolution: Resolution; steps: Step[] }> {
  const steps: Step[] = [];
  const keys = customerKeys(order.customer);
  const hit = (entry: RecipientEntry, recipient: Recipient) => {
    steps.push({ entry: describeEntry(entry), found: `${recipient.platform} user ${recipient.userId}` });
    const bindCustomerId = bindOf(entry, order);
    return { resolution: { recipient, ...(bindCustomerId && { bindCustomerId }) }, steps };
  };
  for (let i = 0; i < entries.length; i++) {
    const entry = entries[i] as RecipientEntry;
    const miss = (found: string) => steps.push({ entry: describeEntry(entry), found });
    if (entry.kind === 'attribute') {
      // The order's own attribute only (`toString` of a plain object is none).
      const value = Object.hasOwn(order.attributes, entry.attribute) ? order.attributes[entry.attribute]?.trim() : undefined;
      if (value && isValidUserId(entry.platform, value))
        return hit(entry, { platform: entry.platform, userId: value, via: `attribute ${entry.attribute}` });
      miss(value ? `attribute ${entry.attribute} is not a ${entry.platform} user id` : `no ${entry.attribute} attribute`);
    } else if (entry.kind === 'static') {
      const key = keys.find((k) => entry.entries.has(k));
      if (key) return hit(entry, { ...(entry.entries.get(key) as ChatUser), via: `static ${key}` });
      miss('no static entry for this customer');
    } else if (entry.kind === 'directory') {
      const found = lookups.directory && keys.length > 0 ? await lookups.directory(keys) : undefined;
      if (found) return hit(entry, { ...found.user, via: `directory ${found.key}` });
      miss(lookups.directory ? 'no directory entry for this customer' : 'the recipient directory is not available');
    } else {
      const rendered = renderTemplate(entry.customerId, order);
      if (!('text' in rendered)) {
        miss(`the order has no ${rendered.missing} to ask MantaGO with`);
        continue;
      }
      if (!lookups.members) return { resolution: { defer: i }, steps };
      const { clients, cached, notAsked } = await lookups.members(rendered.text, entry.platform);
      if (notAsked) {
        miss(`MantaGO not asked about ${rendered.text}: ${notAsked}`);
        continue;
      }
      const reachable = clients.filter((c) => broadcastable(c.platform) && (!entry.platform || c.platform === entry.platform));
      const open = reachable.find((c) => !c.isBlock && isValidUserId(c.platform as Platform, c.clientId));
      const source = cached ? 'MantaGO (cached)' : 'MantaGO';
      const answer = { mantago: { customerId: rendered.text, clients, cached } };
      if (open) {
        steps.push({
          entry: describeEntry(entry),
          found: `${source}: ${open.platform} user ${open.clientId} bound to ${rendered.text}`,
          ...answer,
        });
        return {
          resolution: {
            recipient: { platform: open.platform as Platform, userId: open.clientId, via: `mantago customer ${rendered.text}` },
          },
          steps,
        };
      }
      if (reachable.length > 0) {
        steps.push({ entry: describeEntry(entry), found: `${source}: every user bound to ${rendered.text} blocked the bot`, ...answer });
        return { resolution: { skip: 'blocked the bot' }, steps };
      }
      const elsewhere = unreachablePlatforms(clients);
      if (elsewhere.length > 0) {
        const only = `only on ${elsewhere.join(' and ')}, which broadcasts cannot reach (they go to ${PLATFORMS.join(' and ')})`;
        steps.push({ entry: describeEntry(entry), found: `${source}: ${rendered.text} is bound ${only}`, ...answer });
        return { resolution: { skip: `the customer is bound on MantaGO ${only}` }, steps };
      }
      steps.push({
        entry: describeEntry(entry),
        found: `${source}: no user bound to ${rendered.text}${entry.platform ? ` on ${entry.platform}` : ''}`,
        ...answer,
      });
    }
  }
  return { resolution: { skip: `${NO_CHAT_USER}: ${steps.map((s) => s.found).join('; ')}` }, steps };
}
