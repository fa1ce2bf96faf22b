// The words of shop connections, defined once: what a poll came to (the /readyz code, the metric
// label and the store's CHECK all use these), what a webhook repair did, and the sources that have
// a shop API to read (Standard Webhooks has none).
import { SHOPIFY, WOOCOMMERCE } from '../sources/names.ts';

/** What the last call to a shop's API came to. */
export const POLL_OUTCOMES = ['ok', 'unauthorized', 'unreachable', 'throttled'] as const;
export type PollOutcome = (typeof POLL_OUTCOMES)[number];

/** What keeping a shop's webhooks alive did to one of them. */
export const REPAIR_ACTIONS = ['created', 'reactivated', 'failed'] as const;
export type RepairAction = (typeof REPAIR_ACTIONS)[number];

/** The sources whose shop can be read: each has its settings and its connection. */
export const CONNECTED_SOURCES = [SHOPIFY, WOOCOMMERCE] as const;
export type ConnectedSource = (typeof CONNECTED_SOURCES)[number];
