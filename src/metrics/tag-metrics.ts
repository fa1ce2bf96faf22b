// The tag jobs' metrics, in the app's registry: every try of a tag job by action and outcome, and the
// jobs given up (the calls themselves are in notifier_mantago_call_duration_seconds, endpoints tag,
// tag_list, tag_create).
import { Counter, type Registry } from 'prom-client';
import { TAG_ACTIONS, TAG_ATTEMPT_OUTCOMES, type TagAction, type TagAttemptOutcome } from '../domain/tagging.ts';

export interface TagMetrics {
  tried(action: TagAction, outcome: TagAttemptOutcome): void;
  /** A job given up (dead): refused by MantaGO, or out of tries; its user's tag stays as it was. */
  died(action: TagAction): void;
}

export function tagMetrics(registry: Registry): TagMetrics {
  const tries = new Counter({
    name: 'notifier_tag_calls_total',
    help: `Tries of MantaGO tag jobs, by action (${TAG_ACTIONS.join(', ')}) and outcome (${TAG_ATTEMPT_OUTCOMES.join(', ')})`,
    labelNames: ['action', 'outcome'],
    registers: [registry],
  });
  const dead = new Counter({
    name: 'notifier_tag_jobs_dead_total',
    help: `MantaGO tag jobs given up (dead: refused, or out of tries), by action (${TAG_ACTIONS.join(', ')})`,
    labelNames: ['action'],
    registers: [registry],
  });
  return { tried: (action, outcome) => tries.inc({ action, outcome }), died: (action) => dead.inc({ action }) };
}
