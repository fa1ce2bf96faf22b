// `npm run demo` works, and the curl lines it prints (the README's) do what they say.
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { expect, test } from 'vitest';
import { tempDir } from './helpers/service.ts';
import { waitFor } from './helpers/wait.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** The README's admin curl block, with the demo's ports where the README has the defaults. */
function readmeAdminLines(port: string, simulatorPort: string): string {
  const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
  const start = readme.indexOf('```sh', readme.indexOf('<!-- admin-curl'));
  const block = readme.slice(readme.indexOf('\n', start) + 1, readme.indexOf('\n```', start));
  return block
    .replace('http://localhost:3000', `http://localhost:${port}`)
    .replace('http://localhost:4010', `http://localhost:${simulatorPort}`);
}

test("the demo sends a signed order, shows what MantaGO received, its curl lines work as printed, and so do the README's admin lines", async () => {
  const env = { PATH: process.env.PATH, PORT: String(await freePort()), SIMULATOR_PORT: String(await freePort()) };
  const demo = spawn(process.execPath, ['scripts/demo.ts'], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  demo.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  demo.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => demo.once('exit', resolve));
  let passed = false;
  try {
    await waitFor(() => output.includes('Running until Ctrl-C.'), { timeoutMs: 20_000, what: 'the demo to start' }).catch(
      (error: Error) => {
        throw new Error(`${error.message}; what it printed:\n${output}`);
      },
    );
    expect(output).toContain('POST /webhooks/shopify  ->  HTTP 202 {"status":"accepted"');
    expect(output).toMatch(/"intentId": "rb2kYmMdW",\s+"name": "default #1001"/);
    // The journey: the shipment's message, with its tracking link, to the same customer.
    expect(output).toMatch(/"message": "Order #1001 is on its way: https:\/\/track\.example\/TW123456789",\s+"name": "shipped #1001"/);
    // No storefront work: member 7010, bound in MantaGO, is found there.
    expect(output).toMatch(
      /"clientIds": \[\s+"U7010aaaabbbbccccddddeeeeffff0000"\s+\],\s+"intentId": "rb2kYmMdW",\s+"name": "default #1010"/,
    );
    expect(output).toContain(
      `operator console   http://localhost:${env.PORT}/console   (sign in with the admin token demo-admin-token-change-me)`,
    );
    expect((await fetch(`http://127.0.0.1:${env.PORT}/console/`)).status).toBe(200);
    // A shop order whose webhook never came, found by reconciliation.
    expect(output).toContain('->  HTTP 200 {"source":"shopify","orders":1,"new":1,"duplicates":0,"ignored":0}');
    expect(output).toMatch(/"intentId": "VIPmodule9",\s+"name": "big-spender #1001"/);

    const lines = output
      .slice(output.indexOf('5. Try more'), output.indexOf('Running until'))
      .split('\n')
      .slice(1)
      .map((l) => l.replace(/^ {3}/, ''))
      .join('\n');
    // In the environment the demo gives its service (only PATH): a moved clock (faketime's) would
    // sign the lines' timestamps a year away from the service's.
    const shell = { encoding: 'utf8', env: { PATH: process.env.PATH } } as const;
    const run = spawnSync('bash', ['-c', lines], shell);
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
    const expected = [
      'default #1001',
      'shipped #1001',
      'default #1010',
      'big-spender #1001',
      'big-spender #1002',
      'messenger-text #1003',
      'default 501',
      'default A-1',
    ];
    await waitFor(
      async () => {
        const { broadcasts } = (await (await fetch(`http://127.0.0.1:${env.SIMULATOR_PORT}/__simulator/broadcasts`)).json()) as {
          broadcasts: { name: string }[];
        };
        const names = broadcasts.map((b) => b.name);
        return expected.every((name) => names.filter((n) => n === name).length === 1) && names.length === expected.length;
      },
      { what: 'each demo order broadcast once' },
    );

    const cwd = tempDir();
    const admin = spawnSync('bash', ['-c', readmeAdminLines(env.PORT, env.SIMULATOR_PORT)], { ...shell, cwd });
    expect(admin.status, admin.stderr).toBe(0);
    const out = admin.stdout.trim().split('\n');
    const json = out.slice(0, 21).map((line) => JSON.parse(line));
    expect(json[0]).toMatchObject({ deliveries: [expect.any(Object), expect.any(Object)], nextCursor: expect.any(Number) });
    expect(json[1].deliveries[0]).toMatchObject({ status: 'skipped', lastError: expect.stringContaining('no chat user') });
    expect(json[2]).toMatchObject({ id: 1, status: 'sent', attemptLog: [expect.objectContaining({ outcome: 'sent', httpStatus: 200 })] });
    expect(json[3]).toMatchObject({ status: 'sent', mantago: { httpStatus: 200, reply: { success: true } } });
    expect(json[4]).toMatchObject({ status: 'partly_sent', deliveries: [{ status: 'sent' }, { status: 'dead' }] });
    expect(json[5]).toMatchObject({ status: 'pending', attempts: 0, source: 'admin' });
    expect(json[6]).toEqual({ redriven: expect.any(Number) });
    expect(json[7]).toEqual({ tagJobs: expect.any(Array), nextCursor: null });
    expect(json[8]).toEqual({ redriven: expect.any(Number), superseded: expect.any(Number), remaining: 0 });
    expect(json[9]).toMatchObject({ usable: 'ok', state: 'usable' });
    expect(json[10]).toMatchObject({ botId: 'demoBot01', state: 'ok' });
    expect(json[11]).toMatchObject({ outcome: 'renewed' });
    expect(json[12]).toMatchObject({ state: 'ok', origin: 'admin' });
    expect(json[13]).toMatchObject({ key: 'email:guest@example.com', platform: 'line' });
    expect(json[14]).toMatchObject({ key: 'email:guest@example.com', userId: 'U4af4980629ab33c3c2f0c1d9d2a1b2c3' });
    expect(json[15]).toMatchObject({
      recipient: { platform: 'line', userId: 'U4af4980629ab33c3c2f0c1d9d2a1b2c3', via: 'directory email:guest@example.com' },
      rule: 'default',
      skipped: null,
    });
    expect(json[16]).toEqual({ imported: 1, errors: [{ line: 2, error: expect.any(String) }] });
    expect(json[17]).toEqual({ imported: 1, errors: [] });
    expect(json[18]).toMatchObject({ key: 'email:guest@example.com', optOut: true, userId: 'U4af4980629ab33c3c2f0c1d9d2a1b2c3' });
    expect(json[19]).toBe(204);
    expect(json[20]).toBe(204);
    expect(JSON.parse(out[21] ?? '')).toMatchObject({
      deliveries: { pending: expect.any(Number), sentLastHour: expect.any(Number) },
      dryRun: false,
    });
    expect(out.slice(22).join('\n')).toMatch(/notifier_webhooks_total\{source="shopify",outcome="accepted"\} \d+/);
    expect(out.at(-1)).toBe('saved openapi.json');
    expect(JSON.parse(readFileSync(`${cwd}/openapi.json`, 'utf8')).paths).toHaveProperty(['/admin/deliveries']);
    for (const secret of ['demo-admin-token-change-me', 'demo-shopify-secret']) expect(admin.stdout).not.toContain(secret);
    passed = true;
  } finally {
    demo.kill('SIGINT');
    const code = await exited;
    // After a failure above, that failure is the one to report, not how the demo then ended.
    if (passed) expect(code, `the demo's exit; what it printed last:\n${output.slice(-3000)}`).toBe(0);
  }
});
