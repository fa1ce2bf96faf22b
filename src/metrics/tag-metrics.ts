// The tag jobs' metric, in the app's registry: every try of a tag job by action and outcome (the
// calls themselves are in notifier_mantago_call_duration_seconds, endpoints tag, tag_list, tag_create).
import { Counter, type Registry } from 'prom-client';
import { TAG_ACTIONS, TAG_ATTEMPT_OUTCOMES, type TagAction, type TagAttemptOutcome } from '../domain/tagging.ts';

export function tagMetric(registry: Registry): (action: TagAction, outcome: TagAttemptOutcome) => void {
  const tries = new Counter({
    name: 'notifier_tag_calls_total',
    help: `Tries of MantaGO tag jobs, by action (${TAG_ACTIONS.join(', ')}) and outcome (${TAG_ATTEMPT_OUTCOMES.join(', ')})`,
    labelNames: ['action', 'outcome'],
    registers: [registry],
  });
  return (action, outcome) => tries.inc({ action, outcome });
}
