// What arrived at the simulator: every API call with its answer, and the broadcasts it accepted,
// with the questions tests ask of them (how many refreshes, lookups, messages to one user...).
import { BIND_PATH, BROADCAST_PATH, CLIENT_PATH, CLIENTS_PATH, TOKEN_PATH } from '../src/mantago/api.ts';
import type { ReceivedBroadcast } from './answers.ts';
import { TAG_PATHS } from './tags.ts';

export interface CallRecord {
  at: number;
  path: string;
  status: number;
  error?: string;
  /** MantaGO's errResponse.code, if it answered with one. */
  code?: number;
  /** A client list call's customerId filter: none for the bot check (a list of one client). */
  customerId?: string;
}

export class CallLog {
  /** Broadcasts MantaGO accepted, in order. */
  readonly broadcasts: ReceivedBroadcast[] = [];
  /** Every API call, whatever came of it. */
  readonly calls: CallRecord[] = [];

  refreshCalls(): CallRecord[] {
    return this.calls.filter((c) => c.path === TOKEN_PATH);
  }

  broadcastCalls(): CallRecord[] {
    return this.calls.filter((c) => c.path === BROADCAST_PATH);
  }

  /** Client list calls for a customer, and get calls (not the bot check: a list of one client with no filter). */
  lookupCalls(): CallRecord[] {
    return this.calls.filter((c) => (c.path === CLIENTS_PATH && c.customerId !== undefined) || c.path.startsWith(`${CLIENT_PATH}/`));
  }

  /** Client list calls without a customer: the service checking the bot and the pair. */
  checkCalls(): CallRecord[] {
    return this.calls.filter((c) => c.path === CLIENTS_PATH && c.customerId === undefined);
  }

  bindCalls(): CallRecord[] {
    return this.calls.filter((c) => c.path === BIND_PATH);
  }

  /** Tag calls: create, list, put on and take off. */
  tagCalls(): CallRecord[] {
    return this.calls.filter((c) => TAG_PATHS.includes(c.path));
  }

  /** Every client id MantaGO accepted, once per time it was sent. */
  deliveredClientIds(): string[] {
    return this.broadcasts.flatMap((b) => b.clientIds);
  }

  /** How many messages one user got. */
  timesDelivered(clientId: string): number {
    return this.deliveredClientIds().filter((id) => id === clientId).length;
  }

  /** The most calls that arrived within any one second. */
  maxCallsPerSecond(): number {
    const times = this.calls.map((c) => c.at).sort((a, b) => a - b);
    let peak = 0;
    for (let start = 0, end = 0; end < times.length; end++) {
      while ((times[end] as number) - (times[start] as number) >= 1000) start++;
      peak = Math.max(peak, end - start + 1);
    }
    return peak;
  }
}
