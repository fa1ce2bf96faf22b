// The rules /readyz reports, apart from the route: this replica can take webhooks while its store
// takes a write within its deadline and the process is under its load thresholds. What holds its
// deliveries back (credentials, the bot, MantaGO) is said, never a reason to stop taking webhooks:
// an orchestrator that stopped sending them to this replica would turn a problem only the operator
// can fix into orders never seen (WooCommerce does not retry).
import type { Service } from './service.ts';
import { StoreUnavailableError, withDeadline } from './store/errors.ts';

export const STORE_PING_TIMEOUT_MS = 2_000;
/**
 * The store's write of its own (a heartbeat row: a full disk or a standby answers reads) at most
 * this often, each one a commit to disk; between, a read, and what the last write came to.
 */
const HEARTBEAT_EVERY_MS = 5_000;
/** MantaGO failing this long (no answer, or 5xx) counts as unreachable for the delivery check. */
const UNREACHABLE_AFTER_MS = 30_000;

/** Which load threshold the process is over, if any (app.ts measures it). */
export const LOAD_CODES = ['ok', 'event_loop_delay', 'heap', 'rss'] as const;
export type LoadCode = (typeof LOAD_CODES)[number];
/** Whether the store took this check's write (or read) within its deadline. */
export const STORE_STATES = ['ok', 'timeout', 'unreachable'] as const;
export type StoreState = (typeof STORE_STATES)[number];
/** What holds this replica's deliveries back, if anything. */
export const DELIVERY_HOLDS = [
  'ok',
  'credentials_rejected',
  'credentials_refresh_failing',
  'bot_refused',
  'mantago_unreachable',
  'rate_limited',
  'not_this_replica',
] as const;
export type DeliveryHold = (typeof DELIVERY_HOLDS)[number];

/** A readiness check over `service`: it keeps when the store last took a write. */
export function readinessCheck(service: Service, load: () => LoadCode) {
  const deliveryHold = (credentials: string): DeliveryHold => {
    if (!service.delivers) return 'not_this_replica';
    if (credentials === 'rejected') return 'credentials_rejected';
    if (credentials === 'refresh_failing') return 'credentials_refresh_failing';
    if (service.bot.isRefused()) return 'bot_refused';
    const { failingSince } = service.client.reachability();
    const now = service.clock.now();
    if (failingSince !== undefined && now - failingSince >= UNREACHABLE_AFTER_MS) return 'mantago_unreachable';
    if (service.client.pausedUntil() > now) return 'rate_limited';
    return 'ok';
  };

  let lastWrite: { at: number; failed?: unknown } | undefined;
  const storeTakesWrites = async () => {
    const now = service.clock.now();
    if (lastWrite && now - lastWrite.at < HEARTBEAT_EVERY_MS) {
      // A read that fails (a session ended, a failover) has the next check write again at once.
      await withDeadline(service.store.ping(), STORE_PING_TIMEOUT_MS, 'answer').catch((error: unknown) => {
        lastWrite = undefined;
        throw error;
      });
      if (lastWrite.failed) throw lastWrite.failed;
      return;
    }
    lastWrite = { at: now };
    await withDeadline(service.store.heartbeat(), STORE_PING_TIMEOUT_MS, 'write').catch((error: unknown) => {
      lastWrite = { at: now, failed: error };
      throw error;
    });
  };

  return async () => {
    let store: StoreState = 'ok';
    try {
      await storeTakesWrites();
    } catch (error) {
      store = error instanceof StoreUnavailableError && error.reason !== 'unreachable' ? 'timeout' : 'unreachable';
    }
    const credentials = service.credentials.health().state;
    const bot = service.bot.view().reason ?? ('ok' as const);
    const checks = { store, mapping: 'ok' as const, load: load(), credentials, bot, delivery: deliveryHold(credentials) };
    return { ready: store === 'ok' && checks.load === 'ok', checks };
  };
}
