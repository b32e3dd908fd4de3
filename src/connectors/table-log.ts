/**
 * The durable log of DML: every change a statement makes to a table (Engine.onTableWrite) is
 * appended before the engine applies it, and fsynced (`log.syncAsync`, started at once and
 * shared between statements) before the statement is acknowledged — so an acknowledged change survives a
 * crash, and a statement whose append fails changes nothing. A checkpoint records `offset`; after a restore, `replay` applies the
 * changes the log holds beyond it, in the order they were made.
 *
 * A change is kept as its client wrote it where it can be read into the same rows again
 * (`TableWrite.writtenAs`): a bulk INSERT as its statement's text (Engine.rowsOfInsertValues),
 * a COPY as its command and the client's data (`CopyReader`) — far cheaper to write than
 * the rows serialized, which is what other changes are.
 * A change too large for one record (a COPY of many rows) is written as consecutive parts,
 * numbered, in one append. Replay applies a change only once all its parts are read: parts
 * cut off by a crash — their statement was never acknowledged — are skipped, also when later
 * records follow them.
 */
import { deserialize, serialize } from 'node:v8';
import type { Engine, RelationInfo, TableWrite } from '../engine/engine.ts';
import type { CopyFromCommand } from '../sql/copy-statement.ts';
import type { DurableLog } from '../store/durable-log.ts';
import { StoreError } from '../store/errors.ts';
import type { Row } from '../stream/value.ts';

/** Reads a COPY's data into the rows it gave (the table's column order), as the COPY did. */
export type CopyReader = (
  command: CopyFromCommand,
  data: Uint8Array,
  relations: readonly RelationInfo[],
) => { readonly table: string; readonly rows: Row[] };

/** One record: a change, or part `part` of one (its rows, and weights, a slice); `last` ends it. */
type LoggedWrite = TableWrite & { readonly part?: number; readonly last?: boolean };

/** A bulk INSERT's record: its statement. */
interface LoggedStatement {
  readonly kind: 'insert-values';
  readonly statement: string;
}

/** Part `part` of a COPY's data (every COPY is in parts, the command in each); `last` ends it. */
interface LoggedCopy {
  readonly kind: 'copy';
  readonly command: CopyFromCommand;
  readonly data: Uint8Array;
  readonly part: number;
  readonly last: boolean;
}

type LogRecord = LoggedWrite | LoggedStatement | LoggedCopy;

function corrupt(log: DurableLog, offset: number, what: string): StoreError {
  return new StoreError('corrupt', `durable log ${log.dir}: record ${offset} ${what}`, { path: log.dir });
}

function decode(log: DurableLog, offset: number, bytes: Uint8Array): LogRecord {
  let record: LogRecord | undefined;
  try {
    record = deserialize(bytes) as LogRecord;
  } catch {
    record = undefined;
  }
  const valid =
    record !== undefined &&
    (record.kind === 'insert-values'
      ? typeof record.statement === 'string'
      : record.kind === 'copy'
        ? record.data instanceof Uint8Array && typeof record.part === 'number'
        : (record.kind === 'insert' || record.kind === 'change') && Array.isArray(record.rows));
  if (!valid) throw corrupt(log, offset, 'is not a table change');
  return record as LogRecord;
}

/** Rows `from`…`to` of a change. */
function slice(write: TableWrite, from: number, to: number): TableWrite {
  return write.kind === 'insert'
    ? { kind: 'insert', table: write.table, rows: write.rows.slice(from, to) }
    : {
        kind: 'change',
        table: write.table,
        rows: write.rows.slice(from, to),
        weights: write.weights.slice(from, to),
      };
}

/** Rows of a change whose sample fits a record are taken as one record. */
const SAMPLE_ROWS = 256;

/**
 * The records of a change: one when it fits `maxBytes`, else numbered parts, sized from the
 * bytes of a sample of its rows (each change is serialized once) and halved where a part still
 * does not fit.
 */
export function encodeWrite(write: TableWrite, maxBytes: number): Uint8Array[] {
  const as = write.kind === 'insert' ? write.writtenAs : undefined;
  if (as?.kind === 'insert-values') {
    const record: LoggedStatement = { kind: 'insert-values', statement: as.text };
    const bytes = serialize(record);
    if (bytes.byteLength <= maxBytes) return [bytes];
  } else if (as?.kind === 'copy') {
    const copy = encodeCopy(as.command, as.data, maxBytes);
    if (copy !== undefined) return copy;
  }
  const n = write.rows.length;
  const sample =
    n <= SAMPLE_ROWS ? undefined : serialize(slice(write, 0, SAMPLE_ROWS)).byteLength / SAMPLE_ROWS;
  if (sample === undefined || sample * n <= maxBytes / 2) {
    const whole = serialize(write);
    if (whole.byteLength <= maxBytes) return [whole];
  }
  const pieces: Uint8Array[] = [];
  const add = (from: number, to: number): void => {
    const piece = serialize({ ...slice(write, from, to), part: pieces.length, last: to === n });
    if (piece.byteLength <= maxBytes || to - from === 1) {
      pieces.push(piece);
      return;
    }
    const mid = from + Math.floor((to - from) / 2);
    add(from, mid);
    add(mid, to);
  };
  // Parts of about a quarter of the limit each, by the sample's bytes per row.
  const perRow = sample ?? maxBytes;
  const per = Math.max(1, Math.floor(maxBytes / 4 / perRow));
  for (let from = 0; from < n; from += per) add(from, Math.min(n, from + per));
  return pieces;
}

/** A COPY's records: its data cut into parts of at most half the limit each; undefined if the command alone does not fit. */
function encodeCopy(
  command: CopyFromCommand,
  chunks: readonly Uint8Array[],
  maxBytes: number,
): Uint8Array[] | undefined {
  const overhead = serialize({
    kind: 'copy',
    command,
    data: new Uint8Array(0),
    part: 0,
    last: false,
  }).byteLength;
  const per = Math.floor(maxBytes / 2) - overhead;
  if (per < 1024) return undefined;
  const data = Buffer.concat(chunks);
  const records: Uint8Array[] = [];
  for (let at = 0, part = 0; at < data.length || part === 0; at += per, part++) {
    const end = Math.min(data.length, at + per);
    const record: LoggedCopy = {
      kind: 'copy',
      command,
      data: data.subarray(at, end),
      part,
      last: end === data.length,
    };
    records.push(serialize(record));
  }
  return records;
}

export class TableLog {
  readonly #engine: Engine;
  readonly #log: DurableLog;
  readonly #readCopy: CopyReader | undefined;
  #offset: number;

  /**
   * `offset`: the first record the engine has not applied (a checkpoint's, or 0); `readCopy`
   * reads a logged COPY's data again (without it, such a record is an error).
   */
  constructor(engine: Engine, log: DurableLog, offset: number, readCopy?: CopyReader) {
    this.#engine = engine;
    this.#log = log;
    this.#offset = offset;
    this.#readCopy = readCopy;
  }

  get log(): DurableLog {
    return this.#log;
  }

  /** The first record not applied: everything before it is in the engine. */
  get offset(): number {
    return this.#offset;
  }

  /** Applies the log's changes from `offset` on; returns how many. */
  replay(): number {
    let n = 0;
    /** The parts of the change being read, with the offset of the first. */
    let parts: (LoggedWrite | LoggedCopy)[] = [];
    let partsAt = 0;
    while (this.#offset < this.#log.nextOffset) {
      const batch = this.#log.read(this.#offset, { maxRecords: 1024 });
      if (batch.records.length === 0) break;
      batch.records.forEach((bytes, i) => {
        const offset = batch.firstOffset + i;
        const record = decode(this.#log, offset, bytes);
        if (record.kind === 'insert-values') {
          parts = [];
          this.#engine.applyTableWrite(this.#insertValues(record, offset));
          n++;
          return;
        }
        if (record.kind !== 'copy' && record.part === undefined) {
          parts = [];
          this.#engine.applyTableWrite(record);
          n++;
          return;
        }
        if (record.part === 0) {
          parts = [];
          partsAt = offset;
        }
        if (record.part !== parts.length) return; // the rest of a change a crash cut short
        parts.push(record);
        if (record.last !== true) return;
        for (const write of this.#assemble(parts, partsAt)) this.#engine.applyTableWrite(write);
        parts = [];
        n++;
      });
      this.#offset = batch.nextOffset;
    }
    return n;
  }

  #insertValues(record: LoggedStatement, offset: number): TableWrite {
    const read = this.#engine.rowsOfInsertValues(record.statement);
    if (read === undefined) throw corrupt(this.#log, offset, 'is an INSERT whose rows cannot be read again');
    return { kind: 'insert', table: read.table, rows: read.rows };
  }

  /** The writes of a change's parts, all read. */
  #assemble(parts: readonly (LoggedWrite | LoggedCopy)[], offset: number): readonly TableWrite[] {
    const first = parts[0] as LoggedWrite | LoggedCopy;
    if (first.kind !== 'copy') return parts as readonly LoggedWrite[];
    if (this.#readCopy === undefined)
      throw corrupt(this.#log, offset, 'is a COPY, and nothing here reads one');
    const data = Buffer.concat((parts as readonly LoggedCopy[]).map((p) => p.data));
    try {
      const { table, rows } = this.#readCopy(first.command, data, this.#engine.relations());
      return [{ kind: 'insert', table, rows }];
    } catch (e) {
      throw corrupt(this.#log, offset, `is a COPY whose data cannot be read again: ${(e as Error).message}`);
    }
  }

  /** From now on every table write is logged before it is applied. Call after `replay`. */
  follow(): void {
    this.#engine.onTableWrite((write) => {
      if (this.#offset !== this.#log.nextOffset) throw new Error('table log: replay the log before writing');
      this.#log.append(encodeWrite(write, this.#log.maxRecordBytes));
      this.#offset = this.#log.nextOffset;
      // The fsync starts now, off the event loop, while the engine applies the change; the
      // statement's wait for it (and a failure) is the caller's, through the same promise.
      if (this.#log.fsyncPolicy !== 'never') this.#log.syncAsync().catch(() => undefined);
    });
  }
}
