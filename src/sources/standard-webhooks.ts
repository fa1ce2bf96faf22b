// POST /webhooks/orders: any shop sending the normalized order, signed per the Standard
// Webhooks spec (https://www.standardwebhooks.com/) with the official `standardwebhooks` package,
// which also refuses timestamps more than 5 minutes away.
import { Webhook, WebhookVerificationError } from 'standardwebhooks';
import Type from 'typebox';
import { fromNormalizedPayload, type NormalizedOrderPayload, NormalizedOrderSchema, normalizedOrderProblem } from './normalized-order.ts';
import { header, payloadKind, type WebhookSource } from './source.ts';
import { NORMALIZED } from './names.ts';

const REASONS: Record<string, string> = {
  'Missing required headers': 'missing webhook-id, webhook-timestamp or webhook-signature header',
  'Invalid Signature Headers': 'webhook-timestamp is not a Unix time in seconds',
  'Message timestamp too old': 'webhook-timestamp is more than 5 minutes old',
  'Message timestamp too new': 'webhook-timestamp is more than 5 minutes in the future',
  'No matching signature found': 'webhook-signature does not match the body',
};

const ORDER = payloadKind<NormalizedOrderPayload>({
  schema: NormalizedOrderSchema,
  normalize(payload) {
    const problem = normalizedOrderProblem(payload);
    return problem ? { invalid: problem } : { order: fromNormalizedPayload(payload), scope: payload.shop ?? '' };
  },
});

export const standardWebhooksSource: WebhookSource = {
  name: NORMALIZED,
  path: '/webhooks/orders',
  secret: {
    name: 'WEBHOOK_SECRET',
    schema: Type.String({
      description: 'a Standard Webhooks secret, whsec_ followed by base64; unset disables /webhooks/orders',
      pattern: '^whsec_[A-Za-z0-9+/]{16,}={0,2}$',
    }),
  },
  verifier(secret) {
    const webhook = new Webhook(secret);
    return (raw, headers) => {
      try {
        webhook.verify(
          raw,
          {
            'webhook-id': header(headers, 'webhook-id') ?? '',
            'webhook-timestamp': header(headers, 'webhook-timestamp') ?? '',
            'webhook-signature': header(headers, 'webhook-signature') ?? '',
          },
          { jsonParse: false },
        );
        return { ok: true };
      } catch (error) {
        if (error instanceof WebhookVerificationError)
          return { ok: false, reason: REASONS[error.message] ?? 'signature verification failed' };
        throw error;
      }
    };
  },
  payloadKind: () => ORDER,
  payloadKinds: [ORDER],
};
