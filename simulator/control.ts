// The simulator's control routes (/__simulator/...), for `npm run simulator` and the demo: look at
// what arrived, flip switches, add the bot's users, issue a pair as the dashboard would.
import type { MantagoClientRecord } from '../src/mantago/api.ts';
import { error, type Reply } from './answers.ts';
import type { MantagoSimulator } from './simulator.ts';
import type { Switches } from './switches.ts';

export function control(sim: MantagoSimulator, path: string, method: string, raw: string): Reply {
  // Control answers are plain JSON, not MantaGO's envelope: /pair pipes straight into PUT /admin/credentials.
  const ok = (body: Record<string, unknown>) => [200, body] as unknown as Reply;
  if (method === 'GET' && path === '/broadcasts') return ok({ broadcasts: sim.broadcasts });
  if (method === 'GET' && path === '/binds') return ok({ binds: sim.clients.binds });
  if (method === 'GET' && path === '/tags') return ok({ tags: sim.tags.tags, changes: sim.tags.changes });
  if (method === 'GET' && path === '/state') {
    return ok({
      botId: sim.botId,
      switches: sim.switches,
      tokenExpiresAt: new Date(sim.tokenExpiresAt).toISOString(),
      forcedExpiry: sim.forcedExpiry,
      broadcasts: sim.broadcasts.length,
      refreshCalls: sim.refreshCalls().length,
      lookupCalls: sim.lookupCalls().length,
    });
  }
  if (method === 'POST' && path === '/expire') {
    sim.expireToken();
    return ok({ expired: true });
  }
  if (method === 'POST' && path === '/pair') return ok(sim.issuePair());
  let body: Record<string, unknown>;
  try {
    body = JSON.parse(raw || '{}') as Record<string, unknown>;
  } catch {
    return [400, error('body must be JSON')];
  }
  if (method === 'POST' && path === '/switches') {
    sim.set(body as Partial<Switches>);
    return ok({ switches: sim.switches });
  }
  if (method === 'POST' && path === '/clients') {
    return ok({ clients: ((body.clients ?? []) as MantagoClientRecord[]).map((client) => sim.addClient(client)) });
  }
  return [404, error('unknown simulator control')];
}
