// What a message is: a MantaGO conversation module or a text, and for Messenger its message tag.

/** Facebook's message tags; MantaGO requires one for Messenger broadcasts. */
export const FB_TAGS = ['POST_PURCHASE_UPDATE', 'CONFIRMED_EVENT_UPDATE', 'ACCOUNT_UPDATE', 'HUMAN_AGENT'] as const;
export type FbTag = (typeof FB_TAGS)[number];
/** An order confirmation is what POST_PURCHASE_UPDATE is for. */
export const DEFAULT_FB_TAG: FbTag = 'POST_PURCHASE_UPDATE';

export interface Content {
  intentId?: string;
  message?: string;
  fbTag?: FbTag;
}
