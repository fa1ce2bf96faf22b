// `npm run demo` works, and the curl lines it prints (the README's) do what they say.
import { spawn, spawnSync } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { expect, test } from 'vitest';
import { waitFor } from './helpers/wait.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

test('the demo sends a signed order, shows what MantaGO received, and its curl lines work as printed', async () => {
  const env = { PATH: process.env.PATH, PORT: String(await freePort()), SIMULATOR_PORT: String(await freePort()) };
  const demo = spawn(process.execPath, ['scripts/demo.ts'], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  demo.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  demo.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => demo.once('exit', resolve));
  try {
    await waitFor(() => output.includes('Running until Ctrl-C.'), { timeoutMs: 20_000, what: `the demo to start:\n${output}` });
    expect(output).toContain('POST /webhooks/shopify  ->  HTTP 202 {"status":"accepted"');
    expect(output).toMatch(/"intentId": "rb2kYmMdW",\s+"name": "default #1001"/);

    const lines = output.slice(output.indexOf('3. Try more'), output.indexOf('Running until')).split('\n').slice(1).map((l) => l.replace(/^ {3}/, '')).join('\n');
    const run = spawnSync('bash', ['-c', lines], { encoding: 'utf8' });
    expect(run.status, run.stderr).toBe(0);
    const answers = run.stdout.trim().split('\n');
    expect(answers.slice(0, 7).map((a) => JSON.parse(a))).toEqual([
      expect.objectContaining({ status: 'accepted', delivery: 'pending' }),
      expect.objectContaining({ status: 'duplicate' }),
      expect.objectContaining({ statusCode: 401, code: 'SIGNATURE_INVALID' }),
      expect.objectContaining({ status: 'accepted', delivery: 'pending' }),
      expect.objectContaining({ status: 'accepted', delivery: 'skipped', reason: expect.stringContaining('no chat user') }),
      expect.objectContaining({ status: 'accepted', delivery: 'pending' }),
      expect.objectContaining({ status: 'accepted', delivery: 'pending' }),
    ]);
    expect(JSON.parse(answers[7] ?? '')).toMatchObject({ status: 'ready' });
    expect(JSON.parse(answers[8] ?? '')).toHaveProperty('broadcasts');
    const expected = ['default #1001', 'big-spender #1002', 'messenger-text #1003', 'default 501', 'default A-1'];
    await waitFor(async () => {
      const { broadcasts } = (await (await fetch(`http://127.0.0.1:${env.SIMULATOR_PORT}/__simulator/broadcasts`)).json()) as { broadcasts: { name: string }[] };
      const names = broadcasts.map((b) => b.name);
      return expected.every((name) => names.filter((n) => n === name).length === 1) && names.length === expected.length;
    }, { what: 'each demo order broadcast once' });
  } finally {
    demo.kill('SIGINT');
    expect(await exited).toBe(0);
  }
});
