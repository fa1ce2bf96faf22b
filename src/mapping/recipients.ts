// Who gets the message: the mapping file's `recipients` sources, tried in order, first hit wins.
import type { Order } from '../domain/order.ts';
import { isValidUserId, type ChatUser, type Platform, type Recipient } from '../domain/recipient.ts';
import { customerKeys } from './directory-keys.ts';

export type RecipientSource =
  | { kind: 'attribute'; attribute: string; platform: Platform }
  | { kind: 'static'; entries: ReadonlyMap<string, ChatUser> }
  | { kind: 'directory' };

/** Looks customer keys up in the recipient directory; the first key found wins. */
export type DirectoryLookup = (keys: string[]) => Promise<{ key: string; user: ChatUser } | undefined>;

export type RecipientResult = { recipient: Recipient } | { reason: string };

export async function findRecipient(
  order: Order,
  sources: readonly RecipientSource[],
  directory?: DirectoryLookup,
): Promise<RecipientResult> {
  const tried: string[] = [];
  const keys = customerKeys(order.customer);
  for (const source of sources) {
    if (source.kind === 'attribute') {
      const value = order.attributes[source.attribute]?.trim();
      if (value && isValidUserId(source.platform, value)) {
        return { recipient: { platform: source.platform, userId: value, via: `attribute ${source.attribute}` } };
      }
      tried.push(value ? `attribute ${source.attribute} is not a ${source.platform} user id` : `no ${source.attribute} attribute`);
    } else if (source.kind === 'static') {
      const key = keys.find((k) => source.entries.has(k));
      if (key) return { recipient: { ...(source.entries.get(key) as ChatUser), via: `static ${key}` } };
      tried.push('no static entry for this customer');
    } else {
      const found = directory && keys.length > 0 ? await directory(keys) : undefined;
      if (found) return { recipient: { ...found.user, via: `directory ${found.key}` } };
      tried.push(directory ? 'no directory entry for this customer' : 'the recipient directory is not available');
    }
  }
  return { reason: `no chat user for this customer: ${tried.join('; ')}` };
}
