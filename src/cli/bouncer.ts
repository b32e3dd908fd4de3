/**
 * `tidewatch bouncer add NAME | list | delete NAME`: the API keys CrowdSec bouncers read the
 * decisions API with, as `cscli bouncers` manages them. Works whether tidewatch runs or not:
 * the keys file is read at every request.
 */
import { resolve } from 'node:path';
import { addBouncer, BouncerError, deleteBouncer, readBouncers } from '../decisions/bouncer-keys.ts';
import type { Io } from './command.ts';
import { envName, UsageError } from './flags.ts';

export const BOUNCER_SUMMARY = 'Manage the API keys of CrowdSec bouncers reading /v1/decisions';

const USAGE = `Usage: tidewatch bouncer add NAME | list | delete NAME [--data-dir DIR]

${BOUNCER_SUMMARY}.

  add NAME       create a bouncer and print its API key (shown only this once)
  list           list the bouncers
  delete NAME    delete a bouncer: its key stops working at once

Options:
  --data-dir DIR  the data directory of tidewatch start (default ./tidewatch-data, or ${envName('data-dir')})
  -h, --help      show this help

A bouncer reads http://HOST:HTTP_PORT/v1/decisions/stream with the header X-Api-Key: KEY.`;

export async function bouncerCommand(argv: readonly string[], io: Io): Promise<number> {
  const words: string[] = [];
  let dataDir = io.env[envName('data-dir')] || './tidewatch-data';
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    if (a === '--help' || a === '-h') {
      io.stdout.write(`${USAGE}\n`);
      return 0;
    }
    if (a === '--data-dir' || a.startsWith('--data-dir=')) {
      const v = a === '--data-dir' ? argv[++i] : a.slice('--data-dir='.length);
      if (v === undefined || v === '')
        throw new UsageError('tidewatch bouncer: --data-dir needs a directory');
      dataDir = v;
    } else if (a.startsWith('-')) throw new UsageError(`tidewatch bouncer: unknown option ${a}`);
    else words.push(a);
  }
  const dir = resolve(io.cwd, dataDir);
  const [action, name, extra] = words;
  const needsName = action === 'add' || action === 'delete';
  if (
    action === undefined ||
    !['add', 'list', 'delete'].includes(action) ||
    (needsName && name === undefined) ||
    (needsName ? extra : name) !== undefined
  )
    throw new UsageError(`tidewatch bouncer: expected add NAME, list or delete NAME\n${USAGE}`);
  try {
    if (action === 'add') {
      const key = addBouncer(dir, name as string);
      io.stdout.write(`${key}\n`);
      io.stderr.write(
        `tidewatch: bouncer ${name} added; its API key is above (shown only this once, kept hashed)\n`,
      );
    } else if (action === 'delete') {
      if (!deleteBouncer(dir, name as string)) {
        io.stderr.write(`tidewatch: no bouncer named ${name}\n`);
        return 1;
      }
    } else {
      for (const b of readBouncers(dir)) io.stdout.write(`${b.name}\t${b.createdAt}\n`);
    }
    return 0;
  } catch (e) {
    if (!(e instanceof BouncerError) && (e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    io.stderr.write(`tidewatch: ${(e as Error).message}\n`);
    return 1;
  }
}
