// What the benchmarks share: starting the built service (or another server) as production starts
// it, reading a process's CPU time and peak memory, and autocannon posting signed Shopify orders.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { SQLITE_THREAD_NAME } from '../src/store/sqlite/connection.ts';
import { lineUser, shopifyHeaders, shopifyOrderBody } from './orders.ts';

export const ROOT = fileURLToPath(new URL('..', import.meta.url));
/** What production runs (npm start, the container): the compiled service with the start script's flags. */
export const SERVICE = 'dist/server.js';
const START_FLAGS = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: { start: string } }).scripts.start
  .split(' ')
  .filter((word) => word.startsWith('--'));
if (!existsSync(join(ROOT, SERVICE))) throw new Error(`${SERVICE} is missing: run npm run bench (it builds first) or npm run build`);

export interface Started {
  child: ChildProcess;
  url: string;
  readyMs: number;
  stop(): Promise<void>;
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;

function spawnNode(script: string, env: Record<string, string>): ChildProcess {
  const nodeArgs = script === SERVICE ? [...START_FLAGS, ...(process.env.BENCH_NODE_ARGS?.split(' ').filter(Boolean) ?? [])] : [];
  return spawn(process.execPath, [...nodeArgs, script], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Starts a server process on a free port and waits until `readyPath` answers 2xx. */
export async function startProcess(script: string, env: Record<string, string>, readyPath: string): Promise<Started> {
  const port = await freePort();
  const started = performance.now();
  const child = spawnNode(script, { HOST: '127.0.0.1', PORT: String(port), ...env });
  let output = '';
  const collect = (chunk: Buffer) => {
    if (output.length < 100_000) output += chunk.toString();
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  const url = `http://127.0.0.1:${port}`;
  while (
    !(await fetch(`${url}${readyPath}`).then(
      (r) => r.ok,
      () => false,
    ))
  ) {
    if (child.exitCode !== null) throw new Error(`${script} exited ${child.exitCode}:\n${output}`);
    await sleep(5);
  }
  const readyMs = performance.now() - started;
  return {
    child,
    url,
    readyMs,
    async stop() {
      if (child.exitCode !== null) return;
      child.kill('SIGTERM');
      await new Promise((resolve) => child.once('exit', resolve));
    },
  };
}

/** User and system CPU time in ms from a /proc stat line (clock ticks of 10 ms). */
function statCpuMs(stat: string): { user: number; system: number } {
  const fields = stat.split(') ')[1]?.split(' ') ?? [];
  return { user: Number(fields[11]) * 10, system: Number(fields[12]) * 10 };
}

/**
 * CPU time (user + system, ms) a process has used so far: in all, on its main thread, and on its
 * SQLite thread (the worker the service names `sqlite-store`, which the OS shows as the thread's
 * name). Read from outside, so the service measures nothing itself; the rest (V8's GC and compiler
 * helpers, libuv) is the difference.
 */
function cpuMs(pid: number | undefined): { user: number; system: number; main: number; sqlite: number } {
  const total = statCpuMs(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  const thread = (tid: string) => {
    const { user, system } = statCpuMs(readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8'));
    return user + system;
  };
  let sqlite = 0;
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    if (readFileSync(`/proc/${pid}/task/${tid}/comm`, 'utf8').trim() === SQLITE_THREAD_NAME) sqlite += thread(tid);
  }
  return { ...total, main: thread(String(pid)), sqlite };
}

/** Runs the load and adds the server's CPU time per request, steadier than req/s on a shared machine. */
export async function measured(server: Started, firstId: number, durationS: number) {
  const before = cpuMs(server.child.pid);
  const run = await load(server.url, firstId, { durationS });
  const after = cpuMs(server.child.pid);
  const perRequest = (ms: number) => (ms * 1000) / run.total;
  return {
    ...run,
    cpuUsPerRequest: perRequest(after.user + after.system - before.user - before.system),
    userUsPerRequest: perRequest(after.user - before.user),
    systemUsPerRequest: perRequest(after.system - before.system),
    /** Where it lands: the thread that answers requests, and the SQLite thread (0 without one). */
    mainThreadUsPerRequest: perRequest(after.main - before.main),
    sqliteThreadUsPerRequest: perRequest(after.sqlite - before.sqlite),
  };
}
export type LoadResult = Awaited<ReturnType<typeof measured>>;

/** Peak resident set size of a process so far, from the kernel's high-water mark. */
export function peakRssMb(pid: number | undefined): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(status.match(/VmHWM:\s+(\d+) kB/)?.[1] ?? 0) / 1024;
}

/** 50 connections, no pipelining, each request a signed ~2 KB Shopify order with its own id. */
export async function load(url: string, firstId: number, options: { durationS?: number; amount?: number; onSent?: (id: number) => void }) {
  let next = firstId;
  const result = await autocannon({
    url,
    connections: 50,
    pipelining: 1,
    ...(options.amount ? { amount: options.amount } : { duration: options.durationS }),
    requests: [
      {
        method: 'POST',
        setupRequest: (request) => {
          const id = next++;
          const body = shopifyOrderBody(id, lineUser(id));
          options.onSent?.(id);
          return { ...request, path: '/webhooks/shopify', body, headers: shopifyHeaders(body) };
        },
      },
    ],
  });
  return {
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    non2xx: result.non2xx,
    errors: result.errors,
    total: result.requests.total,
  };
}
