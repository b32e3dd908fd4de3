import type { Command, Io } from './command.ts';
import { runCommand } from './command.ts';
import { UsageError } from './flags.ts';
import { VERSION } from './version.ts';

/**
 * The commands, each loaded when it runs: `start` brings DuckDB, Fastify and the Kafka client,
 * which `analyze` or `generate` never use (half a second of start-up each time).
 */
const commandLoaders: readonly { readonly name: string; load(): Promise<Command> }[] = [
  {
    name: 'start',
    load: async () => (await import('./start-command.ts')).startCommand as unknown as Command,
  },
  {
    name: 'generate',
    load: async () => (await import('./generate.ts')).generateCommand as unknown as Command,
  },
  { name: 'recover', load: async () => (await import('./recover.ts')).recoverCommand as unknown as Command },
  { name: 'grafana', load: async () => (await import('./grafana.ts')).grafanaCommand as unknown as Command },
  { name: 'analyze', load: async () => (await import('./analyze.ts')).analyzeCommand as unknown as Command },
];

function allCommands(): Promise<Command[]> {
  return Promise.all(commandLoaders.map((c) => c.load()));
}

/** Every command's flag names: the keys a config file may hold. */
async function everyFlagName(): Promise<ReadonlySet<string>> {
  return new Set((await allCommands()).flatMap((c) => c.flags.map((f) => f.name)));
}

async function overview(): Promise<string> {
  const commands = await allCommands();
  const { BOUNCER_SUMMARY } = await import('./bouncer.ts');
  const width = Math.max(...commands.map((c) => c.name.length), 'bouncer'.length) + 2;
  return [
    'tidewatch — real-time security monitoring for websites, driven by streaming SQL',
    '',
    'Usage: tidewatch <command> [options]',
    '',
    'Commands:',
    ...commands.map((c) => `  ${c.name.padEnd(width)}${c.summary}`),
    `  ${'bouncer'.padEnd(width)}${BOUNCER_SUMMARY}`,
    `  ${'help'.padEnd(width)}Show help of a command`,
    '',
    'Options:',
    '  --version   print the version',
    '  -h, --help  show this help',
    '',
    "Run 'tidewatch <command> --help' for a command's options.",
  ].join('\n');
}

export async function main(argv: readonly string[], io: Io = processIo()): Promise<number> {
  const [first, ...rest] = argv;
  try {
    if (first === undefined || first === '--help' || first === '-h') {
      io.stdout.write(`${await overview()}\n`);
      return 0;
    }
    if (first === '--version' || first === '-v') {
      io.stdout.write(`tidewatch ${VERSION}\n`);
      return 0;
    }
    if (first === 'help') {
      const target = rest[0];
      if (target === undefined) {
        io.stdout.write(`${await overview()}\n`);
        return 0;
      }
      return await dispatch(target, ['--help'], io);
    }
    return await dispatch(first, rest, io);
  } catch (error) {
    if (error instanceof UsageError) {
      const prefix = error.message.startsWith('tidewatch') ? '' : 'tidewatch: ';
      io.stderr.write(`${prefix}${error.message}\n`);
      return 2;
    }
    io.stderr.write(
      `tidewatch: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    return 1;
  }
}

async function dispatch(name: string, argv: readonly string[], io: Io): Promise<number> {
  // Subcommands and a positional name: not the flag-only shape of the other commands.
  if (name === 'bouncer') return (await import('./bouncer.ts')).bouncerCommand(argv, io);
  const loader = commandLoaders.find((c) => c.name === name);
  if (!loader) {
    const known = commandLoaders.map((c) => c.name).join(', ');
    throw new UsageError(`unknown command "${name}" (commands: ${known}, help)`);
  }
  return runCommand(await loader.load(), argv, io, everyFlagName);
}

function processIo(): Io {
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    env: process.env,
    cwd: process.cwd(),
    stdin: process.stdin,
  };
}
