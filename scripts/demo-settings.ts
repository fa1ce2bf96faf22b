// The demo's made-up secrets and the curl lines it prints. The README shows the same lines;
// a test runs them against the demo, so they work exactly as written.
export const DEMO = {
  botId: 'demoBot01',
  shopifySecret: 'demo-shopify-secret',
  wooSecret: 'demo-woo-secret',
  standardSecret: 'whsec_ZGVtby1zdGFuZGFyZC13ZWJob29rcy1zZWNyZXQ=',
  adminToken: 'demo-admin-token-change-me',
  /** The LINE user the demo binds member 7010 to, in the simulator. */
  memberLineUser: 'U7010aaaabbbbccccddddeeeeffff0000',
  curlLines,
};

function curlLines(base: string, simulator: string): string {
  return `# A big spender on LINE gets the VIP module (rule big-spender):
body='{"id":1002,"name":"#1002","total_price":"5200.00","currency":"TWD","customer":{"id":7002,"first_name":"Ken"},"note_attributes":[{"name":"line_uid","value":"U0123456789abcdef0123456789abcdef"}]}'
curl -s ${base}/webhooks/shopify -H 'content-type: application/json' -H 'x-shopify-topic: orders/create' -H 'x-shopify-shop-domain: demo.myshopify.com' -H "x-shopify-hmac-sha256: $(printf %s "$body" | openssl dgst -sha256 -hmac demo-shopify-secret -binary | base64)" -d "$body"; echo

# The same webhook again (shops redeliver): 200 duplicate, nothing sent twice.
curl -s ${base}/webhooks/shopify -H 'content-type: application/json' -H 'x-shopify-topic: orders/paid' -H 'x-shopify-shop-domain: demo.myshopify.com' -H "x-shopify-hmac-sha256: $(printf %s "$body" | openssl dgst -sha256 -hmac demo-shopify-secret -binary | base64)" -d "$body"; echo

# A wrong signature: 401, nothing stored.
curl -s ${base}/webhooks/shopify -H 'content-type: application/json' -H 'x-shopify-hmac-sha256: bm90LXRoZS1zaWduYXR1cmU=' -d "$body"; echo

# A Messenger customer gets the text of rule messenger-text:
body='{"id":1003,"name":"#1003","total_price":"300.00","currency":"TWD","customer":{"id":7003,"first_name":"Ann"},"note_attributes":[{"name":"messenger_psid","value":"6543210987654321"}]}'
curl -s ${base}/webhooks/shopify -H 'content-type: application/json' -H 'x-shopify-topic: orders/create' -H 'x-shopify-shop-domain: demo.myshopify.com' -H "x-shopify-hmac-sha256: $(printf %s "$body" | openssl dgst -sha256 -hmac demo-shopify-secret -binary | base64)" -d "$body"; echo

# A guest without a chat id (nor a member id to ask MantaGO about): accepted, recorded as skipped with the reason.
body='{"id":1004,"name":"#1004","total_price":"90.00","currency":"TWD","customer":{"email":"guest@example.com"}}'
curl -s ${base}/webhooks/shopify -H 'content-type: application/json' -H 'x-shopify-topic: orders/create' -H 'x-shopify-shop-domain: demo.myshopify.com' -H "x-shopify-hmac-sha256: $(printf %s "$body" | openssl dgst -sha256 -hmac demo-shopify-secret -binary | base64)" -d "$body"; echo

# WooCommerce, order.updated to processing:
body='{"id":501,"number":"501","status":"processing","total":"880.00","currency":"TWD","billing":{"first_name":"Lee","email":"lee@example.com"},"meta_data":[{"key":"line_uid","value":"U0123456789abcdef0123456789abcdef"}]}'
curl -s ${base}/webhooks/woocommerce -H 'content-type: application/json' -H 'x-wc-webhook-topic: order.updated' -H 'x-wc-webhook-source: https://tea.example/' -H "x-wc-webhook-signature: $(printf %s "$body" | openssl dgst -sha256 -hmac demo-woo-secret -binary | base64)" -d "$body"; echo

# Any other shop: the normalized order, signed per Standard Webhooks:
body='{"orderId":"A-1","orderNumber":"A-1","total":450,"currency":"TWD","customer":{"firstName":"Yu"},"attributes":{"line_uid":"U0123456789abcdef0123456789abcdef"}}'
id="msg_$(date +%s%N)"; ts="$(date +%s)"; key="$(printf %s ZGVtby1zdGFuZGFyZC13ZWJob29rcy1zZWNyZXQ= | base64 -d | od -An -tx1 | tr -d ' \\n')"
curl -s ${base}/webhooks/orders -H 'content-type: application/json' -H "webhook-id: $id" -H "webhook-timestamp: $ts" -H "webhook-signature: v1,$(printf %s "$id.$ts.$body" | openssl dgst -sha256 -mac HMAC -macopt hexkey:$key -binary | base64)" -d "$body"; echo

# Health, and what MantaGO (the simulator) received:
curl -s ${base}/readyz; echo
curl -s ${simulator}/__simulator/broadcasts; echo`;
}
