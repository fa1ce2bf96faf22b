// Lines of a recipient-directory import (JSON lines or CSV): each line becomes one entry or one
// error naming the line; a line is taken whole or not at all.
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

const CSV_HEADER = /^\s*"?key"?\s*,\s*"?platform"?\s*,\s*"?userId"?\s*$/i;

function fieldsOf(line: string, format: ImportFormat): { key: unknown; platform: unknown; userId: unknown } | string {
  if (format === 'csv') {
    const cells = line.split(',').map((cell) => cell.trim().replace(/^"(.*)"$/, '$1'));
    if (cells.length !== 3) return `expected 3 comma-separated fields (key,platform,userId), found ${cells.length}`;
    const [key, platform, userId] = cells;
    return { key, platform, userId };
  }
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return 'not valid JSON';
  }
  if (!value || typeof value !== 'object' || Array.isArray(value)) return 'expected a JSON object {"key", "platform", "userId"}';
  const { key, platform, userId } = value as Record<string, unknown>;
  return { key, platform, userId };
}

export function parseRecipientImport(
  text: string,
  format: ImportFormat,
  now: number,
): { entries: DirectoryEntry[]; errors: ImportLineError[] } {
  const entries: DirectoryEntry[] = [];
  const errors: ImportLineError[] = [];
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
    const problem = directoryEntryProblem(fields.key, fields.platform, fields.userId);
    if (problem) {
      errors.push({ line: index + 1, error: problem });
      continue;
    }
    entries.push({ key: fields.key, platform: fields.platform as Platform, userId: fields.userId as string, updatedAt: now });
  }
  return { entries, errors };
}
