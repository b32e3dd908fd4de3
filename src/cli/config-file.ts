import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { UsageError } from './flags.ts';

export const DEFAULT_CONFIG_FILE = 'tidewatch.json';

export interface ConfigFile {
  readonly path?: string;
  readonly entries: Readonly<Record<string, unknown>>;
}

/**
 * Reads the config file: the one named (by `--config` or `TIDEWATCH_CONFIG`), which must
 * exist, or else `tidewatch.json` in the working directory when there is one. Its entries
 * are keyed by flag name, e.g. `{ "pg-port": 4566, "pipeline": ["a.sql", "b.sql"] }`.
 */
export function readConfigFile(named: string | undefined, cwd = process.cwd()): ConfigFile {
  const path = named ? resolve(cwd, named) : resolve(cwd, DEFAULT_CONFIG_FILE);
  if (!named && !existsSync(path)) return { entries: {} };
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new UsageError(
      `cannot read config file ${path}: ${(error as NodeJS.ErrnoException).code ?? error}`,
    );
  }
  let entries: unknown;
  try {
    entries = JSON.parse(text);
  } catch (error) {
    throw new UsageError(`config file ${path} is not valid JSON: ${(error as Error).message}`);
  }
  if (typeof entries !== 'object' || entries === null || Array.isArray(entries)) {
    throw new UsageError(`config file ${path} must hold a JSON object of option names to values`);
  }
  return { path, entries: entries as Record<string, unknown> };
}

/** Rejects entries that name no option, so a typo in the file is not silently ignored. */
export function checkConfigKeys(file: ConfigFile, known: ReadonlySet<string>): void {
  for (const key of Object.keys(file.entries)) {
    if (!known.has(key)) throw new UsageError(`config file ${file.path}: unknown option "${key}"`);
  }
}
