// Tagging beyond one service on one engine: the startup check of the mapping's tag ids, and a tag
// by name created once by two replicas on one PostgreSQL.
import { describe, expect, onTestFinished, test } from 'vitest';
import { startSimulator } from '../simulator/simulator.ts';
import { CLIENT_TAG_PATH } from '../src/mantago/tag-api.ts';
import { freshSchema, postgresServer } from './helpers/postgres.ts';
import { startService, type TestService } from './helpers/service.ts';
import { added, auth, JOURNEY, orderFor, post, RECIPIENTS, settled, user } from './helpers/tagging.ts';
import { waitFor } from './helpers/wait.ts';
import { shopifyRequest } from './helpers/webhooks.ts';

const server = await postgresServer();

test('a tag id the bot has no tag for is a warning at startup, with its place in the mapping; GET /admin/tags lists the ids', async () => {
  const sim = await startSimulator();
  sim.tags.create('buyer', 'ctBuyer01');
  const mapping = `${RECIPIENTS}rules:\n  - name: tags\n    tag: { add: [ctBuyer01, ctGone] }\n    send: { intentId: rb2kYmMdW }\n`;
  const service = await startService(sim, { mapping });
  onTestFinished(async () => {
    await service.app.close();
    await sim.close();
  });
  const listed = (await service.app.inject({ url: '/admin/tags', headers: auth })).json();
  expect(listed.tags).toEqual([{ id: 'ctBuyer01', name: 'buyer' }]);
  expect(listed.unknownInMapping).toEqual([{ id: 'ctGone', place: expect.stringMatching(/rules\[0\]\.tag\.add\[1\]$/) }]);
  const warned = (line: string) => line.includes('a tag id the bot has no client tag for');
  const warning = await waitFor(() => service.logs.find(warned), { what: 'the warning' });
  expect(JSON.parse(warning)).toMatchObject({
    tagId: 'ctGone',
    mapping: expect.stringMatching(/mapping\.yaml:7:\d+ rules\[0\]\.tag\.add\[1\]$/),
  });
  expect(service.logs.filter(warned)).toHaveLength(1);
});

describe.skipIf(!server)('tagging with two replicas on one PostgreSQL', () => {
  test('a tag by name is created once by two replicas taking 40 orders together', async () => {
    // Slow enough that both replicas look for the tag before either has made it (without the claim, two creates).
    const sim = await startSimulator({ latencyMs: 150 });
    const database = await freshSchema(server as string);
    const replicas: TestService[] = [];
    for (let i = 0; i < 2; i++)
      replicas.push(await startService(sim, { mapping: JOURNEY, env: { DATABASE_URL: database.url, MANTAGO_MAX_RPS: '1000' } }));
    onTestFinished(async () => {
      for (const replica of replicas) await replica.app.close();
      await sim.close();
      await database.drop();
    });
    const orders = Array.from({ length: 40 }, (_, i) => 300 + i);
    const placed = await Promise.all(orders.map((i) => post((replicas[i % 2] as TestService).app, shopifyRequest(orderFor(i)))));
    expect(placed.map((p) => p.status)).toEqual(orders.map(() => 202));
    for (const [i, p] of placed.entries()) await settled((replicas[i % 2] as TestService).app, p.id);
    expect(sim.tagCalls().filter((c) => c.path === CLIENT_TAG_PATH)).toHaveLength(1);
    expect(orders.map((i) => added(sim, 'buyer', user(i)))).toEqual(orders.map(() => 1));
  });
});
