// The service's environment: one TypeBox schema, validated once at startup.
// Each field's `description` doubles as its error message and its documentation.
import Type, { type Static, type TOptional, type TSchema } from 'typebox';
import { Value } from 'typebox/value';
import { leaseTermsProblem } from '../delivery/lease.ts';
import { HEADER_TOKEN_PATTERN } from '../domain/header-token.ts';
import { allErrors } from '../schema-errors.ts';
import { maskUrlPassword } from '../secrets.ts';
import { SOURCES } from '../sources/registry.ts';
import { databaseUrlProblem, isPostgresUrl } from '../store/database-url.ts';
import { SHOP_SECRET_NAMES, SHOP_SETTINGS, shopSettingProblems } from './shop-settings.ts';

const Integer = (description: string, def: number, minimum: number, maximum = Number.MAX_SAFE_INTEGER) =>
  Type.Integer({ description, default: def, minimum, maximum });
const Text = (description: string, def?: string) =>
  def === undefined ? Type.String({ description, minLength: 1 }) : Type.String({ description, minLength: 1, default: def });

export const DEFAULT_MAPPING_FILE = './config/mapping.yaml';
/** What one process does: everything, or (on PostgreSQL, with others doing the rest) take webhooks or deliver. */
export const ROLES = ['all', 'web', 'worker'] as const;

export const EnvSchema = Type.Object({
  PORT: Integer('TCP port to listen on, 0-65535 (0 picks a free port)', 3000, 0, 65535),
  HOST: Text('interface to listen on', '0.0.0.0'),
  MANTAGO_BASE_URL: Type.String({
    description: "MantaGO's base URL, http(s)://host[:port][/prefix]",
    pattern: '^https?://[^\\s/]+(/[^\\s]*)?$',
    default: 'https://mantago.cc',
  }),
  MANTAGO_BOT_ID: Text('the bot id from the MantaGO dashboard URL (https://mantago.cc/chatbot/<botId>)'),
  MANTAGO_API_TOKEN: Type.String({
    description: "the bot's API token from MantaGO (printable ASCII, no spaces)",
    minLength: 1,
    pattern: HEADER_TOKEN_PATTERN,
  }),
  MANTAGO_API_SECRET: Type.String({
    description: "the bot's API secret key from MantaGO (printable ASCII, no spaces)",
    minLength: 1,
    pattern: HEADER_TOKEN_PATTERN,
  }),
  MANTAGO_TIMEOUT_MS: Integer('timeout of one MantaGO call in ms', 10_000, 100, 120_000),
  MANTAGO_MEMBER_CACHE_S: Integer(
    "how long MantaGO's answer to a member lookup is kept, in seconds (one that found nobody: 5 minutes at most)",
    3_600,
    0,
    86_400 * 7,
  ),
  MANTAGO_REFRESH_TIMEOUT_MS: Integer(
    'timeout of a token refresh in ms, longer than a call: losing its answer costs the pair',
    20_000,
    100,
    300_000,
  ),
  MANTAGO_MAX_CONCURRENCY: Integer('most MantaGO calls in flight at once', 8, 1, 256),
  MANTAGO_MAX_RPS: Integer('most MantaGO calls started per second', 10, 1, 10_000),
  BATCH_MAX_RECIPIENTS: Integer('most client ids in one broadcast', 100, 1, 1000),
  DATABASE_URL: Text('a SQLite file path, or a postgres:// URL', './data/notifier.db'),
  NOTIFIER_ROLE: Type.Enum([...ROLES], {
    description: 'all (take webhooks and deliver), web (take webhooks only) or worker (deliver only); web and worker need PostgreSQL',
    default: 'all',
  }),
  DATABASE_POOL_MAX: Integer('most PostgreSQL connections per replica (PostgreSQL only)', 10, 2, 200),
  MAPPING_FILE: Text('path of the mapping YAML file', DEFAULT_MAPPING_FILE),
  // Each webhook source's secret, as its definition describes it: unset disables the source.
  ...(Object.fromEntries(SOURCES.map((s) => [s.secret.name, Type.Optional(s.secret.schema)])) as Record<string, TOptional<TSchema>>),
  ADMIN_TOKEN: Type.Optional(
    // As a header carries it: printable ASCII without spaces (a passphrase with spaces could never be sent).
    Type.String({
      description: 'bearer token for /admin, at least 16 printable ASCII characters without spaces; unset disables /admin',
      minLength: 16,
      pattern: HEADER_TOKEN_PATTERN,
    }),
  ),
  LOG_LEVEL: Type.Enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], {
    description: 'one of fatal, error, warn, info, debug, trace, silent',
    default: 'info',
  }),
  RETRY_BASE_DELAY_MS: Integer('delay before the first retry in ms', 1_000, 1),
  RETRY_MAX_DELAY_MS: Integer('cap of the exponential retry delay in ms', 300_000, 1),
  RETRY_MAX_ATTEMPTS: Integer('attempts before a delivery is dead', 50, 1, 10_000),
  RETRY_MAX_AGE_MS: Integer('age after which a delivery that still fails is dead, in ms', 86_400_000, 1),
  DELIVERY_LEASE_MS: Integer('how long a claimed delivery stays claimed before another worker may take it, in ms', 60_000, 1_000),
  DELIVERY_POLL_MS: Integer('how often the worker looks for due deliveries when nothing woke it, in ms', 1_000, 10, 60_000),
  BOT_PROBE_BASE_MS: Integer(
    'while MantaGO refuses the bot (1002, 5001, not published), the wait before the first probe in ms; it doubles after each refused probe',
    5_000,
    10,
    3_600_000,
  ),
  BOT_PROBE_MAX_MS: Integer('the cap of the wait between probes of a refused bot in ms', 300_000, 10, 3_600_000),
  BODY_LIMIT_BYTES: Integer('largest webhook body accepted, in bytes', 1_048_576, 1_024, 50 * 1_048_576),
  // 25 s: inside Kubernetes' default 30 s before it kills, and longer than a refresh under way may take.
  SHUTDOWN_GRACE_MS: Integer(
    'how long a graceful shutdown may take before the process exits anyway, in ms, from 100 to 600000',
    25_000,
    100,
    600_000,
  ),
  DRY_RUN: Type.Boolean({
    description: 'true or false: when true everything happens and is recorded except the calls to MantaGO',
    default: false,
  }),
  RETENTION_DAYS: Integer('days sent and skipped deliveries (with their orders and attempts) are kept', 30, 1, 3650),
  DEAD_RETENTION_DAYS: Integer('days dead deliveries are kept unless redriven', 90, 1, 3650),
  ORDER_RETENTION_DAYS: Integer(
    "days an order's placed and shipped deliveries are kept, at least RETENTION_DAYS: a later event of the order (a shipment, a refund, naming only the order) finds its customer by them",
    120,
    1,
    3650,
  ),
  LOAD_MAX_EVENT_LOOP_DELAY_MS: Integer(
    'event-loop delay in ms above which requests get 503 with Retry-After (0 turns the check off)',
    1_000,
    0,
  ),
  LOAD_MAX_HEAP_USED_MB: Type.Optional(
    Type.Integer({
      description:
        "V8 heap in use, in MB, above which requests get 503 with Retry-After; unset: 90% of the heap's limit (the --max-old-space-size start flag); 0 turns the check off",
      minimum: 0,
    }),
  ),
  LOAD_MAX_RSS_MB: Integer(
    'resident memory in MB above which requests get 503 with Retry-After (0, the default, turns the check off)',
    0,
    0,
  ),
  STORE_TIMEOUT_MS: Integer('how long a webhook waits for the store before it is answered 503 with Retry-After, in ms', 4_000, 100, 60_000),
  INTAKE_QUEUE_MAX: Integer('most orders waiting to be committed; beyond it webhooks get 503 with Retry-After', 5_000, 10, 1_000_000),
  CREDENTIALS_ENCRYPTION_KEY: Type.Optional(
    Type.String({
      description: 'a 32-byte key, base64 (openssl rand -base64 32): the stored MantaGO pair is encrypted with it (AES-256-GCM)',
      pattern: '^[A-Za-z0-9+/]{43}=$',
    }),
  ),
  LOAD_RETRY_AFTER_S: Integer('the Retry-After, in seconds, of a 503 while overloaded', 10, 1, 3600),
  // Shop connections: reading the shop's orders and keeping its webhooks (shop-settings.ts).
  ...SHOP_SETTINGS,
});

/** The settings; each webhook source's secret is there by its name (the registry says which). */
export type Config = Static<typeof EnvSchema> & { readonly [secret: string]: unknown };

/** Names whose values are never shown, not even in configuration errors. */
export const SECRET_NAMES: readonly string[] = [
  'MANTAGO_API_TOKEN',
  'MANTAGO_API_SECRET',
  ...SOURCES.map((s) => s.secret.name),
  'ADMIN_TOKEN',
  'CREDENTIALS_ENCRYPTION_KEY',
  ...SHOP_SECRET_NAMES,
];

export class ConfigError extends Error {
  readonly problems: string[];
  constructor(problems: string[]) {
    super(
      `Configuration is invalid (${problems.length} problem${problems.length === 1 ? '' : 's'}):\n${problems.map((p) => `  - ${p}`).join('\n')}`,
    );
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

type EnvResult = { config: Config; problems: [] } | { config: undefined; problems: string[] };

/**
 * Validates the environment and returns every problem at once.
 * Empty values count as unset, as compose files and shells often leave `NAME=` behind.
 */
export function parseEnv(env: Record<string, string | undefined>): EnvResult {
  const known = Object.keys(EnvSchema.properties) as (keyof Config)[];
  const raw: Record<string, string> = {};
  for (const name of known) {
    const value = env[name];
    if (value !== undefined && value.trim() !== '') raw[name] = value.trim();
  }
  // A number is written in decimal: `0x50` or `1e3` for a port or a timeout is a mistake to name,
  // not a value to guess (TypeBox's conversion would take both). Left as text, the check refuses it.
  const decimal = { integer: /^-?\d+$/, number: /^-?\d+(\.\d+)?$/ } as Record<string, RegExp>;
  const unlike: Record<string, string> = {};
  for (const name of known) {
    const form = decimal[String((EnvSchema.properties as Record<string, { type?: unknown }>)[name]?.type)];
    const given = raw[name];
    if (form && given !== undefined && !form.test(given)) unlike[name] = given;
  }
  const converted = Value.Convert(EnvSchema, { ...raw }) as Record<string, unknown>;
  const value = Value.Default(EnvSchema, { ...converted, ...unlike }) as Record<string, unknown>;
  const problems = new Map<string, string>();
  for (const error of allErrors(EnvSchema, value)) {
    const names =
      error.keyword === 'required' ? (error.params as { requiredProperties: string[] }).requiredProperties : [error.instancePath.slice(1)];
    for (const name of names) {
      if (problems.has(name)) continue;
      const schema = (EnvSchema.properties as Record<string, TSchema & { description?: string }>)[name];
      const shown = name in raw && !SECRET_NAMES.includes(name) ? ` (got ${JSON.stringify(showable(name, raw[name] as string))})` : '';
      problems.set(
        name,
        error.keyword === 'required'
          ? `${name} is required: ${schema?.description}`
          : `${name} is invalid: expected ${schema?.description}${shown}`,
      );
    }
  }
  // A URL the pattern lets through may still be one no parser takes (`http://[::1`): said now, not as a crash later.
  for (const name of URL_SETTINGS) {
    const given = value[name];
    if (typeof given !== 'string' || problems.has(name) || !isUrl(name, given) || URL.canParse(given)) continue;
    const hint = name === 'DATABASE_URL' ? '; percent-encode any of : / ? # @ in the user or password' : '';
    problems.set(name, `${name} is invalid: it is not a URL that can be read${hint} (got ${JSON.stringify(showable(name, given))})`);
  }
  const database = value.DATABASE_URL;
  if (typeof database === 'string' && !problems.has('DATABASE_URL')) {
    const problem = databaseUrlProblem(database);
    if (problem) problems.set('DATABASE_URL', `DATABASE_URL is invalid: ${problem}`);
  }
  // A shop connection half set up, listed with the rest.
  for (const [name, problem] of shopSettingProblems(value)) if (!problems.has(name)) problems.set(name, problem);
  // Settings that must agree: each pair checked once both are valid, alongside every other problem.
  const valid = (...names: string[]) => names.every((name) => !problems.has(name));
  {
    const config = value as Config;
    const leaseProblem =
      valid('DELIVERY_LEASE_MS', 'MANTAGO_TIMEOUT_MS') &&
      leaseTermsProblem({ leaseMs: config.DELIVERY_LEASE_MS, callTimeoutMs: config.MANTAGO_TIMEOUT_MS });
    if (leaseProblem) problems.set('DELIVERY_LEASE_MS', leaseProblem);
    if (valid('NOTIFIER_ROLE', 'DATABASE_URL') && config.NOTIFIER_ROLE !== 'all' && !isPostgresUrl(config.DATABASE_URL)) {
      // SQLite serves one process: a web-only process there would take orders nobody sends.
      problems.set(
        'NOTIFIER_ROLE',
        `NOTIFIER_ROLE=${config.NOTIFIER_ROLE} needs PostgreSQL (DATABASE_URL=postgres://...): on SQLite one process takes webhooks and delivers`,
      );
    }
    if (valid('BOT_PROBE_MAX_MS', 'BOT_PROBE_BASE_MS') && config.BOT_PROBE_MAX_MS < config.BOT_PROBE_BASE_MS) {
      problems.set(
        'BOT_PROBE_MAX_MS',
        `BOT_PROBE_MAX_MS (${config.BOT_PROBE_MAX_MS}) must not be below BOT_PROBE_BASE_MS (${config.BOT_PROBE_BASE_MS})`,
      );
    }
    if (valid('RETRY_MAX_DELAY_MS', 'RETRY_BASE_DELAY_MS') && config.RETRY_MAX_DELAY_MS < config.RETRY_BASE_DELAY_MS) {
      problems.set(
        'RETRY_MAX_DELAY_MS',
        `RETRY_MAX_DELAY_MS (${config.RETRY_MAX_DELAY_MS}) must not be below RETRY_BASE_DELAY_MS (${config.RETRY_BASE_DELAY_MS})`,
      );
    }
  }
  if (problems.size > 0) return { config: undefined, problems: [...problems.values()] };
  return { config: value as Config, problems: [] };
}

/** Settings that are URLs (DATABASE_URL may be a file path instead): a password in them (`user:password@`) is never shown. */
const URL_SETTINGS: readonly string[] = ['DATABASE_URL', 'MANTAGO_BASE_URL', 'SHOPIFY_ADMIN_URL', 'WOOCOMMERCE_URL', 'PUBLIC_URL'];

/** Whether `value` of `name` is a URL (DATABASE_URL may be a file path instead). */
const isUrl = (name: string, value: string) => name !== 'DATABASE_URL' || /^[a-z][a-z0-9+.-]*:\/\//i.test(value);

/** A value fit to print: a URL setting without the password it may hold, in whatever form it is given. */
function showable(name: string, value: string): string {
  return URL_SETTINGS.includes(name) ? maskUrlPassword(value) : value;
}

/** The configuration with every secret replaced by whether it is set, for the startup log. */
export function describeConfig(config: Config): Record<string, unknown> {
  const shown: Record<string, unknown> = { ...config };
  for (const name of URL_SETTINGS) {
    const given = shown[name];
    if (typeof given === 'string') shown[name] = showable(name, given);
  }
  for (const name of SECRET_NAMES) shown[name] = (config as Record<string, unknown>)[name] === undefined ? 'unset' : 'set';
  return shown;
}
