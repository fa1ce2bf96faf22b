// Everything the service needs before it starts: the environment and the mapping file.
// Problems in both are collected and reported together, so one start shows them all.
import { MappingError, loadMappingFile, type Mapping } from '../mapping/mapping-file.ts';
import { ConfigError, DEFAULT_MAPPING_FILE, parseEnv, type Config } from './env.ts';

export interface Settings {
  config: Config;
  mapping: Mapping;
}

export function loadSettings(env: Record<string, string | undefined>): Settings {
  const parsed = parseEnv(env);
  const mappingFile = parsed.config?.MAPPING_FILE ?? (env.MAPPING_FILE?.trim() || DEFAULT_MAPPING_FILE);
  let mapping: Mapping | undefined;
  const problems = [...parsed.problems];
  try {
    mapping = loadMappingFile(mappingFile);
  } catch (error) {
    if (!(error instanceof MappingError)) throw error;
    problems.push(...error.problems.map((p) => `MAPPING_FILE ${p}`));
  }
  if (problems.length > 0 || !parsed.config || !mapping) throw new ConfigError(problems);
  return { config: parsed.config, mapping };
}
