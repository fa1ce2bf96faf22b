// What a message is: a MantaGO conversation module or a text, and for Messenger its message tag.
import type { Platform } from './recipient.ts';

/** Facebook's message tags; MantaGO requires one for Messenger broadcasts. */
export const FB_TAGS = ['POST_PURCHASE_UPDATE', 'CONFIRMED_EVENT_UPDATE', 'ACCOUNT_UPDATE', 'HUMAN_AGENT'] as const;
export type FbTag = (typeof FB_TAGS)[number];
/**
 * Meta retired these in 2026 (sends with them fail with Graph API error 100 outside the 24-hour
 * window); MantaGO still requires a tag for Messenger, so they stay allowed, with a warning.
 */
export const RETIRED_FB_TAGS: readonly FbTag[] = ['POST_PURCHASE_UPDATE', 'CONFIRMED_EVENT_UPDATE', 'ACCOUNT_UPDATE'];
/** An order confirmation is what POST_PURCHASE_UPDATE was for; MantaGO requires a tag. */
export const DEFAULT_FB_TAG: FbTag = 'POST_PURCHASE_UPDATE';

/** The longest text a broadcast carries, in UTF-16 code units (as LINE counts a text message's characters; an emoji is two). */
export const MESSAGE_MAX_LENGTH = 5000;
/** Per platform: Messenger's Send API takes 2,000 characters of text (counted here as UTF-16 code units, never more than its characters). */
export const MESSAGE_MAX_LENGTHS: Readonly<Record<Platform, number>> = { line: MESSAGE_MAX_LENGTH, facebook: 2000 };
/** The limit as said to whoever wrote a text too long for it (`LINE takes at most 5000`). */
export const textLimitOf = (platform: Platform): string =>
  `${platform === 'line' ? 'LINE' : 'Messenger'} takes at most ${MESSAGE_MAX_LENGTHS[platform]}`;

export interface Content {
  intentId?: string;
  message?: string;
  fbTag?: FbTag;
}
