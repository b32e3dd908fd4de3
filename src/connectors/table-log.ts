/**
 * The durable log of DML: every change a statement makes to a table (Engine.onTableWrite) is
 * appended before the engine applies it, and fsynced (`log.syncAsync`, started at once and
 * shared between statements) before the statement is acknowledged — so an acknowledged change survives a
 * crash, and a statement whose append fails changes nothing. A checkpoint records `offset`; after a restore, `replay` applies the
 * changes the log holds beyond it, in the order they were made.
 *
 * A bulk INSERT (Engine.insertValues) is kept as its statement's text, which replay reads
 * into the same rows again (Engine.rowsOfInsertValues): far cheaper to write than its rows.
 * A change too large for one record (a COPY of many rows) is written as consecutive parts,
 * numbered, in one append. Replay applies a change only once all its parts are read: parts
 * cut off by a crash — their statement was never acknowledged — are skipped, also when later
 * records follow them.
 */
import { deserialize, serialize } from 'node:v8';
import type { Engine, TableWrite } from '../engine/engine.ts';
import { readInsertValues } from '../sql/insert-values.ts';
import type { DurableLog } from '../store/durable-log.ts';
import { StoreError } from '../store/errors.ts';

/** One record: a change, or part `part` of one (its rows, and weights, a slice); `last` ends it. */
type LoggedWrite = TableWrite & { readonly part?: number; readonly last?: boolean };

/** A bulk INSERT's record: its statement. */
interface LoggedStatement {
  readonly kind: 'insert-values';
  readonly statement: string;
}

function corrupt(log: DurableLog, offset: number, what: string): StoreError {
  return new StoreError('corrupt', `durable log ${log.dir}: record ${offset} ${what}`, { path: log.dir });
}

function decode(engine: Engine, log: DurableLog, offset: number, bytes: Uint8Array): LoggedWrite {
  let record: LoggedWrite | LoggedStatement | undefined;
  try {
    record = deserialize(bytes) as LoggedWrite | LoggedStatement;
  } catch {
    record = undefined;
  }
  if (record?.kind === 'insert-values' && typeof record.statement === 'string') {
    const bulk = readInsertValues(record.statement);
    const rows = bulk === undefined ? undefined : engine.rowsOfInsertValues(bulk);
    if (bulk === undefined || rows === undefined)
      throw corrupt(log, offset, 'is an INSERT whose rows cannot be read again');
    return { kind: 'insert', table: bulk.table, rows };
  }
  if (
    record === undefined ||
    (record.kind !== 'insert' && record.kind !== 'change') ||
    !Array.isArray(record.rows)
  )
    throw corrupt(log, offset, 'is not a table change');
  return record;
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
  if (write.kind === 'insert' && write.statement !== undefined) {
    const record: LoggedStatement = { kind: 'insert-values', statement: write.statement };
    const bytes = serialize(record);
    if (bytes.byteLength <= maxBytes) return [bytes];
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

export class TableLog {
  readonly #engine: Engine;
  readonly #log: DurableLog;
  #offset: number;

  /** `offset`: the first record the engine has not applied (a checkpoint's, or 0). */
  constructor(engine: Engine, log: DurableLog, offset: number) {
    this.#engine = engine;
    this.#log = log;
    this.#offset = offset;
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
    let parts: LoggedWrite[] = [];
    while (this.#offset < this.#log.nextOffset) {
      const batch = this.#log.read(this.#offset, { maxRecords: 1024 });
      if (batch.records.length === 0) break;
      batch.records.forEach((bytes, i) => {
        const write = decode(this.#engine, this.#log, batch.firstOffset + i, bytes);
        if (write.part === undefined) {
          parts = [];
          this.#engine.applyTableWrite(write);
          n++;
          return;
        }
        if (write.part === 0) parts = [];
        if (write.part !== parts.length) return; // the rest of a change a crash cut short
        parts.push(write);
        if (write.last !== true) return;
        for (const p of parts) this.#engine.applyTableWrite(p);
        parts = [];
        n++;
      });
      this.#offset = batch.nextOffset;
    }
    return n;
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
