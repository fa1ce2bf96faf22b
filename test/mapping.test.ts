// The mapping file: validated at startup with the line, column and path of every problem;
// then, per order, who gets which message.
import { describe, expect, test } from 'vitest';
import { parseMapping } from '../src/mapping/mapping-file.ts';
import { problemsOf } from './helpers/mapping.ts';
import { planDelivery } from '../src/mapping/plan.ts';
import type { Order } from '../src/domain/order.ts';
import { EXAMPLE_MAPPING, ISSUE_MAPPING } from './helpers/service.ts';

const order = (overrides: Partial<Order> = {}): Order => ({
  source: 'shopify',
  event: 'placed',
  orderId: '1',
  orderNumber: '#1001',
  shop: 's',
  total: '100.00',
  currency: 'TWD',
  customer: { firstName: 'Mei', email: 'mei@example.com' },
  attributes: {},
  items: [],
  ...overrides,
});

describe('validation', () => {
  test("the issue's example loads as written", () => {
    expect(ISSUE_MAPPING).not.toContain('directory');
    expect(parseMapping(EXAMPLE_MAPPING, 'mapping.yaml').recipients.map((r) => r.kind)).toEqual([
      'attribute',
      'attribute',
      'static',
      'directory',
    ]);
    const mapping = parseMapping(ISSUE_MAPPING, 'mapping.yaml');
    expect(mapping.recipients.map((r) => r.kind)).toEqual(['attribute', 'attribute', 'static']);
    expect(mapping.rules.map((r) => r.name)).toEqual(['big-spender', 'messenger-text', 'default']);
  });

  test("an unknown key does not hide its entry's other problems, and a switch written false is one", () => {
    const yaml = `recipients:
  - attribute: line_uid
    platform: line
    bind: true
    customerId: "{{customer.idd}}"
    extra: 1
  - directory: false
rules:
  - name: a
    when: { event: shipped, minTotal: 10, maxTotal: 5 }
    withdrawnBy: shipped
    colour: red
    send: { intentId: rb2kYmMdW }
quietHours: { from: "22:00", to: "8:00", timeZone: Asia/Taipei, extra: 1 }
`;
    expect(problemsOf(yaml)).toEqual([
      'm.yaml:6:5 recipients[0].extra: unknown key',
      expect.stringMatching(/^m\.yaml:5:5 recipients\[0\]\.customerId: unknown template variable \{\{customer\.idd\}\}/),
      'm.yaml:7:5 recipients[1].directory: must be true',
      'm.yaml:12:5 rules[0].colour: unknown key',
      'm.yaml:11:5 rules[0].withdrawnBy: shipped is an event of this rule: its own event cannot withdraw it',
      'm.yaml:10:5 rules[0].when: minTotal is greater than maxTotal, so the rule can never match',
      'm.yaml:14:65 quietHours.extra: unknown key',
      'm.yaml:14:30 quietHours.to: must be a local time HH:MM, e.g. 22:00',
    ]);
  });

  test('a list where one value is taken, or one value where only a list is, is a problem with its place', () => {
    const yaml = `recipients:
  - attribute: line_uid
    platform: [line, facebook]
rules:
  - name: a
    when: { platform: [line, facebook], source: [shopify] }
    send: { intentId: rb2kYmMdW }
  - name: b
    tag: { add: "6650f1c2a7b3e9d4c8a1b2c3" }
`;
    expect(problemsOf(yaml)).toEqual([
      'm.yaml:3:5 recipients[0].platform: must be one of line, facebook',
      'm.yaml:6:13 rules[0].when.platform: must be one of line, facebook',
      'm.yaml:6:41 rules[0].when.source: must be one of shopify, woocommerce, orders',
      'm.yaml:9:12 rules[1].tag.add: must be array',
    ]);
    expect(problemsOf('recipients: directory\nrules: default\n')).toEqual([
      'm.yaml:1:1 recipients: must be array',
      'm.yaml:2:1 rules: must be array',
    ]);
  });

  test('an unknown template variable is a startup error with its place', () => {
    const yaml = ISSUE_MAPPING.replace('{{customer.firstName}}', '{{customer.first_name}}');
    expect(problemsOf(yaml)).toEqual([
      expect.stringMatching(
        /^m\.yaml:17:7 rules\[1\]\.send\.message: unknown template variable \{\{customer\.first_name\}\}; known: order\.id, /,
      ),
    ]);
  });

  test('every problem is reported at once, each with line, column and path', () => {
    const yaml = `recipients:
  - attribute: line_uid
    platform: whatsapp
  - static:
      "Email:X@Y": { platform: line, userId: "U1" }
      "phone:0912-345": { platform: line, userId: "U4af4980629ab33c3c2f0c1d9d2a1b2c3" }
  - nothing: here
rules:
  - name: a
    when: { platfrom: line, minTotal: 10, maxTotal: 5 }
    send: { intentId: x, message: y }
  - name: a
    send: { message: "{{order.number" }
  - name: c
    send: { intentId: z, fbTag: LOL }
`;
    expect(problemsOf(yaml)).toEqual([
      'm.yaml:3:5 recipients[0].platform: must be one of line, facebook',
      'm.yaml:5:7 recipients[1].static["Email:X@Y"]: key must start with customer:, email: or phone:',
      'm.yaml:6:7 recipients[1].static["phone:0912-345"]: phone keys are digits only, e.g. phone:886912345678',
      'm.yaml:7:5 recipients[2]: needs one of attribute (with platform), static, directory: true, or mantago: { customerId }',
      'm.yaml:10:13 rules[0].when.platfrom: unknown key',
      'm.yaml:10:5 rules[0].when: minTotal is greater than maxTotal, so the rule can never match',
      'm.yaml:11:5 rules[0].send: needs exactly one of intentId (a conversation module) or message (text)',
      'm.yaml:12:5 rules[1].name: duplicate rule name a',
      expect.stringMatching(/^m\.yaml:13:13 rules\[1\]\.send\.message: unbalanced \{\{ \}\}/),
      'm.yaml:15:26 rules[2].send.fbTag: must be one of POST_PURCHASE_UPDATE, CONFIRMED_EVENT_UPDATE, ACCOUNT_UPDATE, HUMAN_AGENT',
    ]);
  });

  test('mistakes in mantago entries, events, delays and quiet hours are reported together, each with its place', () => {
    const yaml = `quietHours: { from: "25:00", to: "08:00", timeZone: Mars/Base }
recipients:
  - mantago: { customerId: "{{customer.uid}}" }
  - mantago: { customerId: "{{customer.email}}", platform: whatsapp }
  - mantago: { customerId: "{{customer.id}}", bind: true }
  - attribute: line_uid
    platform: line
    customerId: "{{customer.email}}"
rules:
  - name: a
    when: { event: returned }
    delay: soon
    send: { intentId: x }
  - name: b
    when: { event: [placed, returned] }
    quietHours: sometimes
    send: { message: "{{order.nubmer}}" }
`;
    expect(problemsOf(yaml)).toEqual([
      expect.stringMatching(/^m\.yaml:3:16 recipients\[0\]\.mantago\.customerId: unknown template variable \{\{customer\.uid\}\}; known: /),
      'm.yaml:4:50 recipients[1].mantago.platform: must be one of line, facebook',
      'm.yaml:5:47 recipients[2].mantago.bind: unknown key',
      'm.yaml:8:5 recipients[3].customerId: only applies with bind: true',
      'm.yaml:11:13 rules[0].when.event: must be one of placed, shipped, cancelled, refunded, in_transit, out_for_delivery, delivery_attempted, delivered, ready_for_pickup, delivery_failed',
      'm.yaml:12:5 rules[0].delay: must be a duration such as 30s, 10m, 2h or 7d',
      'm.yaml:15:29 rules[1].when.event[1]: must be one of placed, shipped, cancelled, refunded, in_transit, out_for_delivery, delivery_attempted, delivered, ready_for_pickup, delivery_failed',
      'm.yaml:16:5 rules[1].quietHours: must be boolean',
      expect.stringMatching(/^m\.yaml:17:13 rules\[1\]\.send\.message: unknown template variable \{\{order\.nubmer\}\}/),
      'm.yaml:1:15 quietHours.from: must be a local time HH:MM, e.g. 22:00',
      'm.yaml:1:43 quietHours.timeZone: must be an IANA time zone, e.g. Asia/Taipei',
    ]);
  });

  test('mistakes in withdrawnBy, locale and a delay beyond 30 days are reported together, each with its place', () => {
    const yaml = `recipients: [{ attribute: a, platform: line }]
rules:
  - name: review
    when: { event: delivered, locale: [zh-TW, "chinese!"] }
    delay: 31d
    withdrawnBy: [refunded, delivered, returned]
    send: { intentId: x }
  - name: ok
    when: { event: ready_for_pickup, locale: zh }
    delay: 30d
    withdrawnBy: delivery_failed
    send: { intentId: y }
`;
    expect(problemsOf(yaml)).toEqual([
      expect.stringMatching(/^m\.yaml:4:47 rules\[0\]\.when\.locale\[1\]: must match pattern/),
      expect.stringMatching(/^m\.yaml:6:40 rules\[0\]\.withdrawnBy\[2\]: must be one of placed, shipped/),
      'm.yaml:5:5 rules[0].delay: must be between 1s and 30d',
    ]);
    const mapping = parseMapping(
      yaml.replace('"chinese!"', 'zh-HK').replace('31d', '7d').replace(', returned', '').replace(', delivered', ''),
      'm.yaml',
    );
    expect(mapping.rules.map((r) => [r.when.locale, r.delayMs, r.withdrawnBy])).toEqual([
      [['zh-tw', 'zh-hk'], 7 * 86_400_000, ['refunded']],
      [['zh'], 30 * 86_400_000, ['delivery_failed']],
    ]);
    expect(problemsOf(yaml.replace(', returned', '').replace('"chinese!"', 'zh').replace('31d', '7d'))).toEqual([
      'm.yaml:6:5 rules[0].withdrawnBy: delivered is an event of this rule: its own event cannot withdraw it',
    ]);
  });

  test('a retired Messenger tag, or none (the default is retired), is a warning with its place, not an error', () => {
    const mapping = parseMapping(
      'recipients: [{ attribute: a, platform: facebook }]\nrules:\n  - name: fb\n    send: { intentId: x, fbTag: ACCOUNT_UPDATE }\n  - name: agent\n    send: { intentId: y, fbTag: HUMAN_AGENT }\n  - name: plain\n    send: { intentId: z }\n',
      'm.yaml',
    );
    expect(mapping.warnings).toEqual([
      expect.stringMatching(
        /^m\.yaml:4:26 rules\[0\]\.send\.fbTag: rule fb sends to Messenger with the message tag ACCOUNT_UPDATE, which Meta retired in 2026/,
      ),
      expect.stringMatching(
        /^m\.yaml:7:5 rules\[2\]: rule plain sends to Messenger with the message tag POST_PURCHASE_UPDATE \(the default\)/,
      ),
    ]);
  });

  test('a rule that sends both or neither of intentId and message is refused', () => {
    expect(problemsOf('recipients: [{ attribute: a, platform: line }]\nrules:\n  - name: n\n    send: {}\n')).toEqual([
      'm.yaml:4:5 rules[0].send: needs exactly one of intentId (a conversation module) or message (text)',
    ]);
  });

  test('an empty list does not hide the problems in the rest of the file', () => {
    expect(problemsOf('recipients: []\nrules:\n  - name: x\n    send: { message: "Hi {{customer.nickname}}" }\n')).toEqual([
      'm.yaml:1:1 recipients: needs at least one entry',
      expect.stringMatching(/^m\.yaml:4:13 rules\[0\]\.send\.message: unknown template variable \{\{customer\.nickname\}\}/),
    ]);
  });

  test('a static user id must be valid for its platform', () => {
    expect(
      problemsOf(
        'recipients:\n  - static: { "customer:1": { platform: facebook, userId: "U4af4980629ab33c3c2f0c1d9d2a1b2c3" } }\nrules: [{ name: d, send: { intentId: x } }]\n',
      ),
    ).toEqual(['m.yaml:2:51 recipients[0].static["customer:1"].userId: is not a facebook user id']);
  });
});

describe('planning a delivery', () => {
  const mapping = parseMapping(ISSUE_MAPPING, 'mapping.yaml');
  const PLAN = { lookups: {}, receivedAt: 0, now: 0 };

  test('the recipient comes from the first source that knows the customer', async () => {
    const plan = await planDelivery(
      order({ attributes: { line_uid: 'U0123456789abcdef0123456789abcdef', messenger_psid: '123' } }),
      mapping,
      PLAN,
    );
    expect(plan).toMatchObject({
      kind: 'send',
      recipient: { platform: 'line', userId: 'U0123456789abcdef0123456789abcdef', via: 'attribute line_uid' },
    });
  });

  test('minTotal is inclusive and compares the amount as a number', async () => {
    const line = { line_uid: 'U0123456789abcdef0123456789abcdef' };
    expect(await planDelivery(order({ attributes: line, total: '5000.00' }), mapping, PLAN)).toMatchObject({
      rule: 'big-spender',
      content: { intentId: 'VIPmodule9' },
    });
    expect(await planDelivery(order({ attributes: line, total: '4999.99' }), mapping, PLAN)).toMatchObject({ rule: 'default' });
  });

  test('a template missing a value passes to the next rule, never sending a blank', async () => {
    const plan = await planDelivery(order({ customer: {}, attributes: { messenger_psid: '1234567' } }), mapping, PLAN);
    // messenger-text needs customer.firstName; default sends the module, with Messenger's required tag.
    expect(plan).toMatchObject({ kind: 'send', rule: 'default', content: { intentId: 'rb2kYmMdW', fbTag: 'POST_PURCHASE_UPDATE' } });
  });

  test('a value of spaces alone is missing too (its fallback, or the next rule); spaces around a value are dropped', async () => {
    const withFallback = parseMapping(
      'recipients: [{ attribute: psid, platform: facebook }]\nrules: [{ name: t, send: { message: \'Hi {{customer.firstName | "there"}}, order {{order.number}}\' } }, { name: d, send: { intentId: x } }]\n',
      'm.yaml',
    );
    const plan = (firstName: string, orderNumber: string) =>
      planDelivery(order({ customer: { firstName }, orderNumber, attributes: { psid: '99' } }), withFallback, PLAN);
    expect(await plan('   ', ' A-1 ')).toMatchObject({ rule: 't', content: { message: 'Hi there, order A-1' } });
    expect(await plan('\n', ' ')).toMatchObject({ rule: 'd', content: { intentId: 'x' } });
  });

  test('a fallback fills a missing value', async () => {
    const withFallback = parseMapping(
      'recipients: [{ attribute: psid, platform: facebook }]\nrules: [{ name: t, send: { message: \'Hi {{customer.firstName | "there"}}, {{order.total}} {{order.currency}} paid. {{attributes.gift}}\' } }]\n',
      'm.yaml',
    );
    expect(await planDelivery(order({ customer: {}, attributes: { psid: '99', gift: 'wrapped' } }), withFallback, PLAN)).toMatchObject({
      content: { message: 'Hi there, 100.00 TWD paid. wrapped', fbTag: 'POST_PURCHASE_UPDATE' },
    });
  });

  test('an attribute named as a property every object has (constructor, toString) is none of the order: its fallback, never code', async () => {
    const named = parseMapping(
      'recipients: [{ attribute: psid, platform: facebook }]\nrules: [{ name: t, send: { message: \'Hi {{attributes.constructor | "there"}} {{attributes.toString | "friend"}}\' } }]\n',
      'm.yaml',
    );
    expect(await planDelivery(order({ attributes: { psid: '99' } }), named, PLAN)).toMatchObject({
      content: { message: 'Hi there friend' },
    });
    const given = order({ attributes: { psid: '99', constructor: 'Ann', toString: 'Lee' } });
    expect(await planDelivery(given, named, PLAN)).toMatchObject({ content: { message: 'Hi Ann Lee' } });
    // Nor does a recipient entry reading such an attribute find one (it threw: a function has no trim).
    const byToString = parseMapping(
      'recipients: [{ attribute: toString, platform: facebook }]\nrules: [{ name: d, send: { intentId: x } }]\n',
      'm.yaml',
    );
    expect(await planDelivery(order(), byToString, PLAN)).toMatchObject({ kind: 'skip' });
  });

  test("a message the order's values make longer than its platform takes (LINE 5,000, Messenger 2,000): the rule is passed over for the next, or skipped saying so", async () => {
    const rules = "rules:\n  - { name: long, send: { message: 'Order {{order.number}} is confirmed' } }\n";
    const on = (platform: string) => `recipients: [{ attribute: uid, platform: ${platform} }]\n`;
    const orNext = parseMapping(`${on('facebook')}${rules}  - { name: module, send: { intentId: x } }\n`, 'm.yaml');
    const numbered = (length: number, uid: string) => order({ orderNumber: '#'.repeat(length), attributes: { uid } });
    expect(await planDelivery(numbered(2000, '99'), orNext, PLAN)).toMatchObject({
      kind: 'send',
      rule: 'module',
      content: { intentId: 'x' },
    });
    for (const [platform, uid, most] of [
      ['facebook', '99', 2000],
      ['line', 'U4af4980629ab33c3c2f0c1d9d2a1b2c3', 5000],
    ] as const) {
      const text = parseMapping(`${on(platform)}${rules}`, 'm.yaml');
      expect(await planDelivery(numbered(most, uid), text, PLAN)).toEqual({
        kind: 'skip',
        reason: `no rule could be used: rule long's message would be ${most + 19} UTF-16 code units; ${platform === 'line' ? 'LINE' : 'Messenger'} takes at most ${most}`,
      });
      expect(await planDelivery(numbered(most - 19, uid), text, PLAN)).toMatchObject({
        kind: 'send',
        content: { message: expect.any(String) },
      });
    }
  });

  test('no recipient: skipped, saying what was tried', async () => {
    expect(await planDelivery(order({ customer: { email: 'someone@example.com' } }), mapping, PLAN)).toEqual({
      kind: 'skip',
      reason: 'no chat user for this customer: no line_uid attribute; no messenger_psid attribute; no static entry for this customer',
    });
  });

  test('static keys match e-mail case-insensitively and phones by digits', async () => {
    const m = parseMapping(
      'recipients:\n  - static:\n      "phone:886912345678": { platform: line, userId: "U0123456789abcdef0123456789abcdef" }\nrules: [{ name: d, send: { intentId: x } }]\n',
      'm.yaml',
    );
    expect(await planDelivery(order({ customer: { phone: '+886 912-345-678' } }), m, PLAN)).toMatchObject({
      recipient: { via: 'static phone:886912345678' },
    });
    expect(await planDelivery(order({ customer: { email: 'VIP@Example.com' } }), mapping, PLAN)).toMatchObject({
      recipient: { via: 'static email:vip@example.com' },
    });
  });
});
