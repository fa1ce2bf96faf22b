// Numbered migrations: `NNN_name.sql` files applied in order, each once, each in its own transaction.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export function readMigrations(directory: string): Migration[] {
  return readdirSync(directory)
    .filter((file) => /^\d+_[\w-]+\.sql$/.test(file))
    .sort()
    .map((file) => ({
      version: Number(file.slice(0, file.indexOf('_'))),
      name: file.slice(file.indexOf('_') + 1, -'.sql'.length),
      sql: readFileSync(join(directory, file), 'utf8'),
    }));
}
