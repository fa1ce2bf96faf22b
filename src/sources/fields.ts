// Schema pieces the webhook payloads share: ids that arrive as numbers or strings,
// money amounts as decimal strings or numbers, and fields a shop may send as null.
import Type, { type TSchema } from 'typebox';
import { ORDER_KEY_SEPARATOR } from '../domain/delivery.ts';

/**
 * An order event's key joins its parts with ORDER_KEY_SEPARATOR (U+001F): an id holding it could
 * spell another order's key. A shop's id keeps any other character (a NUL is taken: WooCommerce
 * never sends a refused webhook again); the normalized API refuses every control character.
 */
const NO_SEPARATOR = `^[^${ORDER_KEY_SEPARATOR}]*$`;
const NO_CONTROL = '^[^\\u0000-\\u001f\\u007f-\\u009f]*$';
/** A string that is part of an order event's key (a shop's name, say), in the normalized API. */
export const KeyText = (maxLength: number) =>
  Type.String({ maxLength, pattern: NO_CONTROL, description: `a text of up to ${maxLength} characters without control characters` });

/** A string id `without` what `pattern` refuses, or a whole number (`maximum`: one past 2^53 has lost digits, two orders would be one). */
const idOf = (pattern: string, without: string, maximum: number | undefined, beyond: string) =>
  Type.Union([Type.Integer(maximum === undefined ? {} : { maximum }), Type.String({ minLength: 1, maxLength: 200, pattern })], {
    description: `an id: a string of 1 to 200 characters ${without}, or a whole number ${beyond}`,
  });
const EXACT = 'up to 2^53 - 1 (JSON carries no larger one exactly: send it as a string)';
/** A shop's id (kinds whose ids may pass 2^53 read them as their digits: exactIntegers). */
export const Id = idOf(NO_SEPARATOR, 'without U+001F', Number.MAX_SAFE_INTEGER, EXACT);
/** A Shopify id sent beside its GraphQL id, which keeps the digits a number past 2^53 loses (checked where it is read: shopify.ts). */
export const GraphqlBackedId = idOf(NO_SEPARATOR, 'without U+001F', undefined, '(past 2^53, only beside its admin_graphql_api_id)');
/** An id in the normalized API. */
export const StrictId = idOf(NO_CONTROL, 'without control characters', Number.MAX_SAFE_INTEGER, EXACT);
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
