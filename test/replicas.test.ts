// Two service processes on one PostgreSQL and the simulator, as a scaled-out deployment runs.
import { afterEach, describe, expect, test } from 'vitest';
import { type MantagoSimulator, startSimulator } from '../simulator/simulator.ts';
import { deployment, inParallel, orderUser, postOrder } from './helpers/deployment.ts';
import { postgresServer } from './helpers/postgres.ts';
import type { ServiceProcess } from './helpers/process.ts';
import { waitFor } from './helpers/wait.ts';

const server = await postgresServer();
const cleanup: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const close of cleanup.splice(0).reverse()) await close();
});

const timesDelivered = (sim: MantagoSimulator, i: number) => sim.timesDelivered(orderUser(i));

async function setup(sim: MantagoSimulator, env: Record<string, string>) {
  cleanup.push(() => sim.close());
  const deployed = await deployment(server as string, sim, env);
  cleanup.push(() => deployed.close());
  return deployed;
}

describe.skipIf(!server)('two replicas on one PostgreSQL', () => {
  test('500 orders over both, a third sent to both, a forced expiry mid-way: each delivered once, one refresh in all', async () => {
    const sim = await startSimulator({ latencyMs: 20 });
    const { replicas } = await setup(sim, { BATCH_MAX_RECIPIENTS: '20', MANTAGO_MAX_CONCURRENCY: '4', MANTAGO_MAX_RPS: '500' });
    const [a, b] = replicas as [ServiceProcess, ServiceProcess];
    const orders = Array.from({ length: 500 }, (_, i) => i);
    const answers: number[] = [];
    await inParallel(orders, 20, async (i) => {
      if (i === 250) sim.expireToken();
      const [first, other] = i % 2 ? [a, b] : [b, a];
      const sends = [postOrder(first, i)];
      if (i % 3 === 0) sends.push(postOrder(other, i)); // the shop redelivers to the other replica at once
      answers.push(...(await Promise.all(sends)));
    });
    expect(answers.filter((s) => s === 202)).toHaveLength(500);
    expect(answers.filter((s) => s === 200)).toHaveLength(167);

    await waitFor(() => orders.every((i) => timesDelivered(sim, i) >= 1), { what: 'all 500 orders', timeoutMs: 30_000 });
    expect(orders.map((i) => timesDelivered(sim, i))).toEqual(orders.map(() => 1));
    expect(sim.deliveredClientIds()).toHaveLength(500);
    expect(sim.refreshCalls()).toHaveLength(1);
    expect(sim.broadcastCalls().filter((c) => c.error === 'Token is invalid or expired').length).toBeGreaterThan(0);
    // Both replicas really did deliver: the work was shared.
    for (const replica of [a, b]) expect(replica.output.some((line) => line.includes('"msg":"broadcast sent"'))).toBe(true);
  });

  test('a replica killed with SIGKILL while holding claimed work: the survivor delivers it after the lease, once', async () => {
    // MantaGO takes the calls and answers none until the victim is dead: a call answered in the
    // instant before the kill would be sent by the victim and again by the survivor, a duplicate no
    // lease can prevent, so the kill must not race an answer.
    const sim = await startSimulator();
    sim.set({ hold: true });
    const deployed = await setup(sim, {
      BATCH_MAX_RECIPIENTS: '3',
      MANTAGO_MAX_CONCURRENCY: '2',
      MANTAGO_TIMEOUT_MS: '3000',
      DELIVERY_LEASE_MS: '6000',
    });
    const [victim, survivor] = deployed.replicas as [ServiceProcess, ServiceProcess];
    const orders = Array.from({ length: 30 }, (_, i) => i);
    for (const i of orders) expect(await postOrder(i % 2 ? victim : survivor, i)).toBe(202);

    await waitFor(async () => sim.heldCalls > 0 && (await deployed.heldBy(victim)) > 0, {
      what: 'the victim to hold claimed work, with calls under way at MantaGO',
    });
    victim.child.kill('SIGKILL');
    await victim.exited;
    expect(await deployed.heldBy(victim)).toBeGreaterThan(0);
    sim.failHeldCalls(); // none of the held calls happened: the survivor retries its own

    await waitFor(() => orders.every((i) => timesDelivered(sim, i) >= 1), {
      what: 'every order, the orphaned ones after their lease',
      timeoutMs: 20_000,
    });
    expect(orders.map((i) => timesDelivered(sim, i))).toEqual(orders.map(() => 1));
    expect(await deployed.heldBy(victim)).toBe(0);
    expect(survivor.child.exitCode).toBe(null);
  });
});
