/**
 * `tidewatch recover`: the way on when a start refuses a durable log — damaged in the middle
 * of its last segment, or shorter than what the last commit consumed. Each log is cut at its
 * first damaged record, and a log that then ends before the committed offset continues from
 * that offset (the records in between are already in the store's tables and views; only
 * their copy in the log is gone). Records beyond the commit that survive are kept: the next
 * start applies them.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { type CommittedOffsets, tableLogDir } from '../runtime/data-logs.ts';
import { committedState } from '../runtime/saved-state.ts';
import { DataDir } from '../store/data-dir.ts';
import { DurableLog } from '../store/durable-log.ts';
import { isStoreError } from '../store/errors.ts';
import { ViewStore } from '../store/view-store.ts';
import { defineCommand, type Io } from './command.ts';
import { parseNonEmpty } from './flags.ts';
import { VERSION } from './version.ts';

const flags = [
  {
    name: 'data-dir',
    arg: 'DIR',
    help: 'the data directory to repair',
    default: './tidewatch-data' as string,
    parse: parseNonEmpty,
  },
] as const;

/** Each durable log of the data directory with the offset the last commit consumed it to. */
function logsOf(
  dataDir: string,
  committed: CommittedOffsets,
): { what: string; dir: string; offset: number }[] {
  const logs = [];
  if (existsSync(tableLogDir(dataDir)))
    logs.push({ what: 'the DML log', dir: tableLogDir(dataDir), offset: committed.tableLog });
  const sourceLogs = join(dataDir, 'log');
  if (existsSync(sourceLogs))
    for (const entry of readdirSync(sourceLogs, { withFileTypes: true })) {
      if (!entry.isDirectory()) continue;
      const source = decodeURIComponent(entry.name);
      logs.push({
        what: `the durable log of source ${source}`,
        dir: join(sourceLogs, entry.name),
        offset: committed.sources[source] ?? 0,
      });
    }
  return logs;
}

async function recover(dataDir: string, io: Io): Promise<number> {
  const data = DataDir.open(dataDir, `tidewatch ${VERSION}`);
  try {
    const store = await ViewStore.open(join(data.path, 'tidewatch.duckdb'));
    let committed: CommittedOffsets;
    try {
      committed = (await committedState(store)).offsets;
    } finally {
      await store.close();
    }
    io.stdout.write(
      committed.epoch === undefined
        ? 'no epoch was committed yet\n'
        : `last committed epoch: ${committed.epoch}\n`,
    );
    let repaired = 0;
    for (const { what, dir, offset } of logsOf(data.path, committed)) {
      const log = DurableLog.open(dir, { truncateCorruptTail: true, fsync: 'always' });
      try {
        const r = log.recovery;
        const done: string[] = [];
        if (r.truncatedBytes > 0)
          done.push(
            `cut ${r.truncatedBytes} bytes at byte ${r.truncatedAt} of ${r.file} (${r.truncatedReason})`,
          );
        if (log.nextOffset < offset) {
          done.push(
            `it ended at offset ${log.nextOffset}, before the committed ${offset}: it continues from ${offset} ` +
              `(the ${offset - log.nextOffset} record(s) in between are in the store already)`,
          );
          log.skipTo(offset);
        }
        repaired += done.length > 0 ? 1 : 0;
        io.stdout.write(`${what}: ${done.length > 0 ? done.join('; ') : 'intact'}\n`);
      } finally {
        log.close();
      }
    }
    io.stdout.write(
      repaired > 0 ? 'repaired: tidewatch start can use the data directory\n' : 'nothing to repair\n',
    );
    return 0;
  } finally {
    data.close();
  }
}

export const recoverCommand = defineCommand({
  name: 'recover',
  summary: 'Repair the durable logs of a data directory that tidewatch start refuses',
  usage: 'tidewatch recover [options]',
  flags,
  details: [
    'When a start stops with "is shorter than the last commit" or "is corrupt", a durable log lost',
    'records or was damaged. recover cuts each log at its first damaged record and lets a log that',
    'then ends before the last commit continue from there. Tables and views are not touched.',
  ],
  async run(settings, io): Promise<number> {
    const dir = resolve(io.cwd, settings['data-dir']);
    if (!existsSync(join(dir, 'tidewatch.duckdb'))) {
      io.stderr.write(`tidewatch recover: ${dir} holds no tidewatch data\n`);
      return 1;
    }
    try {
      return await recover(dir, io);
    } catch (error) {
      if (!isStoreError(error)) throw error;
      io.stderr.write(`tidewatch recover: ${error.message}\n`);
      return 1;
    }
  },
});
