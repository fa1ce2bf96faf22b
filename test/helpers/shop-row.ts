// A WooCommerce connection's row as the store keeps it, never polled yet, for the poller's unit tests.
import type { ShopConnectionRow } from '../../src/store/store.ts';

/** Connected at `connectedAt` with its watermark there; its first poll due at `nextPollAt`. */
export const newConnectionRow = (connectedAt: number, nextPollAt: number): ShopConnectionRow => ({
  source: 'woocommerce',
  connectedAt,
  watermark: connectedAt,
  nextPollAt,
  leaseOwner: null,
  leaseUntil: null,
  lastPollAt: null,
  lastOutcome: null,
  lastError: null,
  lastOrders: 0,
  lastRecovered: 0,
  webhooksJson: null,
});
