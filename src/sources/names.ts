// Each source's name, as its route's definition, its orders and their dedupe keys carry it: one
// spelling each (the migrations keep theirs, as written when they ran).
export const SHOPIFY = 'shopify';
export const WOOCOMMERCE = 'woocommerce';
/** POST /webhooks/orders: the normalized order, from any shop. */
export const NORMALIZED = 'orders';
