// Runs the real server (node src/server.ts, or a build of it) as a child process, as an operator would.
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { waitFor } from './wait.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

export interface ServiceProcess {
  child: ChildProcess;
  url: string;
  /** Everything it wrote, line by line (stdout and stderr). */
  output: string[];
  exited: Promise<number | null>;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

export interface SpawnOptions {
  timeoutMs?: number;
  /** What node runs, with its flags, from `cwd`: the sources unless told otherwise. */
  command?: string[];
  cwd?: string;
}

export async function spawnService(
  env: Record<string, string | undefined>,
  { timeoutMs = 15_000, command = ['src/server.ts'], cwd = ROOT }: SpawnOptions = {},
): Promise<ServiceProcess> {
  const child = spawn(process.execPath, command, {
    cwd,
    env: { PATH: process.env.PATH, HOST: '127.0.0.1', PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  const collect = (chunk: Buffer) => output.push(...chunk.toString('utf8').split('\n').filter(Boolean));
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  let status: number | null | undefined;
  void exited.then((code) => (status = code));
  const started = await waitFor(
    (): { url?: string; exit?: number | null } | undefined => {
      if (status !== undefined) return { exit: status };
      for (const line of output) {
        const match = line.match(/"msg":"Server listening at (http:\/\/127\.0\.0\.1:\d+)"/);
        if (match) return { url: match[1] };
      }
      return undefined;
    },
    { timeoutMs, what: 'the service to listen' },
  ).catch((error: unknown) => {
    child.kill('SIGKILL'); // never left running after the test (a slow start outlived a CI run once)
    throw new Error(`${(error as Error).message}; it printed:\n${output.join('\n')}`);
  });
  if (started.url === undefined) throw new Error(`service exited with ${started.exit}:\n${output.join('\n')}`);
  const listening = started.url;
  return {
    child,
    url: listening,
    output,
    exited,
    async stop(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}
