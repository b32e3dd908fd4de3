import { checkConfigKeys, readConfigFile } from './config-file.ts';
import {
  type FlagSpec,
  helpText,
  parseNonEmpty,
  type Resolved,
  resolveFlags,
  scanArgv,
  UsageError,
} from './flags.ts';

export interface Io {
  readonly stdout: NodeJS.WriteStream;
  readonly stderr: NodeJS.WriteStream;
  readonly env: NodeJS.ProcessEnv;
  readonly cwd: string;
  /** What `--input -` reads (the process's stdin). */
  readonly stdin?: NodeJS.ReadableStream;
}

export interface Command<S extends readonly FlagSpec[] = readonly FlagSpec[]> {
  readonly name: string;
  readonly summary: string;
  readonly usage: string;
  readonly flags: S;
  readonly details?: readonly string[];
  /** Whether the command takes arguments besides its flags (files); others refuse any. */
  readonly takesArguments?: boolean;
  run(settings: Resolved<S>, io: Io, args: readonly string[]): Promise<number>;
}

export const configFlag = {
  name: 'config',
  arg: 'FILE',
  help: 'read settings from this JSON file (default: ./tidewatch.json when present)',
  default: '',
  parse: parseNonEmpty,
  flagOnly: true,
} as const satisfies FlagSpec<string>;

export function defineCommand<const S extends readonly FlagSpec[]>(command: Command<S>): Command<S> {
  return command;
}

/** Scans the arguments, prints help when asked, resolves settings and runs the command. */
export async function runCommand<S extends readonly FlagSpec[]>(
  command: Command<S>,
  argv: readonly string[],
  io: Io,
  everyFlagName: () => Promise<ReadonlySet<string>>,
): Promise<number> {
  const specs = [...command.flags, configFlag] as const;
  const label = `tidewatch ${command.name}`;
  const scanned = scanArgv(argv, specs, label);
  if (scanned.help) {
    io.stdout.write(`${helpText(command.usage, command.summary, specs, command.details)}\n`);
    return 0;
  }
  if (scanned.positionals.length > 0 && command.takesArguments !== true) {
    throw new UsageError(`${label}: unexpected argument "${scanned.positionals[0]}"`);
  }
  const named = scanned.values.get('config')?.[0] ?? io.env.TIDEWATCH_CONFIG;
  const file = readConfigFile(named || undefined, io.cwd);
  if (Object.keys(file.entries).length > 0) checkConfigKeys(file, await everyFlagName());
  const sources = { env: io.env, config: file.entries, ...(file.path ? { configPath: file.path } : {}) };
  const settings = resolveFlags(scanned, command.flags, sources, label);
  return command.run(settings, io, scanned.positionals);
}
