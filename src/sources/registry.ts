// Every webhook source the service knows. Adding a source is one file beside this one and one line here.
import { shopifySource } from './shopify.ts';
import type { WebhookSource } from './source.ts';
import { standardWebhooksSource } from './standard-webhooks.ts';
import { woocommerceSource } from './woocommerce.ts';

export const SOURCES: readonly WebhookSource[] = [shopifySource, woocommerceSource, standardWebhooksSource] as WebhookSource[];

export const SOURCE_NAMES: readonly string[] = SOURCES.map((s) => s.name);
