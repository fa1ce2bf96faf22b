// The problems a mapping file's text has, as the start would list them (none: an empty list).
import { MappingError, parseMapping } from '../../src/mapping/mapping-file.ts';

export function problemsOf(yaml: string): string[] {
  try {
    parseMapping(yaml, 'm.yaml');
  } catch (error) {
    if (error instanceof MappingError) return error.problems;
    throw error;
  }
  return [];
}
