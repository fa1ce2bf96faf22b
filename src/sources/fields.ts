// Schema pieces the webhook payloads share: ids that arrive as numbers or strings,
// money amounts as decimal strings or numbers, and fields a shop may send as null.
import Type, { type TSchema } from 'typebox';

export const Id = Type.Union([Type.Integer(), Type.String({ minLength: 1, maxLength: 200 })]);
export const Amount = Type.Union([Type.String({ pattern: '^-?[0-9]+(\\.[0-9]+)?$', maxLength: 40 }), Type.Number()]);
export const Currency = Type.String({ pattern: '^[A-Za-z]{3}$', description: 'ISO 4217 code' });
export const Nullable = <T extends TSchema>(schema: T) => Type.Optional(Type.Union([schema, Type.Null()]));
