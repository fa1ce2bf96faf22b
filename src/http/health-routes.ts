// GET /healthz: the process is alive (for restarts). GET /readyz: this replica can take webhooks
// (for traffic): the store answers within its deadline and the process is under its load
// thresholds. Delivery trouble (credentials rejected or failing to refresh, the bot refused, MantaGO unreachable)
// shows in the body, never as a 503: an orchestrator that stopped sending webhooks to a replica
// for it would turn a problem only the operator can fix into orders never seen (WooCommerce
// does not retry). The body holds stable reason codes only; GET /admin/mantago and
// GET /admin/credentials have details.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import { POLL_OUTCOMES } from '../reconcile/outcomes.ts';
import type { Service } from '../service.ts';
import { BOT_REFUSAL_REASONS } from '../mantago/bot-state.ts';
import { StoreUnavailableError, withDeadline } from '../store/errors.ts';

const STORE_PING_TIMEOUT_MS = 2_000;
/**
 * The store's write of its own (a heartbeat row: a full disk or a standby answers reads) at most
 * this often, each one a commit to disk; between, a read, and what the last write came to.
 */
const HEARTBEAT_EVERY_MS = 5_000;
/** MantaGO failing this long (no answer, or 5xx) counts as unreachable for the delivery check. */
const UNREACHABLE_AFTER_MS = 30_000;

export const LOAD_CODES = ['ok', 'event_loop_delay', 'heap', 'rss'] as const;
export type LoadCode = (typeof LOAD_CODES)[number];

const Checks = Type.Object({
  store: Type.Enum(['ok', 'timeout', 'unreachable']),
  mapping: Type.Enum(['ok']),
  load: Type.Enum([...LOAD_CODES]),
  credentials: Type.Enum(['ok', 'rejected', 'refresh_failing', 'unsaved']),
  bot: Type.Enum(['ok', ...BOT_REFUSAL_REASONS], {
    description: 'whether MantaGO takes the bot: permission_denied (1002), no_such_bot (5001), broadcasts_refused (not published)',
  }),
  delivery: Type.Enum(
    ['ok', 'credentials_rejected', 'credentials_refresh_failing', 'bot_refused', 'mantago_unreachable', 'rate_limited', 'not_this_replica'],
    {
      description:
        'what holds deliveries back, if anything: never a reason for 503 (this replica still takes webhooks); GET /admin/mantago and GET /admin/credentials say more',
    },
  ),
});
export const ReadyReply = Type.Object({
  status: Type.Enum(['ready', 'not_ready']),
  checks: Checks,
  shops: Type.Optional(
    Type.Record(Type.String(), Type.Enum([...POLL_OUTCOMES]), {
      description: "each connected shop's last poll, when a shop is connected (never a reason for 503); GET /admin/shops says more",
    }),
  ),
});

export interface HealthOptions {
  service: Service;
  /** Which load threshold the process is over, if any. */
  load: () => LoadCode;
}

export const healthRoutes: FastifyPluginAsyncTypebox<HealthOptions> = async (app, { service, load }) => {
  const deliveryCheck = (credentials: string) => {
    if (!service.delivers) return 'not_this_replica' as const;
    if (credentials === 'rejected') return 'credentials_rejected' as const;
    if (credentials === 'refresh_failing') return 'credentials_refresh_failing' as const;
    if (service.bot.isRefused()) return 'bot_refused' as const;
    const { failingSince } = service.client.reachability();
    const now = service.clock.now();
    if (failingSince !== undefined && now - failingSince >= UNREACHABLE_AFTER_MS) return 'mantago_unreachable' as const;
    if (service.client.pausedUntil() > now) return 'rate_limited' as const;
    return 'ok' as const;
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

  const readiness = async () => {
    let store: 'ok' | 'timeout' | 'unreachable' = 'ok';
    try {
      await storeTakesWrites();
    } catch (error) {
      store = error instanceof StoreUnavailableError && error.reason !== 'unreachable' ? 'timeout' : 'unreachable';
    }
    const credentials = service.credentials.health().state;
    const bot = service.bot.view().reason ?? ('ok' as const);
    const checks = { store, mapping: 'ok' as const, load: load(), credentials, bot, delivery: deliveryCheck(credentials) };
    return { ready: store === 'ok' && checks.load === 'ok', checks };
  };

  app.get('/healthz', {
    schema: {
      summary: 'Liveness: the process is running',
      tags: ['health'],
      response: { 200: Type.Object({ status: Type.Literal('ok') }) },
    },
    logLevel: 'warn',
    config: { pressureHandler: () => undefined }, // alive, however busy: shedding load is no reason to restart
    handler: async () => ({ status: 'ok' as const }),
  });

  app.get('/readyz', {
    schema: {
      summary: 'Readiness: this replica can take webhooks (store answering, under the load thresholds); delivery trouble is in the body',
      tags: ['health'],
      response: { 200: ReadyReply, 503: ReadyReply },
    },
    logLevel: 'warn',
    config: { pressureHandler: () => undefined }, // answers 503 itself while overloaded, with the reason
    handler: async (_request, reply) => {
      const { ready, checks } = await readiness();
      const shops = await service.shops.status(STORE_PING_TIMEOUT_MS);
      return reply
        .code(ready ? 200 : 503)
        .send({ status: ready ? 'ready' : 'not_ready', checks, ...(Object.keys(shops).length > 0 && { shops }) });
    },
  });
};
