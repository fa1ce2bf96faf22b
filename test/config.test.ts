// Bad configuration stops startup with every problem listed at once, and never echoes a secret.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { ConfigError, describeConfig, parseEnv } from '../src/config/env.ts';
import { loadSettings } from '../src/config/settings.ts';

const minimal = { MANTAGO_BOT_ID: 'bot1', MANTAGO_API_TOKEN: 'tok.en.value', MANTAGO_API_SECRET: 'sec-value' };

describe('the environment', () => {
  test('the documented defaults apply', () => {
    const { config } = parseEnv(minimal);
    expect(config).toMatchObject({
      PORT: 3000,
      HOST: '0.0.0.0',
      MANTAGO_BASE_URL: 'https://mantago.cc',
      DATABASE_URL: './data/notifier.db',
      MAPPING_FILE: './config/mapping.yaml',
      LOG_LEVEL: 'info',
    });
    expect(config?.SHOPIFY_WEBHOOK_SECRET).toBeUndefined();
  });

  test('every problem is listed at once', () => {
    const { problems } = parseEnv({
      PORT: 'eighty',
      LOG_LEVEL: 'loud',
      MANTAGO_BASE_URL: 'ftp://x',
      WEBHOOK_SECRET: 'plain',
      ADMIN_TOKEN: 'short',
    });
    expect(problems).toEqual([
      expect.stringMatching(/^MANTAGO_BOT_ID is required/),
      expect.stringMatching(/^MANTAGO_API_TOKEN is required/),
      expect.stringMatching(/^MANTAGO_API_SECRET is required/),
      'PORT is invalid: expected TCP port to listen on, 0-65535 (0 picks a free port) (got "eighty")',
      expect.stringMatching(/^MANTAGO_BASE_URL is invalid: .*\(got "ftp:\/\/x"\)$/),
      expect.stringMatching(
        /^WEBHOOK_SECRET is invalid: expected a Standard Webhooks secret, whsec_ followed by base64; unset disables \/webhooks\/orders$/,
      ),
      expect.stringMatching(/^ADMIN_TOKEN is invalid: /),
      expect.stringMatching(/^LOG_LEVEL is invalid: expected one of fatal, error, warn, info, debug, trace, silent \(got "loud"\)$/),
    ]);
  });

  test('secret values are never shown in a problem', () => {
    const { problems } = parseEnv({ ...minimal, WEBHOOK_SECRET: 'my-very-secret-value', ADMIN_TOKEN: 'short-secret' });
    expect(problems.join('\n')).not.toContain('my-very-secret-value');
    expect(problems.join('\n')).not.toContain('short-secret');
    expect(problems).toHaveLength(2);
  });

  test('a MantaGO token or secret with a space inside is refused at start, unshown; a line break around it is trimmed', () => {
    const { problems } = parseEnv({ ...minimal, MANTAGO_API_TOKEN: 'tok en-value', MANTAGO_API_SECRET: 'sec\u00e9-value' });
    expect(problems).toEqual([
      "MANTAGO_API_TOKEN is invalid: expected the bot's API token from MantaGO (printable ASCII, no spaces)",
      "MANTAGO_API_SECRET is invalid: expected the bot's API secret key from MantaGO (printable ASCII, no spaces)",
    ]);
    expect(parseEnv({ ...minimal, MANTAGO_API_TOKEN: 'tok.en.value\n' }).config?.MANTAGO_API_TOKEN).toBe('tok.en.value');
  });

  test('empty values count as unset', () => {
    const { config } = parseEnv({ ...minimal, PORT: '', SHOPIFY_WEBHOOK_SECRET: '  ' });
    expect(config?.PORT).toBe(3000);
    expect(config?.SHOPIFY_WEBHOOK_SECRET).toBeUndefined();
  });

  test('a claim lease shorter than two MantaGO calls is refused', () => {
    expect(parseEnv({ ...minimal, DELIVERY_LEASE_MS: '15000', MANTAGO_TIMEOUT_MS: '10000' }).problems).toEqual([
      'DELIVERY_LEASE_MS (15000) must be at least twice MANTAGO_TIMEOUT_MS (10000)',
    ]);
    // Twice a short timeout leaves no time to begin a call under a claim (tags and binds never ran).
    expect(parseEnv({ ...minimal, DELIVERY_LEASE_MS: '1000', MANTAGO_TIMEOUT_MS: '500' }).problems).toEqual([
      'DELIVERY_LEASE_MS (1000) must be at least MANTAGO_TIMEOUT_MS (500) plus 2000, so a claim leaves time to begin a call',
    ]);
    expect(parseEnv({ ...minimal, DELIVERY_LEASE_MS: '2500', MANTAGO_TIMEOUT_MS: '500' }).problems).toEqual([]);
  });

  test("the shutdown's grace: by default longer than a refresh may take, inside Kubernetes' 30 s; one past what a timer holds is refused", () => {
    const { config } = parseEnv(minimal);
    expect(config?.SHUTDOWN_GRACE_MS).toBe(25_000);
    expect(config?.SHUTDOWN_GRACE_MS).toBeGreaterThan((config?.MANTAGO_REFRESH_TIMEOUT_MS ?? 0) + 2_000);
    // 30 days: a timer of that length fires at once (Node caps timers at 2^31 - 1 ms), killing every shutdown.
    expect(parseEnv({ ...minimal, SHUTDOWN_GRACE_MS: '2592000000' }).problems).toEqual([
      expect.stringMatching(/^SHUTDOWN_GRACE_MS is invalid: .*from 100 to 600000/),
    ]);
  });

  test('an ADMIN_TOKEN no Authorization header could carry (a passphrase with spaces) stops startup, without printing it', () => {
    const problems = parseEnv({ ...minimal, ADMIN_TOKEN: 'correct horse battery staple' }).problems;
    expect(problems).toEqual([expect.stringMatching(/^ADMIN_TOKEN is invalid: .*printable ASCII characters without spaces/)]);
    expect(problems.join()).not.toContain('horse');
    expect(parseEnv({ ...minimal, ADMIN_TOKEN: 'correct-horse-battery-staple' }).problems).toEqual([]);
  });

  test('the retry delay cap cannot be below the first delay', () => {
    expect(parseEnv({ ...minimal, RETRY_BASE_DELAY_MS: '5000', RETRY_MAX_DELAY_MS: '1000' }).problems).toEqual([
      'RETRY_MAX_DELAY_MS (1000) must not be below RETRY_BASE_DELAY_MS (5000)',
    ]);
  });

  test('a database password is masked in every form: containing @, as a query parameter, percent-encoded', () => {
    const shown = (url: string) => describeConfig(parseEnv({ ...minimal, DATABASE_URL: url }).config!).DATABASE_URL;
    expect(shown('postgres://u:p@ss@w0rd@db:5432/orders')).toBe('postgres://u:***@db:5432/orders');
    expect(shown('postgres://u@db/orders?password=topsecret&sslmode=require')).toBe('postgres://u@db/orders?password=***&sslmode=require');
    expect(shown('postgresql://u:p%40ss@db/orders?sslpassword=k3y')).toBe('postgresql://u:***@db/orders?sslpassword=***');
    expect(shown('./data/notifier.db')).toBe('./data/notifier.db');
    for (const secret of ['p@ss@w0rd', 'topsecret', 'p%40ss', 'k3y']) {
      const { problems } = parseEnv({ ...minimal, DATABASE_URL: `postgres://u:${secret}@db/x?password=${secret}`, DATABASE_POOL_MAX: '1' });
      expect(problems.join('\n')).not.toContain(secret);
    }
  });

  test('a connection string that is not a postgres:// URL stops startup, never read as a SQLite path nor shown', () => {
    for (const url of [
      'postgresql+asyncpg://app:S3cretPW@db:5432/orders',
      'jdbc:postgresql://db:5432/orders?user=app&password=S3cretPW',
      'postgress://app:S3cretPW@db/orders',
      'app:S3cretPW@db/orders',
      'host=db user=app password=S3cretPW dbname=orders',
    ]) {
      const { config, problems } = parseEnv({ ...minimal, DATABASE_URL: url });
      expect(config).toBeUndefined();
      expect(problems).toEqual([
        expect.stringMatching(/^DATABASE_URL is invalid: a SQLite file path or a postgres:\/\/ URL is read, not /),
      ]);
      expect(problems.join('\n')).not.toContain('S3cret');
      expect(problems.join('\n')).not.toContain('app');
    }
    expect(parseEnv({ ...minimal, DATABASE_URL: 'file:./data/notifier.db' }).problems).toEqual([
      'DATABASE_URL is invalid: a SQLite file is named by its path, without file: (./data/notifier.db)',
    ]);
    // A path is a path, colons, spaces and = signs included.
    for (const path of ['./data/notifier.db', '/var/lib/notifier/orders.db', 'notifier.db', 'backup:2024/n.db', '/srv/my user=db/n.db'])
      expect(parseEnv({ ...minimal, DATABASE_URL: path }).problems).toEqual([]);
  });

  test('more than eight problems: every one is listed, settings that must agree among them', () => {
    const bad = {
      PORT: 'x',
      LOG_LEVEL: 'verbose',
      DRY_RUN: 'yes',
      ADMIN_TOKEN: 'short',
      CREDENTIALS_ENCRYPTION_KEY: 'nope',
      RETRY_BASE_DELAY_MS: '-5',
      STORE_TIMEOUT_MS: 'soon',
      MANTAGO_TIMEOUT_MS: 'abc',
      MANTAGO_MAX_RPS: '-1',
      BATCH_MAX_RECIPIENTS: 'many',
      RECONCILE_INTERVAL_S: '-3',
      DATABASE_POOL_MAX: '0',
    };
    const { problems } = parseEnv({ ...minimal, ...bad, NOTIFIER_ROLE: 'web', BOT_PROBE_BASE_MS: '5000', BOT_PROBE_MAX_MS: '10' });
    for (const name of Object.keys(bad)) expect(problems.some((p) => p.startsWith(`${name} is invalid`))).toBe(true);
    expect(problems).toContain(
      'NOTIFIER_ROLE=web needs PostgreSQL (DATABASE_URL=postgres://...): on SQLite one process takes webhooks and delivers',
    );
    expect(problems).toContain('BOT_PROBE_MAX_MS (10) must not be below BOT_PROBE_BASE_MS (5000)');
    expect(problems).toHaveLength(Object.keys(bad).length + 2);
  });

  test('a number written other than in decimal (0x50, 1e3, 3000.0) is named, not guessed', () => {
    for (const port of ['0x50', '1e3', '3000.0', '0b11'])
      expect(parseEnv({ ...minimal, PORT: port }).problems).toEqual([
        `PORT is invalid: expected TCP port to listen on, 0-65535 (0 picks a free port) (got "${port}")`,
      ]);
    expect(parseEnv({ ...minimal, PORT: ' 8080 ' }).config?.PORT).toBe(8080);
  });

  test('a URL the pattern lets through but no parser reads is named now; a password in any URL setting is never shown', () => {
    expect(parseEnv({ ...minimal, MANTAGO_BASE_URL: 'http://[::1' }).problems).toEqual([
      'MANTAGO_BASE_URL is invalid: it is not a URL that can be read (got "http://[::1")',
    ]);
    for (const url of ['postgres://u:SEKRIT_pw#1@127.0.0.1:1/db', 'postgres://u:SEK/RIT?pw@db/x']) {
      const { problems } = parseEnv({ ...minimal, DATABASE_URL: url });
      expect(problems).toEqual([expect.stringMatching(/^DATABASE_URL is invalid: it is not a URL that can be read; percent-encode/)]);
      expect(problems.join('\n')).not.toContain('SEK');
    }
    const { config } = parseEnv({
      ...minimal,
      MANTAGO_BASE_URL: 'https://ops:m4nt4g0-pw@proxy.example/mantago',
      WOOCOMMERCE_URL: 'https://shop:w00-pw@shop.example',
      WOOCOMMERCE_CONSUMER_KEY: 'ck_x',
      WOOCOMMERCE_CONSUMER_SECRET: 'cs_x',
    });
    const shown = describeConfig(config!);
    expect(shown).toMatchObject({
      MANTAGO_BASE_URL: 'https://ops:***@proxy.example/mantago',
      WOOCOMMERCE_URL: 'https://shop:***@shop.example',
    });
  });

  test('NOTIFIER_ROLE web or worker needs PostgreSQL; a bad encryption key is refused without being shown', () => {
    expect(parseEnv({ ...minimal, NOTIFIER_ROLE: 'worker' }).problems).toEqual([
      'NOTIFIER_ROLE=worker needs PostgreSQL (DATABASE_URL=postgres://...): on SQLite one process takes webhooks and delivers',
    ]);
    expect(parseEnv({ ...minimal, NOTIFIER_ROLE: 'web', DATABASE_URL: 'postgres://db/x' }).problems).toEqual([]);
    const { problems } = parseEnv({ ...minimal, CREDENTIALS_ENCRYPTION_KEY: 'too-short-a-key' });
    expect(problems).toEqual([expect.stringMatching(/^CREDENTIALS_ENCRYPTION_KEY is invalid: expected a 32-byte key, base64/)]);
    expect(problems.join('\n')).not.toContain('too-short-a-key');
  });

  test('a database password is never shown in the startup log', () => {
    const url = 'postgres://notifier:s3cr3t-pw@db.internal:5432/orders';
    expect(describeConfig(parseEnv({ ...minimal, DATABASE_URL: url }).config!).DATABASE_URL).toBe(
      'postgres://notifier:***@db.internal:5432/orders',
    );
    const { problems } = parseEnv({ ...minimal, DATABASE_URL: url, DATABASE_POOL_MAX: '1' });
    expect(problems).toEqual([expect.stringMatching(/^DATABASE_POOL_MAX is invalid/)]);
  });

  test('the startup log shows which secrets are set, never their values', () => {
    const { config } = parseEnv({ ...minimal, SHOPIFY_WEBHOOK_SECRET: 'shh' });
    const shown = JSON.stringify(describeConfig(config!));
    expect(shown).not.toContain('tok.en.value');
    expect(shown).not.toContain('sec-value');
    expect(shown).not.toContain('shh');
    expect(describeConfig(config!)).toMatchObject({ SHOPIFY_WEBHOOK_SECRET: 'set', WOOCOMMERCE_WEBHOOK_SECRET: 'unset' });
  });
});

test('environment and mapping problems are reported together', () => {
  const dir = mkdtempSync(join(tmpdir(), 'settings-'));
  const file = join(dir, 'mapping.yaml');
  writeFileSync(file, 'recipients: []\nrules:\n  - name: x\n    send: { message: "Hi {{customer.nickname}}" }\n');
  let error: unknown;
  try {
    loadSettings({ MAPPING_FILE: file, PORT: '-1' });
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(ConfigError);
  const { problems, message } = error as ConfigError;
  expect(problems.some((p) => p.startsWith('MANTAGO_BOT_ID is required'))).toBe(true);
  expect(problems.some((p) => p.startsWith('PORT is invalid'))).toBe(true);
  expect(problems).toContain(`MAPPING_FILE ${file}:1:1 recipients: needs at least one entry`);
  expect(
    problems.some((p) => p.startsWith(`MAPPING_FILE ${file}:4:13 rules[0].send.message: unknown template variable {{customer.nickname}}`)),
  ).toBe(true);
  expect(message).toMatch(/^Configuration is invalid \(\d+ problems\):\n {2}- /);
});
