// Who a message goes to: a user of one of the chat platforms MantaGO broadcasts to.

export const PLATFORMS = ['line', 'facebook'] as const;
export type Platform = (typeof PLATFORMS)[number];

/** What a user id looks like on each platform. */
export const USER_ID_PATTERNS: Record<Platform, RegExp> = {
  line: /^U[0-9a-f]{32}$/, // LINE user id
  facebook: /^\d{1,32}$/, // Messenger page-scoped id (PSID)
};

export function isValidUserId(platform: Platform, userId: string): boolean {
  return USER_ID_PATTERNS[platform].test(userId);
}

export interface ChatUser {
  platform: Platform;
  userId: string;
}

/** A chat user, and how the service found them (for the operator: "attribute line_uid"). */
export type Recipient = ChatUser & { via: string };

/** The kinds of customer key the recipient directory knows: `customer:<id>`, `email:<address>`, `phone:<digits>`. */
export const DIRECTORY_KEY_KINDS = ['customer', 'email', 'phone'] as const;

/** One binding in the recipient directory. */
export interface DirectoryEntry {
  key: string;
  platform: Platform;
  userId: string;
  updatedAt: number;
}

/** Why an event is skipped when no recipient entry finds its customer (followed by what each tried). */
export const NO_CHAT_USER = 'no chat user for this customer';

/** Why a customer who asked the shop for no more chat messages got none (the delivery's reason). */
export const OPTED_OUT_REASON = 'opted out';

/** Where a MantaGO bind (the shop's customer id to a chat user, `bind: true`) stands. */
export const BIND_STATUSES = ['pending', 'bound', 'failed'] as const;
export type BindStatus = (typeof BIND_STATUSES)[number];
/** How a bind went: bound, to be tried again at `retryAt` (counted or not), or given up. */
export type BindOutcome = { status: Exclude<BindStatus, 'pending'> } | { status: 'pending'; retryAt: number; counted: boolean };

/** A chat user MantaGO has bound to a shop's customer id (a member lookup's answer); `isBlock`: they blocked the bot. */
export interface BoundClient {
  clientId: string;
  platform: string;
  isBlock: boolean;
}
