// Schema pieces the webhook payloads share: ids that arrive as numbers or strings,
// money amounts as decimal strings or numbers, and fields a shop may send as null.
import Type, { type TSchema } from 'typebox';

/** No control character: the parts of an order event's key (domain/delivery.ts) are joined by one, so another order's key could be spelled with it. */
const NO_CONTROL = '^[^\\u0000-\\u001f\\u007f-\\u009f]*$';
/** A string that is part of an order event's key (a shop's name, say). */
export const KeyText = (maxLength: number) =>
  Type.String({ maxLength, pattern: NO_CONTROL, description: `a text of up to ${maxLength} characters without control characters` });

/**
 * An id is exact, and holds no control character. A JSON number past 2^53 has lost digits: two
 * orders would be one. Kinds whose ids may pass it read them as their digits (exactIntegers).
 */
export const Id = Type.Union(
  [Type.Integer({ maximum: Number.MAX_SAFE_INTEGER }), Type.String({ minLength: 1, maxLength: 200, pattern: NO_CONTROL })],
  {
    description:
      'an id: a string of 1 to 200 characters without control characters, or a whole number up to 2^53 - 1 (JSON carries no larger one exactly: send it as a string)',
  },
);
/** Up to 15 digits before the point: a sum of them stays a number a customer can read (not 1e+35 nor Infinity). */
const AMOUNT_LIMIT = 1e15;
export const Amount = Type.Union(
  [
    Type.String({ pattern: '^-?[0-9]{1,15}(\\.[0-9]+)?$', maxLength: 40 }),
    Type.Number({ minimum: -AMOUNT_LIMIT, exclusiveMaximum: AMOUNT_LIMIT }),
  ],
  { description: 'an amount: a decimal number of at most 15 digits before its point, as a string or a number' },
);
export const Currency = Type.String({ pattern: '^[A-Za-z]{3}$', description: 'an ISO 4217 currency code, such as TWD' });
export const Nullable = <T extends TSchema>(schema: T) => Type.Optional(Type.Union([schema, Type.Null()]));
