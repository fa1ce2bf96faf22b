// Bad input gets a 4xx that says what is wrong, never a 500; what is not an order is acknowledged.
import { describe, expect, test } from 'vitest';
import type { MantagoSimulator } from '../simulator/simulator.ts';
import { ADMIN_TOKEN, serviceForFile, type TestService } from './helpers/service.ts';
import { normalizedOrder, shopifyOrder, shopifyRefund, shopifyRequest, standardRequest, wooOrder, wooRequest } from './helpers/webhooks.ts';

let sim: MantagoSimulator;
let service: TestService;
serviceForFile((started) => ({ sim, service } = started));

describe('bad input gets a 4xx that says what is wrong', () => {
  test('a signed payload missing a required field: 400 naming the field', async () => {
    const { total_price: _omitted, ...order } = shopifyOrder();
    const answer = await service.app.inject(shopifyRequest(order));
    expect(answer.statusCode).toBe(400);
    expect(answer.json()).toMatchObject({ code: 'INVALID_PAYLOAD' });
    expect(answer.json().message).toContain('total_price');
  });

  test('an id JSON cannot carry exactly (past 2^53), or spelled with a control character: 400 naming it, never another order', async () => {
    // Without its GraphQL id, 9007199254740993 would be read as 9007199254740992: another order, answered "duplicate".
    const { admin_graphql_api_id: _gid, ...order } = shopifyOrder();
    const big = await service.app.inject(shopifyRequest(JSON.stringify({ ...order, id: 1 }).replace('"id":1', '"id":9007199254740993')));
    expect(big.statusCode).toBe(400);
    expect(big.json()).toMatchObject({
      code: 'INVALID_PAYLOAD',
      message: 'body/id is a number past 2^53 without its admin_graphql_api_id: JSON carries no such number exactly',
    });
    // A customer's is left out, not the order: read rounded it could name another customer, whose chat would get the message.
    const { admin_graphql_api_id: _cgid, ...customer } = shopifyOrder().customer as Record<string, unknown>;
    const theirs = JSON.stringify(shopifyOrder({ customer: { ...customer, id: 2 } })).replace('"id":2', '"id":9007199254740993');
    const taken = await service.app.inject(shopifyRequest(theirs));
    expect(taken.statusCode).toBe(202);
    const auth = { authorization: `Bearer ${ADMIN_TOKEN}` };
    const stored = (await service.app.inject({ url: `/admin/deliveries/${taken.json().deliveryId}`, headers: auth })).json();
    expect(stored).toMatchObject({ customerId: null, customerEmail: 'mei@example.com' });
    // WooCommerce sends no GraphQL id: past 2^53 its id is no id.
    const woo = await service.app.inject(wooRequest(JSON.stringify(wooOrder({ id: 3 })).replace('"id":3', '"id":9007199254740993')));
    expect(woo.json().message).toMatch(
      /^body\/id must be an id: .* a whole number up to 2\^53 - 1 \(JSON carries no larger one exactly: send it as a string\)$/,
    );
    // The parts of an order event's key are joined by U+001F: "5555\u001fcancelled" would take order 5555's cancellation's key.
    // A shop's other characters are taken (WooCommerce never sends a refused webhook again): a NUL, a tab.
    const joined = await service.app.inject(wooRequest(wooOrder({ id: '5555\u001fcancelled' })));
    expect(joined.statusCode).toBe(400);
    expect(joined.json().message).toMatch(/^body\/id must be an id: a string of 1 to 200 characters without U\+001F, /);
    expect((await service.app.inject(wooRequest(wooOrder({ id: 'W\t1' })))).statusCode).toBe(202);
  });

  test('an amount no customer could read (1e+35, Infinity once summed): 400 naming it', async () => {
    const refund = await service.app.inject(shopifyRequest(shopifyRefund(1001, '1'.repeat(36)), { topic: 'refunds/create' }));
    expect(refund.statusCode).toBe(400);
    expect(refund.json().message).toBe(
      'body/transactions/0/amount must be an amount: a decimal number of at most 15 digits before its point, as a string or a number, or null',
    );
    const woo = await service.app.inject(wooRequest(wooOrder({ status: 'refunded', refunds: [{ total: 1e308 }, { total: 1e308 }] })));
    expect(woo.statusCode).toBe(400);
    expect(woo.json().message).toMatch(/^body\/refunds\/0\/total must be an amount/);
    const fine = await service.app.inject(wooRequest(wooOrder({ total: '999999999999999.99' })));
    expect(fine.statusCode).toBe(202);
  });

  test('a field that may be null, sent too long or of another type: 400 saying what is wrong with it, not only "wrong type"', async () => {
    const long = await service.app.inject(shopifyRequest(shopifyOrder({ cancel_reason: 'x'.repeat(300) }), { topic: 'orders/cancelled' }));
    expect(long.statusCode).toBe(400);
    expect(long.json().message).toBe('body/cancel_reason must not have more than 200 characters');
    const other = await service.app.inject(shopifyRequest(shopifyOrder({ cancel_reason: 7 }), { topic: 'orders/cancelled' }));
    expect(other.json().message).toBe('body/cancel_reason must be string');
  });

  test('valid JSON nested thousands deep: 400 saying so, not that it is not JSON', async () => {
    const deep = `{"id":1,"order_id":2,"x":${'['.repeat(20_000)}${']'.repeat(20_000)}}`;
    const answer = await service.app.inject(shopifyRequest(deep, { topic: 'refunds/create' }));
    expect(answer.statusCode).toBe(400);
    expect(answer.json()).toMatchObject({ code: 'INVALID_PAYLOAD', message: 'body nests arrays or objects deeper than any order does' });
  });

  test('a signed body that is not JSON: 400', async () => {
    const request = shopifyRequest({});
    const { hmacSha256Base64 } = await import('../src/sources/signature.ts');
    const answer = await service.app.inject({
      ...request,
      payload: '{"id": 1,',
      headers: { ...request.headers, 'x-shopify-hmac-sha256': hmacSha256Base64('shpss_test_shopify_app_secret', '{"id": 1,') },
    });
    expect(answer.statusCode).toBe(400);
    expect(answer.json()).toMatchObject({ code: 'INVALID_JSON', message: 'body is not valid JSON' });
  });

  test('a signed JSON body holding a __proto__ key: 400 saying that key is refused, not that the JSON is bad', async () => {
    const answer = await service.app.inject(standardRequest('{"__proto__": {"admin": true}, "orderId": "P-1"}'));
    expect(answer.statusCode).toBe(400);
    expect(answer.json()).toMatchObject({
      code: 'INVALID_PAYLOAD',
      message: 'body holds a "__proto__" key or a "constructor" with "prototype", which are refused',
    });
  });

  test('an unsigned body that is not JSON: 401, since nothing is read before the signature', async () => {
    const answer = await service.app.inject({
      method: 'POST',
      url: '/webhooks/shopify',
      headers: { 'content-type': 'application/json' },
      payload: '{"id": 1,',
    });
    expect(answer.statusCode).toBe(401);
  });

  test('a normalized order with a bad currency: 400 naming the field', async () => {
    const answer = await service.app.inject(standardRequest(normalizedOrder({ currency: 'dollars' })));
    expect(answer.statusCode).toBe(400);
    expect(answer.json().message).toContain('currency');
  });

  test('a normalized order id past 2^53 as a JSON number: 400 saying to send it as a string (two such orders would be one); as strings each is its own', async () => {
    const body = (id: string) => JSON.stringify(normalizedOrder({ orderId: 'ID' })).replace('"ID"', id);
    const answer = await service.app.inject(standardRequest(body('9007199254740993')));
    expect(answer.statusCode).toBe(400);
    expect(answer.json()).toMatchObject({
      code: 'INVALID_PAYLOAD',
      message:
        'body/orderId must be an id: a string of 1 to 200 characters without control characters, or a whole number up to 2^53 - 1 (JSON carries no larger one exactly: send it as a string)',
    });
    for (const id of ['"9007199254740993"', '"9007199254740992"'])
      expect((await service.app.inject(standardRequest(body(id)))).json()).toMatchObject({ status: 'accepted' });
  });

  test('a normalized order whose id or shop holds a control character: 400 naming each (an event key could spell another order)', async () => {
    const order = normalizedOrder({ orderId: 'Q\u001fcancelled', shop: 'a\u0000b', shipment: { id: 'S\n1' }, event: 'shipped' });
    const answer = await service.app.inject(standardRequest(order));
    expect(answer.statusCode).toBe(400);
    const id =
      'an id: a string of 1 to 200 characters without control characters, or a whole number up to 2^53 - 1 (JSON carries no larger one exactly: send it as a string)';
    expect(answer.json().message).toBe(
      `body/orderId must be ${id}, body/shop must be a text of up to 300 characters without control characters, body/shipment/id must be ${id}`,
    );
  });

  test('wrong content type: 415', async () => {
    for (const contentType of ['text/plain', 'application/xml']) {
      const answer = await service.app.inject({
        method: 'POST',
        url: '/webhooks/shopify',
        headers: { 'content-type': contentType },
        payload: 'hello',
      });
      expect(answer.statusCode).toBe(415);
      expect(answer.json()).toMatchObject({ code: 'UNSUPPORTED_MEDIA_TYPE' });
    }
  });

  test('a POST with no body and no content type (an uptime check, a bare curl -X POST): 415 on every webhook route, not a 500', async () => {
    for (const url of ['/webhooks/shopify', '/webhooks/woocommerce', '/webhooks/orders']) {
      for (const headers of [{}, { 'x-wc-webhook-topic': 'order.updated' }]) {
        const answer = await service.app.inject({ method: 'POST', url, headers });
        expect(answer.statusCode, url).toBe(415);
        expect(answer.json()).toMatchObject({ code: 'UNSUPPORTED_MEDIA_TYPE', message: 'Content-Type must be application/json' });
      }
    }
  });

  test('over the body limit: 413', async () => {
    const huge = shopifyOrder({ note: 'x'.repeat(1_100_000) });
    const answer = await service.app.inject(shopifyRequest(huge));
    expect(answer.statusCode).toBe(413);
    expect(answer.json()).toMatchObject({ code: 'BODY_TOO_LARGE' });
  });

  test('a Shopify topic that is not an order is acknowledged and ignored', async () => {
    const answer = await service.app.inject(shopifyRequest({ id: 1, title: 'a product' }, { topic: 'products/update' }));
    expect(answer.statusCode).toBe(200);
    expect(answer.json()).toMatchObject({ status: 'ignored' });
  });

  test("WooCommerce's unsigned creation ping gets 200 and is otherwise ignored", async () => {
    const answer = await service.app.inject({
      method: 'POST',
      url: '/webhooks/woocommerce',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: 'webhook_id=15',
    });
    expect(answer.statusCode).toBe(200);
    expect(answer.json()).toEqual({ status: 'ignored', reason: 'WooCommerce webhook ping' });
    // Anything else form-encoded is not a ping.
    const other = await service.app.inject({
      method: 'POST',
      url: '/webhooks/woocommerce',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: 'a=b',
    });
    expect(other.statusCode).toBe(415);
  });

  test('an unknown route: 404 in the same error shape', async () => {
    const answer = await service.app.inject({ method: 'GET', url: '/nope?token=abc' });
    expect(answer.statusCode).toBe(404);
    expect(answer.json()).toEqual({ statusCode: 404, code: 'NOT_FOUND', error: 'Not Found', message: 'no route for GET /nope' });
  });
});
