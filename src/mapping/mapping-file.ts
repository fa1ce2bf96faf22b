// Loads and validates the mapping file (who gets a message, and which one). Every problem is
// reported at once, each with its line, column and path, e.g. `mapping.yaml:12:7 rules[1].send: ...`.
import { readFileSync } from 'node:fs';
import Type, { type TSchema } from 'typebox';
import { Value } from 'typebox/value';
import { isMap, isSeq, LineCounter, parseDocument, type Document } from 'yaml';
import { FB_TAGS, type FbTag } from '../domain/content.ts';
import { isValidUserId, PLATFORMS, type Platform } from '../domain/recipient.ts';
import { SOURCE_NAMES } from '../sources/registry.ts';
import { directoryKeyProblem } from './directory-keys.ts';
import type { RecipientSource } from './recipients.ts';
import type { Rule } from './rules.ts';
import { compileTemplate } from './template.ts';

export interface Mapping {
  readonly file: string;
  readonly recipients: readonly RecipientSource[];
  readonly rules: readonly Rule[];
}

const PlatformSchema = Type.Enum([...PLATFORMS]);
const AttributeEntry = Type.Object({ attribute: Type.String({ minLength: 1 }), platform: PlatformSchema }, { additionalProperties: false });
const StaticEntry = Type.Object(
  {
    static: Type.Record(
      Type.String(),
      Type.Object({ platform: PlatformSchema, userId: Type.String({ minLength: 1 }) }, { additionalProperties: false }),
    ),
  },
  { additionalProperties: false },
);
const DirectoryEntry = Type.Object({ directory: Type.Literal(true) }, { additionalProperties: false });
const RuleSchema = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 100 }),
    when: Type.Optional(
      Type.Object(
        {
          platform: Type.Optional(PlatformSchema),
          source: Type.Optional(Type.Enum([...SOURCE_NAMES])),
          shop: Type.Optional(Type.String({ minLength: 1 })),
          currency: Type.Optional(Type.String({ pattern: '^[A-Za-z]{3}$' })),
          minTotal: Type.Optional(Type.Number()),
          maxTotal: Type.Optional(Type.Number()),
        },
        { additionalProperties: false },
      ),
    ),
    send: Type.Object(
      {
        intentId: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
        message: Type.Optional(Type.String({ minLength: 1, maxLength: 5000 })),
        fbTag: Type.Optional(Type.Enum([...FB_TAGS])),
      },
      { additionalProperties: false },
    ),
  },
  { additionalProperties: false },
);
const FileSchema = Type.Object(
  { recipients: Type.Array(Type.Unknown(), { minItems: 1 }), rules: Type.Array(Type.Unknown(), { minItems: 1 }) },
  { additionalProperties: false },
);

type Path = (string | number)[];

export class MappingError extends Error {
  readonly problems: string[];
  constructor(problems: string[]) {
    super(`Mapping file is invalid:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'MappingError';
    this.problems = problems;
  }
}

/** Reads and validates the mapping file; throws MappingError listing every problem. */
export function loadMappingFile(file: string): Mapping {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new MappingError([
      `${file}: cannot read the mapping file (${(error as NodeJS.ErrnoException).code ?? 'error'}); set MAPPING_FILE to its path`,
    ]);
  }
  return parseMapping(text, file);
}

export function parseMapping(text: string, file: string): Mapping {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: true });
  if (doc.errors.length > 0) {
    throw new MappingError(
      doc.errors.map((e) => `${file}:${e.linePos?.[0].line ?? '?'}:${e.linePos?.[0].col ?? '?'}: ${e.message.split('\n')[0]}`),
    );
  }
  const problems: string[] = [];
  const report = (path: Path, message: string) => {
    const problem = `${file}:${locate(doc, lineCounter, path)} ${formatPath(path)}: ${message}`;
    if (!problems.includes(problem)) problems.push(problem);
  };
  const check = (schema: TSchema, value: unknown, path: Path) => {
    const before = problems.length;
    for (const error of Value.Errors(schema, value)) {
      if (error.keyword === 'anyOf' || error.keyword === 'const') continue; // the enum-like errors below say it better
      const at = [...path, ...error.instancePath.split('/').slice(1).map(fromPointer)];
      if (error.keyword === 'additionalProperties') {
        for (const key of (error.params as { additionalProperties: string[] }).additionalProperties) report([...at, key], 'unknown key');
      } else if (error.keyword === 'boolean') {
        report(at, 'unknown key'); // TypeBox reports a key that additionalProperties: false forbids here
      } else if (error.keyword === 'minItems') {
        report(at, 'needs at least one entry');
      } else if (error.keyword === 'required') {
        report(at, `missing ${(error.params as { requiredProperties: string[] }).requiredProperties.join(', ')}`);
      } else if (error.keyword === 'enum') {
        report(at, `must be one of ${(error.params as { allowedValues: unknown[] }).allowedValues.join(', ')}`);
      } else {
        report(at, error.message);
      }
    }
    return problems.length === before;
  };

  const value = (doc.toJS() ?? {}) as Record<string, unknown>;
  check(FileSchema, value, []);
  // Go on to the entries wherever there are some, so one run reports every problem.
  const rawRecipients = Array.isArray(value.recipients) ? (value.recipients as unknown[]) : [];
  const rawRules = Array.isArray(value.rules) ? (value.rules as unknown[]) : [];

  const recipients: RecipientSource[] = [];
  rawRecipients.forEach((entry, i) => {
    const source = toRecipientSource(entry, ['recipients', i], check, report);
    if (source) recipients.push(source);
  });

  const rules: Rule[] = [];
  const names = new Set<string>();
  rawRules.forEach((entry, i) => {
    const path: Path = ['rules', i];
    const name = (entry as { name?: unknown } | null)?.name;
    if (typeof name === 'string') {
      if (names.has(name)) report([...path, 'name'], `duplicate rule name ${name}`);
      names.add(name);
    }
    if (!check(RuleSchema, entry, path)) return;
    const raw = entry as { name: string; when?: Rule['when']; send: { intentId?: string; message?: string; fbTag?: FbTag } };
    const when = raw.when ?? {};
    if (when.minTotal !== undefined && when.maxTotal !== undefined && when.minTotal > when.maxTotal) {
      report([...path, 'when'], 'minTotal is greater than maxTotal, so the rule can never match');
    }
    if ((raw.send.intentId === undefined) === (raw.send.message === undefined)) {
      report([...path, 'send'], 'needs exactly one of intentId (a conversation module) or message (text)');
      return;
    }
    if (raw.send.fbTag !== undefined && when.platform === 'line') report([...path, 'send', 'fbTag'], 'fbTag only applies to facebook');
    if (raw.send.message !== undefined) {
      const template = compileTemplate(raw.send.message);
      if ('error' in template) {
        report([...path, 'send', 'message'], template.error);
        return;
      }
      rules.push({ name: raw.name, when, send: { message: template, fbTag: raw.send.fbTag } });
    } else {
      rules.push({ name: raw.name, when, send: { intentId: raw.send.intentId as string, fbTag: raw.send.fbTag } });
    }
  });

  if (problems.length > 0) throw new MappingError(problems);
  return { file, recipients, rules };
}

type Check = (schema: TSchema, value: unknown, path: Path) => boolean;
type Report = (path: Path, message: string) => void;

function toRecipientSource(entry: unknown, path: Path, check: Check, report: Report): RecipientSource | undefined {
  const keys = entry && typeof entry === 'object' ? Object.keys(entry) : [];
  if (keys.includes('attribute')) {
    if (!check(AttributeEntry, entry, path)) return undefined;
    const { attribute, platform } = entry as { attribute: string; platform: Platform };
    return { kind: 'attribute', attribute, platform };
  }
  if (keys.includes('static')) {
    if (!check(StaticEntry, entry, path)) return undefined;
    const entries = new Map<string, { platform: Platform; userId: string }>();
    for (const [key, target] of Object.entries((entry as { static: Record<string, { platform: Platform; userId: string }> }).static)) {
      const at = [...path, 'static', key];
      const keyProblem = directoryKeyProblem(key);
      if (keyProblem) report(at, keyProblem);
      else if (!isValidUserId(target.platform, target.userId)) report([...at, 'userId'], `is not a ${target.platform} user id`);
      else entries.set(key, target);
    }
    return { kind: 'static', entries };
  }
  if (keys.includes('directory')) {
    return check(DirectoryEntry, entry, path) ? { kind: 'directory' } : undefined;
  }
  report(path, 'needs one of attribute (with platform), static, or directory: true');
  return undefined;
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
