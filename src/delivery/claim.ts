// What the worker's send steps pass along: the deliveries it holds under one lease (a claim, under
// an owner name of its own), and one broadcast made for them (a call), as outcome.ts decides from
// it and the attempts record it.
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { AttemptOutcome, AttemptResult, ClaimedDelivery, Transition } from '../domain/delivery.ts';
import type { CallResult } from '../mantago/client.ts';
import type { Lease } from './lease.ts';
import { attemptsOf, type Step } from './outcome.ts';

/** Who holds this process's leases (and its refresh claims); each claim adds a number of its own. */
export function workerOwner(): string {
  return `${hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`;
}

/** Deliveries this worker holds under one lease, on their way through the send steps. */
export interface Claim {
  batch: ClaimedDelivery[];
  lease: Lease;
  /** Credentials renewals this send has made so far. */
  renewals: number;
  /** Told of each MantaGO answer (a manual broadcast shows the operator the last one). */
  observe?: (result: CallResult) => void;
  /** The probe of a refused bot: the one claim that calls MantaGO while it refuses (bot-pause.ts). */
  probe?: boolean;
  /** Part of a split batch: shared by all its parts, whether MantaGO accepted any (then a 36000 is the recipient's, not the bot's). */
  split?: { botAccepted: boolean };
}

/** One broadcast made for a claim: what outcome.ts decides from and the attempts record. */
export interface Call {
  startedAt: number;
  result: CallResult;
  /** The credentials generation it was made with: a 1004 asks for a newer one. */
  generation: number;
}

export type StepOf<S extends Step['step']> = Extract<Step, { step: S }>;

/** The attempts of a call after which the same claim calls again (renewed credentials, a split batch): it stays in flight. */
export function stillClaimed(outcome: AttemptOutcome, claim: Claim, call: Call): AttemptResult[] {
  const inFlight = claim.batch.map((): Transition => ({ to: 'in_flight' }));
  return attemptsOf(claim.batch, call.startedAt, call.result, outcome, inFlight);
}
