// Builds the service in-process against a simulator, on its own temporary storage, with its
// log lines captured so tests can read what an operator would.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildApp } from '../../src/app.ts';
import type { Clock } from '../../src/clock.ts';
import { loadSettings } from '../../src/config/settings.ts';
import { createLogger } from '../../src/logger.ts';
import { afterAll, beforeAll, onTestFinished } from 'vitest';
import { startSimulator, type MantagoSimulator, type SimulatorOptions } from '../../simulator/simulator.ts';
import { SHOPIFY_SECRET, STANDARD_SECRET, WOO_SECRET } from './webhooks.ts';

export const ADMIN_TOKEN = 'test-admin-token-0123456789';
export const SHIPPED_MAPPING = await readFile(new URL('../../config/mapping.yaml', import.meta.url), 'utf8');
/**
 * The shipped mapping without its MantaGO member lookup, the tests' default: a customer with no chat
 * id is answered as skipped at once (with the lookup, the worker asks MantaGO first: test/members.test.ts).
 */
export const EXAMPLE_MAPPING = SHIPPED_MAPPING.replace(/^ {2}- mantago: .*\n/m, '');
/** The core-path issue's example exactly: placed-only rules, no directory, no member lookup. */
export const ISSUE_MAPPING = await readFile(new URL('../fixtures/issue-2-mapping.yaml', import.meta.url), 'utf8');

export interface TestServiceOptions {
  env?: Record<string, string | undefined>;
  mapping?: string;
  /** The time the service goes by (quiet hours), unless the real one. */
  clock?: Clock;
  /** Reuse a directory (and so its database) to restart "the same" service. */
  dir?: string;
}

export function serviceEnv(
  sim: MantagoSimulator,
  dir: string,
  env: Record<string, string | undefined> = {},
): Record<string, string | undefined> {
  return {
    ...sim.serviceEnv(),
    DATABASE_URL: join(dir, 'notifier.db'),
    MAPPING_FILE: join(dir, 'mapping.yaml'),
    SHOPIFY_WEBHOOK_SECRET: SHOPIFY_SECRET,
    WOOCOMMERCE_WEBHOOK_SECRET: WOO_SECRET,
    WEBHOOK_SECRET: STANDARD_SECRET,
    ADMIN_TOKEN,
    LOG_LEVEL: 'trace',
    RETRY_BASE_DELAY_MS: '20',
    RETRY_MAX_DELAY_MS: '200',
    DELIVERY_POLL_MS: '50',
    ...env,
  };
}

export function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'notifier-test-'));
}

export async function startService(sim: MantagoSimulator, options: TestServiceOptions = {}) {
  const dir = options.dir ?? tempDir();
  writeFileSync(join(dir, 'mapping.yaml'), options.mapping ?? EXAMPLE_MAPPING);
  const logs: string[] = [];
  const logger = createLogger('trace', { write: (line: string) => void logs.push(line) });
  // In the test's process the service shares its event loop with the test runner: a stall of the
  // runner on a busy machine is not the service's load (tests of load shedding set their own limits).
  const env = { LOAD_MAX_EVENT_LOOP_DELAY_MS: '0', ...options.env };
  const app = await buildApp(loadSettings(serviceEnv(sim, dir, env)), { logger, ...(options.clock && { clock: options.clock }) });
  await app.ready();
  return { app, dir, logs };
}

/** A simulator and a service on it for the current test; both are closed (the service first) when it ends. */
export async function startServiceWithSimulator(options: TestServiceOptions & { simulator?: SimulatorOptions } = {}) {
  const sim = await startSimulator(options.simulator);
  let service: Awaited<ReturnType<typeof startService>>;
  try {
    service = await startService(sim, options);
  } catch (error) {
    await sim.close();
    throw error;
  }
  onTestFinished(async () => {
    await service.app.close();
    await sim.close();
  });
  return { sim, ...service };
}

/** Node's timers take at most this long (about 24.8 days); a longer wait is armed in steps. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * The real clock moved by `offset` ms, which the test sets. Timers follow the moved time: setting
 * the offset forward fires every timer that is due by then (a night, or a month of retention,
 * passes at once); the rest run in real time.
 */
export function shiftedClock(): Clock & { offset: number } {
  let offset = 0;
  const timers = new Set<{ at: number; callback: () => void; handle?: NodeJS.Timeout }>();
  const arm = (timer: { at: number; callback: () => void; handle?: NodeJS.Timeout }) => {
    clearTimeout(timer.handle);
    timer.handle = setTimeout(
      () => {
        if (clock.now() < timer.at) return arm(timer);
        timers.delete(timer);
        timer.callback();
      },
      Math.min(MAX_TIMER_MS, Math.max(0, timer.at - clock.now())),
    );
  };
  const clock = {
    get offset() {
      return offset;
    },
    set offset(value: number) {
      offset = value;
      for (const timer of timers) arm(timer);
    },
    now: () => Date.now() + offset,
    setTimer: (callback: () => void, ms: number) => {
      const timer = { at: clock.now() + Math.max(0, ms), callback };
      timers.add(timer);
      arm(timer);
      return () => {
        clearTimeout((timer as { handle?: NodeJS.Timeout }).handle);
        timers.delete(timer);
      };
    },
    sleep: (ms: number) => new Promise<void>((resolve) => clock.setTimer(resolve, ms)),
  };
  return clock;
}

export type TestService = Awaited<ReturnType<typeof startService>>;

/** One simulator and one service for every test of a file: `use` gets them once they run; both are closed after. */
export function serviceForFile(use: (started: { sim: MantagoSimulator; service: TestService }) => void, options: TestServiceOptions = {}) {
  let started: { sim: MantagoSimulator; service: TestService } | undefined;
  beforeAll(async () => {
    const sim = await startSimulator();
    started = { sim, service: await startService(sim, options) };
    use(started);
  });
  afterAll(async () => {
    await started?.service.app.close();
    await started?.sim.close();
  });
}
