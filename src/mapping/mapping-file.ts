// Loads and validates the mapping file (who gets a message, which one, and when). Every problem is
// reported at once, each with its line, column and path, e.g. `mapping.yaml:12:7 rules[1].send: ...`.
import { readFileSync, statSync } from 'node:fs';
import type { TSchema } from 'typebox';
import { type Document, isMap, isSeq, LineCounter, parseDocument, visit } from 'yaml';
import { allErrors } from '../schema-errors.ts';
import { type Path, toQuietHours, toRecipientEntry, toRule } from './mapping-entries.ts';
import { FileSchema } from './mapping-schema.ts';
import type { QuietHours } from './quiet-hours.ts';
import type { RecipientEntry } from './recipients.ts';
import type { Rule } from './rules.ts';
import { tagIdPlaces } from './tags.ts';

export interface Mapping {
  readonly file: string;
  readonly recipients: readonly RecipientEntry[];
  readonly rules: readonly Rule[];
  readonly quietHours?: QuietHours;
  /** What is allowed but worth the operator's attention (a retired Messenger tag), with its place: logged at startup. */
  readonly warnings: readonly string[];
  /** Each MantaGO tag id the rules name, with its place: checked against the bot's tags at startup. */
  readonly tagIds?: readonly { id: string; place: string }[];
}

export class MappingError extends Error {
  readonly problems: string[];
  constructor(problems: string[]) {
    super(`Mapping file is invalid:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'MappingError';
    this.problems = problems;
  }
}

/** Far more than any mapping needs (rules and recipient sources, not customers): a file past it is a wrong file. */
const MAX_MAPPING_BYTES = 1024 * 1024;

/** Reads and validates the mapping file; throws MappingError listing every problem. */
export function loadMappingFile(file: string): Mapping {
  let text: string;
  try {
    const { size } = statSync(file);
    if (size > MAX_MAPPING_BYTES)
      throw new MappingError([
        `${file}: the mapping file is ${size} bytes, more than the ${MAX_MAPPING_BYTES} a mapping may have; is MAPPING_FILE the right file?`,
      ]);
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if (error instanceof MappingError) throw error;
    throw new MappingError([
      `${file}: cannot read the mapping file (${(error as NodeJS.ErrnoException).code ?? 'error'}); set MAPPING_FILE to its path`,
    ]);
  }
  return parseMapping(text, file);
}

export function parseMapping(text: string, file: string): Mapping {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: true, merge: true }); // `<<: *defaults`, as compose files use it
  // A tag this service does not know (`!include`) would be read as plain text: a problem, not a warning.
  const unread = [...doc.errors, ...doc.warnings];
  if (unread.length > 0) {
    throw new MappingError(
      unread.map(
        (e) =>
          `${file}:${e.linePos?.[0].line ?? '?'}:${e.linePos?.[0].col ?? '?'}: ${e.message.split('\n')[0]?.replace(/ at line \d+, column \d+:?$/, '')}`,
      ),
    );
  }
  const value = documentValue(doc, lineCounter, file);
  const problems = new Set<string>(); // in the order found, each once
  const warnings: string[] = [];
  const place = (path: Path, message: string) => `${file}:${locate(doc, lineCounter, path)} ${formatPath(path)}: ${message}`;
  const report = (path: Path, message: string) => void problems.add(place(path, message));
  const warn = (path: Path, message: string) => void warnings.push(place(path, message));
  /** Whether the value has the schema's shape; an unknown key is reported but leaves it usable, so its other checks still run. */
  const check = (schema: TSchema, value: unknown, path: Path) => {
    let shaped = true;
    const errors = [...allErrors(schema, value)];
    const before = problems.size;
    let mismatch: Path | undefined; // a union no branch of which the value fits
    for (const error of errors) {
      const pointer = error.instancePath.split('/').slice(1).map(fromPointer);
      const at = [...path, ...pointer];
      // A union's branches: the enum-like errors below say it better. A lone constant (`directory: true`) says it itself.
      if (error.keyword === 'anyOf') {
        shaped = false;
        mismatch ??= at;
        continue;
      }
      if (error.keyword === 'const' && error.schemaPath.includes('/anyOf/')) continue;
      // A value that may be one event or a list of them (a union there): speak only of the branch the file chose.
      const union = errors.some((e) => e.keyword === 'anyOf' && e.instancePath === error.instancePath);
      const given = pointer.reduce<unknown>((v, key) => (v as Record<string | number, unknown> | undefined)?.[key], value);
      if (union && error.keyword === 'enum' && Array.isArray(given)) continue;
      if (union && error.keyword === 'type' && (error.params as { type?: unknown }).type === 'array' && typeof given === 'string') continue;
      // A list where one value or a list may stand: its entries' errors say what is wrong.
      if (
        union &&
        error.keyword === 'type' &&
        Array.isArray(given) &&
        errors.some((e) => e.instancePath.startsWith(`${error.instancePath}/`))
      )
        continue;
      if (error.keyword !== 'additionalProperties' && error.keyword !== 'boolean') shaped = false;
      if (error.keyword === 'additionalProperties') {
        for (const key of (error.params as { additionalProperties: string[] }).additionalProperties) report([...at, key], 'unknown key');
      } else if (error.keyword === 'boolean') {
        report(at, 'unknown key'); // TypeBox reports a key that additionalProperties: false forbids here
      } else if (error.keyword === 'minItems') {
        report(at, 'needs at least one entry');
      } else if (error.keyword === 'required') {
        report(at, `missing ${(error.params as { requiredProperties: string[] }).requiredProperties.join(', ')}`);
      } else if (error.keyword === 'const') {
        report(at, `must be ${JSON.stringify((error.params as { allowedValue: unknown }).allowedValue)}`);
      } else if (error.keyword === 'enum') {
        report(at, `must be one of ${(error.params as { allowedValues: unknown[] }).allowedValues.join(', ')}`);
      } else {
        report(at, error.message);
      }
    }
    if (mismatch && problems.size === before) report(mismatch, 'is not of a shape this key takes');
    return shaped;
  };

  check(FileSchema, value, []);
  // Go on to the entries wherever there are some, so one run reports every problem.
  const rawRecipients = Array.isArray(value.recipients) ? (value.recipients as unknown[]) : [];
  const rawRules = Array.isArray(value.rules) ? (value.rules as unknown[]) : [];
  const recipients = rawRecipients.flatMap((entry, i) => toRecipientEntry(entry, ['recipients', i], check, report) ?? []);
  const names = new Set<string>();
  const rules = rawRules.flatMap((entry, i) => {
    const name = (entry as { name?: unknown } | null)?.name;
    if (typeof name === 'string') {
      if (names.has(name)) report(['rules', i, 'name'], `duplicate rule name ${name}`);
      names.add(name);
    }
    return toRule(entry, ['rules', i], check, report, warn) ?? [];
  });
  const quietHours = value.quietHours === undefined ? undefined : toQuietHours(value.quietHours, ['quietHours'], check, report);

  if (problems.size > 0) throw new MappingError([...problems]);
  const tagIds = tagIdPlaces(rawRules).map(({ id, path }) => ({
    id,
    place: `${file}:${locate(doc, lineCounter, path)} ${formatPath(path)}`,
  }));
  return { file, recipients, rules, ...(quietHours && { quietHours }), warnings, ...(tagIds.length > 0 && { tagIds }) };
}

/** Aliases expanded; one that names no anchor, or so many they would expand without end, is a problem with its place. */
function documentValue(doc: Document, lineCounter: LineCounter, file: string): Record<string, unknown> {
  try {
    return (doc.toJS({ maxAliasCount: 1_000 }) ?? {}) as Record<string, unknown>;
  } catch (error) {
    let at: number | undefined;
    visit(doc, {
      Alias(_, node) {
        if (at === undefined && node.resolve(doc) === undefined) at = node.range?.[0];
      },
    });
    const { line, col } = lineCounter.linePos(at ?? 0);
    const reason = (error as Error).message
      .split('\n')[0]
      ?.replace(/^Excessive alias count indicates a resource exhaustion attack$/, 'so many aliases that the file would expand without end');
    throw new MappingError([`${file}:${line}:${col}: ${reason}`]);
  }
}

const fromPointer = (segment: string): string | number => {
  const decoded = segment.replace(/~1/g, '/').replace(/~0/g, '~');
  return /^\d+$/.test(decoded) ? Number(decoded) : decoded;
};

function formatPath(path: Path): string {
  if (path.length === 0) return '(file)';
  return path
    .map((p, i) => (typeof p === 'number' ? `[${p}]` : /^[A-Za-z_][\w]*$/.test(p) ? (i === 0 ? p : `.${p}`) : `[${JSON.stringify(p)}]`))
    .join('');
}

/** Line and column of the deepest node of `path` that exists in the document. */
function locate(doc: Document, lineCounter: LineCounter, path: Path): string {
  for (let depth = path.length; depth >= 0; depth--) {
    const node = depth === 0 ? doc.contents : doc.getIn(path.slice(0, depth), true);
    if (node && typeof node === 'object' && 'range' in node && Array.isArray(node.range)) {
      // For a key that should not be there, point at the key itself rather than its value.
      const start = depth > 0 ? (keyOffset(doc, path.slice(0, depth)) ?? node.range[0]) : node.range[0];
      const { line, col } = lineCounter.linePos(start);
      return `${line}:${col}`;
    }
  }
  return '1:1';
}

function keyOffset(doc: Document, path: Path): number | undefined {
  const parent = path.length === 1 ? doc.contents : doc.getIn(path.slice(0, -1), true);
  const last = path[path.length - 1];
  if (isMap(parent)) {
    const pair = parent.items.find((item) => (item.key as { value?: unknown } | null)?.value === last);
    const range = (pair?.key as { range?: [number, number, number] } | undefined)?.range;
    return range?.[0];
  }
  if (isSeq(parent) && typeof last === 'number')
    return (parent.items[last] as { range?: [number, number, number] } | undefined)?.range?.[0];
  return undefined;
}
