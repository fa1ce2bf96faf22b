// The files the service loads by path at run time (migrations, a worker thread's entry), found from
// here. This module sits at the top of src/, and its compiled code at the top of dist/, so one base
// serves both the sources (tests, the demo) and the build (npm start, the container).
import { fileURLToPath } from 'node:url';

const base = new URL('./', import.meta.url);
const extension = import.meta.url.endsWith('.ts') ? '.ts' : '.js';

/** A module of the service, by its path under src/ without extension: `store/sqlite/sqlite-thread`. */
export function serviceModule(path: string): URL {
  return new URL(`${path}${extension}`, base);
}

/** A data file or folder shipped beside the code: `store/sqlite/migrations`. */
export function serviceFile(path: string): string {
  return fileURLToPath(new URL(path, base));
}
