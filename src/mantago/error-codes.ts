// MantaGO's documented `errResponse.code`s (its FAQ page "Error codes"), named once: what each
// means and whose problem it is. The client classifies an answer by its code first and its HTTP
// status second; what each means for a delivery, a lookup or a bind is decided by the module that
// owns that call (delivery/outcome.ts, mantago/members.ts, delivery/binds.ts), by these names.

export const MANTAGO_CODES = {
  /** Token invalid or expired: renew the pair. */
  TOKEN_EXPIRED: 1004,
  /** The pair used is an old one: it was refreshed elsewhere (another holder rotated it). */
  OLD_PAIR: 120000,
  /** Permission denied: the pair is wrong, or the bot's plan has no Open API. */
  PERMISSION_DENIED: 1002,
  /** No such bot: MANTAGO_BOT_ID is wrong. */
  NO_SUCH_BOT: 5001,
  /** The broadcast failed: the bot is not published, or one recipient cannot be reached. */
  BROADCAST_FAILED: 36000,
  /** Required fields missing: a request of ours MantaGO cannot read (a bug of ours). */
  FIELDS_MISSING: 110000,
  /** Binding the shop's id to a user failed. */
  BIND_FAILED: 60001,
  /** Unbinding failed. */
  UNBIND_FAILED: 60002,
  /** Could not get the client (the member). */
  NO_CLIENT: 37011,
} as const;
export type MantagoCodeName = keyof typeof MANTAGO_CODES;

/** Whose problem a code names: it decides whether waiting, retrying or giving up makes sense. */
export const CODE_OWNERS = ['credentials', 'bot', 'configuration', 'bot_or_recipient', 'ours', 'customer', 'member'] as const;
export type CodeOwner = (typeof CODE_OWNERS)[number];

export interface CodeMeaning {
  name: MantagoCodeName;
  code: number;
  meaning: string;
  owner: CodeOwner;
}

/** What each code means and whose problem it is; its number is read from MANTAGO_CODES by its name. */
const MEANINGS: readonly Omit<CodeMeaning, 'code'>[] = [
  { name: 'TOKEN_EXPIRED', meaning: 'the token is invalid or expired', owner: 'credentials' },
  { name: 'OLD_PAIR', meaning: 'this pair is an old one: it was refreshed elsewhere', owner: 'credentials' },
  {
    name: 'PERMISSION_DENIED',
    meaning: "permission denied: the pair is wrong, or the bot's plan has no Open API",
    owner: 'bot',
  },
  { name: 'NO_SUCH_BOT', meaning: 'no such bot: check MANTAGO_BOT_ID', owner: 'configuration' },
  {
    name: 'BROADCAST_FAILED',
    meaning: 'the broadcast failed (the bot is not published, or a recipient)',
    owner: 'bot_or_recipient',
  },
  {
    name: 'FIELDS_MISSING',
    meaning: 'required fields are missing: a request of ours MantaGO cannot read',
    owner: 'ours',
  },
  { name: 'BIND_FAILED', meaning: 'binding the customer failed', owner: 'customer' },
  { name: 'UNBIND_FAILED', meaning: 'unbinding the customer failed', owner: 'customer' },
  { name: 'NO_CLIENT', meaning: 'could not get the client', owner: 'member' },
];

export const CODE_MEANINGS: readonly CodeMeaning[] = MEANINGS.map((m) => ({ ...m, code: MANTAGO_CODES[m.name] }));

/** The documented meaning of `code`, if it is one MantaGO documents. */
export function meaningOf(code: number | undefined): CodeMeaning | undefined {
  return code === undefined ? undefined : CODE_MEANINGS.find((m) => m.code === code);
}

/** Whether `code` is the documented code `name`. */
export const isCode = (code: number | undefined, name: MantagoCodeName): boolean => code === MANTAGO_CODES[name];
