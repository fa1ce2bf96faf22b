// `npm run simulator`: a local MantaGO to point the service at before a shop has credentials.
// SIMULATOR_PORT (4010), SIMULATOR_HOST (127.0.0.1), SIMULATOR_BOT_ID (simBot01), SIMULATOR_LATENCY_MS (0).
import { startSimulator } from './simulator.ts';

const simulator = await startSimulator({
  port: Number(process.env.SIMULATOR_PORT ?? 4010),
  host: process.env.SIMULATOR_HOST ?? '127.0.0.1',
  botId: process.env.SIMULATOR_BOT_ID ?? 'simBot01',
  latencyMs: Number(process.env.SIMULATOR_LATENCY_MS ?? 0),
});
const settings = Object.entries(simulator.serviceEnv())
  .map(([name, value]) => `  ${name}=${value}`)
  .join('\n');
process.stdout.write(`MantaGO simulator listening on ${simulator.url}

Point the service at it (these credentials are the simulator's own, made up at start):
${settings}

Look and flip switches:
  curl ${simulator.url}/__simulator/broadcasts
  curl ${simulator.url}/__simulator/state
  curl -X POST ${simulator.url}/__simulator/switches -H 'content-type: application/json' -d '{"latencyMs":200,"fail":{"status":503,"count":3}}'
  curl -X POST ${simulator.url}/__simulator/expire     # the token answers 1004 until refreshed
  curl -X POST ${simulator.url}/__simulator/pair       # a new pair, as the dashboard would issue; the old one dies
`);

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    void simulator.close().then(() => process.exit(0));
  });
}
