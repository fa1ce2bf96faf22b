// The mapping file's shape, as TypeBox schemas: what each recipient entry and rule may hold.
import Type from 'typebox';
import { FB_TAGS } from '../domain/content.ts';
import { LOCALE_PATTERN, ORDER_EVENTS } from '../domain/order.ts';
import { PLATFORMS } from '../domain/recipient.ts';
import { SOURCE_NAMES } from '../sources/registry.ts';
import { TagSchema } from './tags.ts';

const PlatformSchema = Type.Enum([...PLATFORMS]);
const EventSchema = Type.Enum([...ORDER_EVENTS]);
const Events = Type.Union([EventSchema, Type.Array(EventSchema, { minItems: 1 })]);
const Locale = Type.String({ pattern: LOCALE_PATTERN, maxLength: 35 });
/** `bind: true` binds the customer to the user in MantaGO once sent; `customerId` says which id (customer.id by default). */
const Binding = { bind: Type.Optional(Type.Literal(true)), customerId: Type.Optional(Type.String({ minLength: 1, maxLength: 500 })) };

export const AttributeEntry = Type.Object(
  { attribute: Type.String({ minLength: 1 }), platform: PlatformSchema, ...Binding },
  { additionalProperties: false },
);
export const StaticEntry = Type.Object(
  {
    static: Type.Record(
      Type.String(),
      Type.Object({ platform: PlatformSchema, userId: Type.String({ minLength: 1 }) }, { additionalProperties: false }),
    ),
    ...Binding,
  },
  { additionalProperties: false },
);
export const DirectoryEntry = Type.Object({ directory: Type.Literal(true), ...Binding }, { additionalProperties: false });
export const MantagoEntry = Type.Object(
  {
    mantago: Type.Object(
      { customerId: Type.String({ minLength: 1, maxLength: 500 }), platform: Type.Optional(PlatformSchema) },
      { additionalProperties: false },
    ),
  },
  { additionalProperties: false },
);

export const RuleSchema = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 100 }),
    when: Type.Optional(
      Type.Object(
        {
          event: Type.Optional(Events),
          platform: Type.Optional(PlatformSchema),
          source: Type.Optional(Type.Enum([...SOURCE_NAMES])),
          shop: Type.Optional(Type.String({ minLength: 1 })),
          currency: Type.Optional(Type.String({ pattern: '^[A-Za-z]{3}$' })),
          minTotal: Type.Optional(Type.Number()),
          maxTotal: Type.Optional(Type.Number()),
          locale: Type.Optional(Type.Union([Locale, Type.Array(Locale, { minItems: 1 })])),
        },
        { additionalProperties: false },
      ),
    ),
    delay: Type.Optional(Type.String()),
    withdrawnBy: Type.Optional(Type.Union([EventSchema, Type.Array(EventSchema)])),
    maxAge: Type.Optional(Type.String()),
    quietHours: Type.Optional(Type.Boolean()),
    send: Type.Optional(
      Type.Object(
        {
          intentId: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
          message: Type.Optional(Type.String({ minLength: 1, maxLength: 5000 })),
          fbTag: Type.Optional(Type.Enum([...FB_TAGS])),
        },
        { additionalProperties: false },
      ),
    ),
    tag: Type.Optional(TagSchema),
  },
  { additionalProperties: false },
);

export const QuietHoursSchema = Type.Object(
  { from: Type.String(), to: Type.String(), timeZone: Type.String({ minLength: 1 }) },
  { additionalProperties: false },
);

export const FileSchema = Type.Object(
  {
    quietHours: Type.Optional(Type.Unknown()),
    recipients: Type.Array(Type.Unknown(), { minItems: 1 }),
    rules: Type.Array(Type.Unknown(), { minItems: 1 }),
  },
  { additionalProperties: false },
);
