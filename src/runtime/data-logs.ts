/**
 * The durable logs of a data directory — one per generator-fed source (`log/<source>/`) and
 * the DML log (`dml-log/`) — opened and checked against the last commit: a log must hold every
 * record the committed epoch consumed. A torn tail (a crash in the middle of a write, beyond
 * what was committed) is cut and reported; a log shorter than the commit, or damaged in the
 * middle, is an error that says what was found and how to go on (`tidewatch recover`).
 */
import { join } from 'node:path';
import { DurableLog, type DurableLogOptions, sourceLogDir } from '../store/durable-log.ts';
import { StoreError } from '../store/errors.ts';

/** What the last commit consumed of each log. */
export interface CommittedOffsets {
  /** Per source fed through its durable log, the first offset not consumed. */
  readonly sources: Readonly<Record<string, number>>;
  /** Per source fed by a connector, the position after what was consumed. */
  readonly positions: Readonly<Record<string, unknown>>;
  /** The first record of the DML log not applied. */
  readonly tableLog: number;
  /** The committed epoch (undefined before the first commit). */
  readonly epoch: number | undefined;
}

/** The DML log's directory in a data directory. */
export function tableLogDir(dataDir: string): string {
  return join(dataDir, 'dml-log');
}

/** How to go on after a log lost records or was damaged. */
export function recoverHint(dataDir: string): string {
  return `run "tidewatch recover --data-dir ${dataDir}" to cut the damage off and continue from the last commit`;
}

/**
 * Opens a log and checks it against `committedOffset`; notices (a cut tail, a lock taken over
 * from a dead process) go to `notices`.
 */
function openChecked(
  dir: string,
  what: string,
  dataDir: string,
  committedOffset: number,
  committedEpoch: number | undefined,
  options: DurableLogOptions,
  notices: string[],
): DurableLog {
  let log: DurableLog;
  try {
    log = DurableLog.open(dir, options);
  } catch (e) {
    if (e instanceof StoreError && e.kind === 'corrupt')
      throw new StoreError(
        'corrupt',
        `${what}: ${e.message.replace(/\. The records before it.*$/s, '')}; ${recoverHint(dataDir)}`,
        {
          path: e.path,
          cause: e,
        },
      );
    throw e;
  }
  const r = log.recovery;
  if (r.truncatedBytes > 0)
    notices.push(
      `${what}: cut ${r.truncatedBytes} bytes at byte ${r.truncatedAt} of ${r.file} (${r.truncatedReason})`,
    );
  if (r.lockTakenOverFrom !== undefined)
    notices.push(`${what}: took over the lock of process ${r.lockTakenOverFrom.pid}, which is gone`);
  if (log.nextOffset < committedOffset) {
    const holds =
      log.nextOffset === log.startOffset
        ? 'no records'
        : `records ${log.startOffset} to ${log.nextOffset - 1}`;
    const cut =
      r.truncatedBytes > 0
        ? ` (opening it cut ${r.truncatedBytes} bytes at byte ${r.truncatedAt} of ${r.file}: ${r.truncatedReason})`
        : '';
    log.close();
    throw new StoreError(
      'corrupt',
      `${what} is shorter than the last commit: ${dir} holds ${holds}${cut}, but epoch ${committedEpoch} ` +
        `was committed having consumed records up to ${committedOffset - 1}, so ${committedOffset - log.nextOffset} ` +
        `committed record(s) are missing from the log. The tables and views are intact; ${recoverHint(dataDir)}`,
      { path: dir },
    );
  }
  return log;
}

/** The durable log of a generator-fed source, checked against the commit. */
export function openCheckedLog(
  dataDir: string,
  source: string,
  committed: CommittedOffsets,
  options: DurableLogOptions,
  notices: string[],
): DurableLog {
  return openChecked(
    sourceLogDir(dataDir, source),
    `the durable log of source ${source}`,
    dataDir,
    committed.sources[source] ?? 0,
    committed.epoch,
    options,
    notices,
  );
}

/** The DML log, checked against the commit. */
export function openTableLog(
  dataDir: string,
  committed: CommittedOffsets,
  options: DurableLogOptions,
  notices: string[],
): DurableLog {
  return openChecked(
    tableLogDir(dataDir),
    'the DML log',
    dataDir,
    committed.tableLog,
    committed.epoch,
    options,
    notices,
  );
}
