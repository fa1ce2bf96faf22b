// The composition root, without Fastify: builds the store, the MantaGO client, the credentials, the delivery
// worker and retention from the settings, and starts and stops them in order. app.ts puts HTTP in front of it.
import { retryTime } from './mapping/plan.ts';
import type { Logger } from 'pino';
import { type Clock, settleBy, systemClock } from './clock.ts';
import type { Settings } from './config/settings.ts';
import { settingWarnings } from './config/setting-warnings.ts';
import type { IncomingOrder } from './domain/delivery.ts';
import { createIntake, type Intake } from './delivery/intake.ts';
import { Retention } from './delivery/retention.ts';
import { Binder } from './delivery/binds.ts';
import { checkTagIds } from './delivery/tag-check.ts';
import { Tagger } from './delivery/tagging.ts';
import { Resolver } from './delivery/resolver.ts';
import { workerOwner } from './delivery/claim.ts';
import { DeliveryWorker } from './delivery/worker.ts';
import { checkAtStart, checkBot } from './mantago/bot-check.ts';
import { BotStatus } from './mantago/bot-status.ts';
import { MantagoClient } from './mantago/client.ts';
import { CredentialsManager } from './mantago/credentials.ts';
import { MemberDirectory } from './mantago/members.ts';
import { MantagoTags } from './mantago/tags.ts';
import { usability } from './mantago/usability.ts';
import { tagMetrics } from './metrics/tag-metrics.ts';
import { ServiceMetrics } from './metrics/service-metrics.ts';
import { connectionsFrom } from './reconcile/connections.ts';
import { ShopPoller } from './reconcile/poller.ts';
import { eventsNeeded } from './reconcile/webhook-keeper.ts';
import { SOURCES } from './sources/registry.ts';
import type { Verification, WebhookSource } from './sources/source.ts';
import { openStore } from './store/open-store.ts';
import type { Store } from './store/store.ts';

/** A source whose secret is set, with its signature check made for that secret. */
export interface EnabledSource {
  source: WebhookSource;
  verify: (raw: Buffer, headers: import('node:http').IncomingHttpHeaders) => Verification;
}

export interface Service {
  readonly settings: Settings;
  /** The time every part goes by: routes read it too, so an operator's action and the worker agree. */
  readonly clock: Clock;
  readonly store: Store;
  readonly client: MantagoClient;
  readonly credentials: CredentialsManager;
  /** Whether MantaGO takes the bot (its plan, its id, published): usable, or refused and probed. */
  readonly bot: BotStatus;
  readonly worker: DeliveryWorker;
  readonly metrics: ServiceMetrics;
  readonly intake: Intake;
  /** MantaGO's member binding, cached: the resolve endpoint asks it too. */
  readonly members: MemberDirectory;
  /** The shop connections' polls and webhook checks (none when no shop is connected). */
  readonly shops: ShopPoller;
  /** MantaGO's client tags: the tagger's, and GET /admin/tags. */
  readonly tags: MantagoTags;
  /** Every known source, with its signature check where it is enabled. */
  readonly sources: readonly { source: WebhookSource; enabled?: EnabledSource }[];
  /** Whether this process runs the delivery worker and retention (NOTIFIER_ROLE all or worker). */
  readonly delivers: boolean;
  /** Whether this process takes webhooks (NOTIFIER_ROLE all or web). */
  readonly takesWebhooks: boolean;
  /** Starts delivering (not with NOTIFIER_ROLE=web), after the bot check at start (waited for a little at most). */
  start(): Promise<void>;
  /** At the start of a shutdown: no new sends, while requests still drain; stop() then waits for those under way. */
  quiesce(): void;
  stop(): Promise<void>;
}

/** The longest the start waits for the bot check before delivering; the check goes on regardless. */
const STARTUP_CHECK_WAIT_MS = 2_000;

export interface ServiceOptions {
  log: Logger;
  /** The time the intake and the worker go by: the real clock, unless a test moves it. */
  clock?: Clock;
  /** The webhook sources to serve (the registry's, unless a test adds one). */
  sources?: readonly WebhookSource[];
}

export async function createService(settings: Settings, { log, sources = SOURCES, clock = systemClock }: ServiceOptions): Promise<Service> {
  const { config, mapping } = settings;
  const metrics = new ServiceMetrics(clock);
  const store = await openStore(config.DATABASE_URL, {
    poolMax: config.DATABASE_POOL_MAX,
    log: log.child({ component: 'store' }),
    maxPendingOrders: config.INTAKE_QUEUE_MAX,
    clock,
    ...(config.CREDENTIALS_ENCRYPTION_KEY && { encryptionKey: config.CREDENTIALS_ENCRYPTION_KEY }),
    onWithdrawn: (count) => metrics.deliveries.inc({ outcome: 'skipped' }, count),
  });
  const client = new MantagoClient({
    baseUrl: config.MANTAGO_BASE_URL,
    botId: config.MANTAGO_BOT_ID,
    timeoutMs: config.MANTAGO_TIMEOUT_MS,
    refreshTimeoutMs: config.MANTAGO_REFRESH_TIMEOUT_MS,
    maxConcurrency: config.MANTAGO_MAX_CONCURRENCY,
    maxRps: config.MANTAGO_MAX_RPS,
    maxRetryAfterMs: config.RETRY_MAX_DELAY_MS,
    dryRun: config.DRY_RUN,
    clock,
    onCall: (endpoint, outcome, seconds) => metrics.calls.observe({ endpoint, outcome }, seconds),
  });
  const owner = workerOwner();
  const credentials = new CredentialsManager({
    botId: config.MANTAGO_BOT_ID,
    envPair: { apiToken: config.MANTAGO_API_TOKEN, apiSecret: config.MANTAGO_API_SECRET },
    store,
    client,
    log: log.child({ component: 'credentials' }),
    owner,
    refreshTimeoutMs: config.MANTAGO_REFRESH_TIMEOUT_MS,
    dryRun: config.DRY_RUN,
    shutdownGraceMs: config.SHUTDOWN_GRACE_MS,
    clock, // the client's: a refresh's start time is judged by the clock it was set by
    onRefresh: (outcome) => metrics.refreshed(outcome),
  });
  const policy = {
    baseDelayMs: config.RETRY_BASE_DELAY_MS,
    maxDelayMs: config.RETRY_MAX_DELAY_MS,
    maxAttempts: config.RETRY_MAX_ATTEMPTS,
    maxAgeMs: config.RETRY_MAX_AGE_MS,
  };
  const bot = new BotStatus({
    log: log.child({ component: 'mantago' }),
    clock,
    backoff: { baseMs: config.BOT_PROBE_BASE_MS, maxMs: config.BOT_PROBE_MAX_MS },
  });
  const directory = async (keys: string[]) => {
    const entry = await store.operator.findRecipient(keys);
    return entry && { key: entry.key, user: { platform: entry.platform, userId: entry.userId } };
  };
  const members = new MemberDirectory({
    client,
    credentials,
    store,
    cacheMs: config.MANTAGO_MEMBER_CACHE_S * 1000,
    dryRun: config.DRY_RUN,
    clock,
    onAnswered: () => bot.accepted(false),
  });
  const deliveryLog = log.child({ component: 'delivery' });
  const tags = new MantagoTags({ client, credentials, store, owner, claimMs: 3 * config.MANTAGO_TIMEOUT_MS + 5_000, clock });
  const tagCounts = tagMetrics(metrics.registry);
  const worker = new DeliveryWorker({
    owner,
    store,
    client,
    credentials,
    bot,
    checkBot: () => checkBot({ client, credentials, bot, log: log.child({ component: 'mantago' }) }),
    log: deliveryLog,
    clock,
    onFinished: (outcome, deliveries) => metrics.finished(outcome, deliveries),
    resolver: new Resolver({
      store,
      mapping,
      members,
      directory,
      credentials,
      bot,
      policy,
      log: deliveryLog,
      clock,
      onSkipped: (count) => metrics.deliveries.inc({ outcome: 'skipped' }, count),
      onDead: (deliveries) => metrics.finished('dead', deliveries),
    }),
    binder: new Binder({ store, client, credentials, bot, log: deliveryLog, clock }),
    tagger: new Tagger({
      store,
      tags,
      policy,
      bot,
      dryRun: config.DRY_RUN,
      log: deliveryLog,
      clock,
      onTried: tagCounts.tried,
      onDead: tagCounts.died,
    }),
    options: {
      batchMaxRecipients: config.BATCH_MAX_RECIPIENTS,
      maxConcurrency: config.MANTAGO_MAX_CONCURRENCY,
      leaseMs: config.DELIVERY_LEASE_MS,
      callTimeoutMs: config.MANTAGO_TIMEOUT_MS,
      pollMs: config.DELIVERY_POLL_MS,
      // The rest of the grace is for closing the store and the server.
      recordAfterStopMs: Math.floor(config.SHUTDOWN_GRACE_MS * 0.8),
      // A send's retry keeps the quiet hours (outcome.ts applies it); a member lookup's is no message.
      policy: { ...policy, retryTime: retryTime(mapping) },
    },
  });
  metrics.watch({
    queueStats: () => store.operator.queueStats(clock.now()),
    credentials: () => credentials.status(),
    mantago: () => usability(bot.view(), credentials.health().state),
  });
  for (const warning of settingWarnings(config)) log.warn(warning);
  for (const warning of mapping.warnings) log.warn({ mapping: warning }, 'mapping: a Messenger message tag Meta retired');
  try {
    await credentials.start();
  } catch (error) {
    await store.close();
    throw error;
  }

  const retention = new Retention({
    store,
    log: log.child({ component: 'retention' }),
    clock,
    days: config.RETENTION_DAYS,
    deadDays: config.DEAD_RETENTION_DAYS,
    orderDays: config.ORDER_RETENTION_DAYS,
  });
  const recordOrder = async (incoming: IncomingOrder) => {
    const recorded = await store.recordOrder(incoming);
    if (recorded.outcome !== 'accepted') return recorded;
    if (recorded.status === 'skipped') metrics.deliveries.inc({ outcome: 'skipped' });
    // Work for the stages beside the sends, which the worker claims only when told or after a poll interval.
    const { plan } = incoming;
    if (plan.kind === 'resolve') worker.expect('resolve');
    else if (plan.tagging) worker.expect('tag');
    return recorded;
  };
  const intake = createIntake({
    store: { ...store, recordOrder }, // its lookups as they are (closures), its orders through the worker's wake-up
    mapping,
    storeTimeoutMs: config.STORE_TIMEOUT_MS,
    directory,
    log: deliveryLog,
    retentionMs: config.RETENTION_DAYS * 86_400_000,
    storeCreatedAt: await store.createdAt(),
    now: () => clock.now(),
  });
  const role = config.NOTIFIER_ROLE;
  const shops = new ShopPoller({
    store,
    intake,
    connections: connectionsFrom(config),
    clock,
    log: log.child({ component: 'shops' }),
    metrics: metrics.shops,
    owner,
    intervalMs: config.RECONCILE_INTERVAL_S * 1000,
    publicUrl: config.PUBLIC_URL,
    events: eventsNeeded(mapping.rules),
    parallel: Math.max(1, Math.floor(config.INTAKE_QUEUE_MAX / 4)), // a page never fills the queue webhooks wait in
  });

  return {
    settings,
    clock,
    store,
    client,
    credentials,
    bot,
    worker,
    metrics,
    intake,
    members,
    shops,
    tags,
    sources: sources.map((source) => {
      const secret = config[source.secret.name] as string | undefined;
      return secret ? { source, enabled: { source, verify: source.verifier(secret) } } : { source };
    }),
    delivers: role !== 'web',
    takesWebhooks: role !== 'worker',
    async start() {
      if (role === 'web') return;
      retention.start();
      shops.start();
      if (!config.DRY_RUN) {
        // Before the first order: a wrong bot id, a plan without the API or a dead pair is named at once.
        const check = checkAtStart({ client, credentials, bot, log: log.child({ component: 'mantago' }) }, config.MANTAGO_BOT_ID);
        await settleBy(clock, check, clock.now() + STARTUP_CHECK_WAIT_MS, undefined);
        // The mapping's tag ids against the bot's tags: a warning for each it has not, never holding the start.
        if (mapping.tagIds)
          void checkTagIds(mapping.tagIds, tags, log, clock, config.MANTAGO_TIMEOUT_MS).catch((error: unknown) =>
            log.warn({ err: error }, "mapping: the tag ids could not be checked against the bot's tags"),
          );
      }
      worker.start();
    },
    quiesce() {
      worker.quiesce();
      credentials.quiesce();
    },
    async stop() {
      // In-flight requests have been answered by now; finish the sends under way, then close the store.
      await shops.stop();
      await retention.stop();
      await worker.stop();
      await credentials.stop();
      await client.close();
      await store.close();
    },
  };
}
