// The mapping file read as YAML: syntax errors, aliases and tags, and a file of many mistakes, each
// a problem with its place, all listed at once (never a crash with a stack trace).
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { loadMappingFile, MappingError } from '../src/mapping/mapping-file.ts';
import { problemsOf } from './helpers/mapping.ts';

test('YAML syntax errors are reported with their place', () => {
  expect(problemsOf('recipients: [\nrules: x')).toEqual([
    'm.yaml:2:1: Flow sequence in block collection must be sufficiently indented and end with a ]',
  ]);
});

test('an alias naming no anchor, an alias bomb and a tag it does not know are problems with their place, not a crash', () => {
  expect(problemsOf('recipients: *defaults_typo\nrules: []\n')).toEqual([
    'm.yaml:1:13: Unresolved alias (the anchor must be set before the alias): defaults_typo',
  ]);
  const bomb = ['a: &a ["x","x","x","x","x","x","x","x","x","x"]']
    .concat(['b', 'c', 'd', 'e', 'f', 'g'].map((k, i) => `${k}: &${k} [${Array(10).fill(`*${'abcdefg'[i]}`).join(',')}]`))
    .join('\n');
  expect(problemsOf(bomb)).toEqual(['m.yaml:1:1: so many aliases that the file would expand without end']);
  expect(problemsOf('recipients: [{ attribute: a, platform: line }]\nrules: !include rules.yaml\n')).toEqual([
    'm.yaml:2:8: Unresolved tag: !include',
  ]);
  // Anchors used as meant are read as before.
  expect(
    problemsOf(
      'recipients: [{ attribute: a, platform: line }]\nrules:\n  - &r { name: a, send: { intentId: i1 } }\n  - { <<: *r, name: b }\n',
    ),
  ).toEqual([]);
});

test('every unknown variable of a template is named, not only the first', () => {
  expect(
    problemsOf(
      'recipients: [{ attribute: a, platform: line }]\nrules:\n  - name: n\n    send: { message: "{{a.b}} {{c.d}} {{order.numbr}} {{order.number}}" }\n',
    ),
  ).toEqual([
    expect.stringMatching(
      /^m\.yaml:4:13 rules\[0\]\.send\.message: unknown template variable \{\{a\.b\}\}, \{\{c\.d\}\}, \{\{order\.numbr\}\}; known: /,
    ),
  ]);
});

test('more than eight mistakes in one rule are all listed', () => {
  const keys = Array.from({ length: 12 }, (_, i) => `    k${i}: 1`).join('\n');
  const problems = problemsOf(`recipients: [{ attribute: a, platform: line }]\nrules:\n  - name: n\n    send: { intentId: i }\n${keys}\n`);
  expect(problems).toHaveLength(12);
  expect(problems[11]).toBe('m.yaml:16:5 rules[0].k11: unknown key');
});

test('a file far larger than any mapping (the wrong file) is refused before it is read', () => {
  const file = join(mkdtempSync(join(tmpdir(), 'mapping-')), 'huge.yaml');
  writeFileSync(file, `# ${'x'.repeat(1024 * 1024)}\nrecipients: []\n`);
  expect(() => loadMappingFile(file)).toThrow(MappingError);
  expect(() => loadMappingFile(file)).toThrow(/huge\.yaml: the mapping file is \d+ bytes, more than the 1048576 a mapping may have/);
});
