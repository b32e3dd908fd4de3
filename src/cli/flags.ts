/**
 * Command-line flags, resolved in order of precedence: flag, `TIDEWATCH_*` environment
 * variable, config file, default. Every value is validated where it is read, and every
 * fault is a {@link UsageError} naming the flag (the CLI turns it into exit status 2).
 */

export class UsageError extends Error {
  override readonly name = 'UsageError';
}

export type FlagValue = string | number | boolean | readonly string[];

export interface FlagSpec<T extends FlagValue = FlagValue> {
  readonly name: string;
  readonly help: string;
  /** Placeholder in help, e.g. `N`; absent for boolean flags. */
  readonly arg?: string;
  readonly short?: string;
  /** May be given several times (and as a comma-separated list); the values are collected. */
  readonly repeatable?: boolean;
  readonly default: T;
  /** The default as help shows it, where the value itself would not say it (1GiB, "by terminal"). */
  readonly shownDefault?: string;
  /** Turns the text of a flag, variable or config entry into a value; throws a message on bad input. */
  readonly parse: (text: string) => T;
  /** Read from neither the environment nor a config file (e.g. `--config` itself). */
  readonly flagOnly?: boolean;
}

export const isBooleanFlag = (spec: FlagSpec): boolean => typeof spec.default === 'boolean';

export function envName(flag: string): string {
  return `TIDEWATCH_${flag.replaceAll('-', '_').toUpperCase()}`;
}

export interface Sources {
  readonly env: NodeJS.ProcessEnv;
  /** Entries of the config file, keyed by flag name. */
  readonly config: Readonly<Record<string, unknown>>;
  readonly configPath?: string;
}

export type Resolved<S extends readonly FlagSpec[]> = {
  [K in S[number] as K['name']]: K['default'];
};

interface Parsed {
  readonly values: Map<string, string[]>;
  readonly positionals: string[];
  readonly help: boolean;
}

export function scanArgv(argv: readonly string[], specs: readonly FlagSpec[], command: string): Parsed {
  const byName = new Map(specs.map((s) => [s.name, s]));
  const byShort = new Map(specs.filter((s) => s.short).map((s) => [s.short, s]));
  const values = new Map<string, string[]>();
  const positionals: string[] = [];
  let help = false;
  const put = (spec: FlagSpec, text: string) => {
    const list = values.get(spec.name) ?? [];
    if (list.length > 0 && !spec.repeatable) {
      throw new UsageError(`${command}: --${spec.name} is given more than once`);
    }
    list.push(text);
    values.set(spec.name, list);
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (arg === '--help' || arg === '-h') {
      help = true;
      continue;
    }
    if (!arg.startsWith('-') || arg === '-') {
      positionals.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    const key = eq >= 0 ? arg.slice(0, eq) : arg;
    let spec: FlagSpec | undefined;
    let negated = false;
    if (key.startsWith('--')) {
      const name = key.slice(2);
      spec = byName.get(name);
      if (!spec && name.startsWith('no-')) {
        const positive = byName.get(name.slice(3));
        if (positive && isBooleanFlag(positive)) {
          spec = positive;
          negated = true;
        }
      }
    } else {
      spec = byShort.get(key.slice(1));
    }
    if (!spec) throw new UsageError(`${command}: unknown flag ${key} (see ${command} --help)`);
    if (isBooleanFlag(spec)) {
      if (eq >= 0) throw new UsageError(`${command}: ${key} takes no value`);
      put(spec, negated ? 'false' : 'true');
      continue;
    }
    let text: string | undefined;
    if (eq >= 0) text = arg.slice(eq + 1);
    else if (i + 1 < argv.length && !(argv[i + 1] as string).startsWith('--')) text = argv[++i];
    if (text === undefined) throw new UsageError(`${command}: ${key} needs a value (${spec.arg ?? 'VALUE'})`);
    put(spec, text);
  }
  return { values, positionals, help };
}

export function resolveFlags<const S extends readonly FlagSpec[]>(
  parsed: Parsed,
  specs: S,
  sources: Sources,
  command: string,
): Resolved<S> {
  const out: Record<string, FlagValue> = {};
  for (const spec of specs) {
    out[spec.name] = resolveOne(spec, parsed, sources, command);
  }
  return out as Resolved<S>;
}

function resolveOne(spec: FlagSpec, parsed: Parsed, sources: Sources, command: string): FlagValue {
  const fromFlag = parsed.values.get(spec.name);
  if (fromFlag) return parseAll(spec, fromFlag, `--${spec.name}`, command);
  if (spec.flagOnly) return spec.default;
  const env = sources.env[envName(spec.name)];
  if (env !== undefined && env !== '') return parseAll(spec, [env], envName(spec.name), command);
  if (Object.hasOwn(sources.config, spec.name)) {
    const raw = sources.config[spec.name];
    const texts = Array.isArray(raw) ? raw.map(String) : [String(raw)];
    return parseAll(spec, texts, `"${spec.name}" in ${sources.configPath ?? 'the config file'}`, command);
  }
  return spec.default;
}

function parseAll(spec: FlagSpec, texts: readonly string[], where: string, command: string): FlagValue {
  try {
    if (spec.repeatable) {
      return texts.flatMap((t) => t.split(',')).flatMap((t) => spec.parse(t.trim()) as readonly string[]);
    }
    return spec.parse(texts[0] as string);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new UsageError(`${command}: bad value for ${where}: ${reason}`);
  }
}

// Value parsers: each throws a short reason that the caller prefixes with the flag's name.

export function parseInteger(min: number, max: number): (text: string) => number {
  return (text) => {
    if (!/^-?\d+$/.test(text)) throw new Error(`"${text}" is not an integer`);
    const n = Number(text);
    if (n < min || n > max) throw new Error(`${n} is outside ${min}..${max}`);
    return n;
  };
}

export function parsePositiveNumber(text: string): number {
  const n = Number(text);
  if (text.trim() === '' || !Number.isFinite(n) || n <= 0)
    throw new Error(`"${text}" is not a positive number`);
  return n;
}

export function parseNonNegativeNumber(text: string): number {
  const n = Number(text);
  if (text.trim() === '' || !Number.isFinite(n) || n < 0) throw new Error(`"${text}" is not a number ≥ 0`);
  return n;
}

/** A positive number or the word `max`, kept as text so the spec's type stays a plain string. */
export function parseRate(text: string): string {
  if (text === 'max') return text;
  parsePositiveNumber(text);
  return text;
}

export function parseBoolean(text: string): boolean {
  const t = text.toLowerCase();
  if (['1', 'true', 'yes', 'on'].includes(t)) return true;
  if (['0', 'false', 'no', 'off'].includes(t)) return false;
  throw new Error(`"${text}" is not a boolean (true/false)`);
}

export function parseNonEmpty(text: string): string {
  if (text === '') throw new Error('empty value');
  return text;
}

export const parseList = (text: string): readonly string[] => (text === '' ? [] : [parseNonEmpty(text)]);

export const port = parseInteger(0, 65535);

const SIZE_UNITS: Readonly<Record<string, number>> = {
  '': 1,
  b: 1,
  kb: 1e3,
  mb: 1e6,
  gb: 1e9,
  tb: 1e12,
  kib: 2 ** 10,
  mib: 2 ** 20,
  gib: 2 ** 30,
  tib: 2 ** 40,
};

/** A size in bytes: a number with an optional unit (`500MB`, `1.5GiB`, `0`). */
export function parseSize(text: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*$/.exec(text);
  const unit = SIZE_UNITS[(m?.[2] ?? '').toLowerCase()];
  if (m === null || unit === undefined)
    throw new Error(`"${text}" is not a size (a number of bytes, or with KB, MB, GB, KiB, MiB, GiB…)`);
  return Math.round(Number(m[1]) * unit);
}

/** A size of at least `min` bytes (`shown`, as the error names it). */
export function parseSizeAtLeast(min: number, shown: string): (text: string) => number {
  return (text) => {
    const size = parseSize(text);
    if (size < min) throw new Error(`"${text}" is less than ${shown}`);
    return size;
  };
}

export function helpText(
  usage: string,
  summary: string,
  specs: readonly FlagSpec[],
  details: readonly string[] = [],
): string {
  const rows = specs.map((s) => {
    const short = s.short ? `-${s.short}, ` : '';
    const flag = `${short}--${s.name}${s.arg ? ` ${s.arg}` : ''}`;
    const shown = s.shownDefault ?? (Array.isArray(s.default) ? s.default.join(',') : String(s.default));
    const def = isBooleanFlag(s) || shown === '' ? '' : ` (default: ${shown})`;
    return [flag, `${s.help}${def}`] as const;
  });
  rows.push(['-h, --help', 'show this help']);
  const width = Math.max(...rows.map(([f]) => f.length)) + 2;
  const lines = rows.map(([f, h]) => `  ${f.padEnd(width)}${h}`);
  const envs = specs.filter((s) => !s.flagOnly).map((s) => envName(s.name));
  return [
    `Usage: ${usage}`,
    '',
    summary,
    '',
    'Options:',
    ...lines,
    ...(details.length ? ['', ...details] : []),
    '',
    `Each option can also be set by an environment variable (${envs[0] ?? 'TIDEWATCH_…'}, …) or a config`,
    'file entry of the same name; a flag wins over the variable, the variable over the file.',
  ].join('\n');
}
