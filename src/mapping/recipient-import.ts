// Lines of a recipient-directory import (JSON lines or CSV): each line becomes one entry (a binding,
// an opt-out, or both) or one error naming the line; a line is taken whole or not at all. The
// optOut column: true opts the key out, false lifts it, empty leaves it; a line may hold only that.
import { PLATFORMS, isValidUserId, type DirectoryEntry, type Platform } from '../domain/recipient.ts';
import { directoryKeyProblem } from './directory-keys.ts';

export type ImportFormat = 'jsonl' | 'csv';

export interface ImportLineError {
  line: number;
  error: string;
}

/** What is wrong with one directory entry, if anything. */
export function directoryEntryProblem(key: string, platform: unknown, userId: unknown): string | undefined {
  const keyProblem = directoryKeyProblem(key);
  if (keyProblem) return keyProblem;
  if (!(PLATFORMS as readonly unknown[]).includes(platform)) return `platform must be ${PLATFORMS.join(' or ')}`;
  if (typeof userId !== 'string' || !isValidUserId(platform as Platform, userId)) {
    return platform === 'line' ? 'userId must be a LINE user id (U + 32 hex digits)' : 'userId must be a Messenger page-scoped id (digits)';
  }
  return undefined;
}

const CSV_HEADER = /^\s*"?key"?\s*,\s*"?platform"?\s*,\s*"?userId"?\s*(,\s*"?optOut"?\s*)?$/i;

/** One key's opt-out as an import sets it: true opts out, false lifts it. */
export interface ImportedOptOut {
  key: string;
  optOut: boolean;
}

/** The fields of an NDJSON line. */
const LINE_FIELDS = ['key', 'platform', 'userId', 'optOut'];

type Fields = { key: unknown; platform: unknown; userId: unknown; optOut?: unknown };

const CSV_BOOLEANS: Record<string, boolean> = { true: true, yes: true, '1': true, false: false, no: false, '0': false };

function fieldsOf(line: string, format: ImportFormat): Fields | string {
  if (format === 'csv') {
    const cells = line.split(',').map((cell) => cell.trim().replace(/^"(.*)"$/, '$1'));
    if (cells.length !== 3 && cells.length !== 4)
      return `expected 3 comma-separated fields (key,platform,userId), or 4 with optOut, found ${cells.length}`;
    const [key, platform, userId, optOut] = cells;
    const flag = optOut?.toLowerCase();
    if (flag && !Object.hasOwn(CSV_BOOLEANS, flag)) return 'optOut must be true or false'; // own keys: not `constructor`
    return {
      key,
      platform: platform || undefined,
      userId: userId || undefined,
      optOut: flag ? CSV_BOOLEANS[flag] : undefined,
    };
  }
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return 'not valid JSON';
  }
  if (!value || typeof value !== 'object' || Array.isArray(value)) return 'expected a JSON object {"key", "platform", "userId"}';
  // A misspelt field (`optout`) would drop what it says: refused, as the JSON routes refuse one.
  const unknown = Object.keys(value).find((name) => !LINE_FIELDS.includes(name));
  if (unknown !== undefined) return `unknown field ${JSON.stringify(unknown)} (a line takes ${LINE_FIELDS.join(', ')})`;
  const { key, platform, userId, optOut } = value as Record<string, unknown>;
  return { key, platform, userId, optOut };
}

export function parseRecipientImport(
  text: string,
  format: ImportFormat,
  now: number,
): { entries: DirectoryEntry[]; optOuts: ImportedOptOut[]; imported: number; errors: ImportLineError[] } {
  const entries: DirectoryEntry[] = [];
  const optOuts: ImportedOptOut[] = [];
  const errors: ImportLineError[] = [];
  let imported = 0;
  for (const [index, raw] of text.split(/\r?\n/).entries()) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    if (format === 'csv' && CSV_HEADER.test(line)) continue;
    const fields = fieldsOf(line, format);
    if (typeof fields === 'string') {
      errors.push({ line: index + 1, error: fields });
      continue;
    }
    if (typeof fields.key !== 'string') {
      errors.push({ line: index + 1, error: 'key is missing' });
      continue;
    }
    if (fields.optOut !== undefined && typeof fields.optOut !== 'boolean') {
      errors.push({ line: index + 1, error: 'optOut must be true or false' });
      continue;
    }
    const binding = fields.platform !== undefined || fields.userId !== undefined || fields.optOut === undefined;
    const problem = binding ? directoryEntryProblem(fields.key, fields.platform, fields.userId) : directoryKeyProblem(fields.key);
    if (problem) {
      errors.push({ line: index + 1, error: problem });
      continue;
    }
    imported++;
    if (binding) entries.push({ key: fields.key, platform: fields.platform as Platform, userId: fields.userId as string, updatedAt: now });
    if (typeof fields.optOut === 'boolean') optOuts.push({ key: fields.key, optOut: fields.optOut });
  }
  return { entries, optOuts, imported, errors };
}
