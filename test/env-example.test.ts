// .env.example documents every setting the service reads, with the default it really has.
import { readFileSync } from 'node:fs';
import { expect, test } from 'vitest';
import { EnvSchema, parseEnv } from '../src/config/env.ts';

const example = readFileSync(new URL('../.env.example', import.meta.url), 'utf8');
const documented = new Map(
  example
    .split('\n')
    .map((line) => line.match(/^(?:# )?([A-Z][A-Z0-9_]*)=(\S*)/)) // `# NAME=`: documented, left to its default
    .filter((m): m is RegExpMatchArray => m !== null)
    .map((m) => [m[1] as string, m[2] as string]),
);

test('every setting is in .env.example, and nothing else is', () => {
  expect([...documented.keys()].sort()).toEqual(Object.keys(EnvSchema.properties).sort());
});

test('read as docker run --env-file reads it (no inline comments), .env.example sets only what it means to', () => {
  const { config, problems } = parseEnv({
    ...Object.fromEntries(
      example
        .split('\n')
        .filter((line) => /^[A-Z]/.test(line))
        .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
    ),
    MANTAGO_BOT_ID: 'b',
    MANTAGO_API_TOKEN: 't',
    MANTAGO_API_SECRET: 's',
  });
  expect(problems ?? []).toEqual([]);
  // A secret left empty stays unset: its source is disabled, not signed with a comment's words.
  expect(config?.SHOPIFY_WEBHOOK_SECRET).toBeUndefined();
  // docker-compose.yml hands the file to the container, whose image keeps SQLite in its volume.
  expect(example).not.toMatch(/^(DATABASE_URL|MAPPING_FILE)=/m);
});

test('the defaults in .env.example are the real defaults', () => {
  const { config } = parseEnv({ MANTAGO_BOT_ID: 'b', MANTAGO_API_TOKEN: 't', MANTAGO_API_SECRET: 's' });
  for (const [name, value] of documented) {
    if (value === '') continue;
    expect(String(config?.[name as keyof typeof config]), name).toBe(value);
  }
});
