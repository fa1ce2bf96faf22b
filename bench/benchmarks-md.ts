// BENCHMARKS.md is written by more than one benchmark: each owns the part between its markers and
// leaves the rest of the file (the others' parts, anything written by hand) as it is.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './processes.ts';

const FILE = join(ROOT, 'BENCHMARKS.md');

/** Replaces the text between `<!-- bench:name -->` and `<!-- /bench:name -->`, or adds the part at the end. */
export function writeSection(name: string, markdown: string): void {
  const start = `<!-- bench:${name} -->`;
  const end = `<!-- /bench:${name} -->`;
  const part = `${start}\n${markdown.trim()}\n${end}`;
  const current = existsSync(FILE) ? readFileSync(FILE, 'utf8') : '# Benchmarks\n';
  const from = current.indexOf(start);
  const to = current.indexOf(end);
  const next =
    from >= 0 && to > from ? `${current.slice(0, from)}${part}${current.slice(to + end.length)}` : `${current.trimEnd()}\n\n${part}\n`;
  writeFileSync(FILE, next);
}
