import { analyzeCommand } from './analyze.ts';
import { BOUNCER_SUMMARY, bouncerCommand } from './bouncer.ts';
import type { Command, Io } from './command.ts';
import { runCommand } from './command.ts';
import { UsageError } from './flags.ts';
import { generateCommand } from './generate.ts';
import { grafanaCommand } from './grafana.ts';
import { recoverCommand } from './recover.ts';
import { startCommand } from './start.ts';
import { VERSION } from './version.ts';

const commands: readonly Command[] = [
  startCommand,
  generateCommand,
  recoverCommand,
  grafanaCommand,
  analyzeCommand,
] as unknown as readonly Command[];
const everyFlagName = new Set(commands.flatMap((c) => c.flags.map((f) => f.name)));

function overview(): string {
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
      io.stdout.write(`${overview()}\n`);
      return 0;
    }
    if (first === '--version' || first === '-v') {
      io.stdout.write(`tidewatch ${VERSION}\n`);
      return 0;
    }
    if (first === 'help') {
      const target = rest[0];
      if (target === undefined) {
        io.stdout.write(`${overview()}\n`);
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

function dispatch(name: string, argv: readonly string[], io: Io): Promise<number> {
  // Subcommands and a positional name: not the flag-only shape of the other commands.
  if (name === 'bouncer') return bouncerCommand(argv, io);
  const command = commands.find((c) => c.name === name);
  if (!command) {
    const known = commands.map((c) => c.name).join(', ');
    throw new UsageError(`unknown command "${name}" (commands: ${known}, help)`);
  }
  return runCommand(command, argv, io, everyFlagName);
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
