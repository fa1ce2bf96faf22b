// Every problem a schema finds in the operator's configuration (the environment, the mapping file):
// TypeBox stops at 8 by default, a guard meant for untrusted input; a start that lists only some of
// the mistakes makes the operator fix them one run at a time. Webhook payloads keep the default.
import type { TSchema } from 'typebox';
import { Settings } from 'typebox/system';
import { Value } from 'typebox/value';

/** Enough for any configuration an operator writes; still a bound. */
const MAX_CONFIG_ERRORS = 10_000;

export function allErrors(schema: TSchema, value: unknown): ReturnType<typeof Value.Errors> {
  const { maxErrors } = Settings.Get();
  Settings.Set({ maxErrors: MAX_CONFIG_ERRORS });
  try {
    return Value.Errors(schema, value);
  } finally {
    Settings.Set({ maxErrors });
  }
}
