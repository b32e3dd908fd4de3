/**
 * The durable log of DML: every change a statement makes to a table (Engine.onTableWrite) is
 * appended — and, unless fsync is off, fsynced — before the engine applies it, so a statement
 * is acknowledged only once its change would survive a crash, and a statement whose append
 * fails changes nothing. A checkpoint records `offset`; after a restore, `replay` applies the
 * changes the log holds beyond it, in the order they were made.
 */
import { deserialize, serialize } from 'node:v8';
import type { Engine, TableWrite } from '../engine/engine.ts';
import type { DurableLog } from '../store/durable-log.ts';
import { StoreError } from '../store/errors.ts';

function decode(log: DurableLog, offset: number, bytes: Uint8Array): TableWrite {
  let write: TableWrite | undefined;
  try {
    write = deserialize(bytes) as TableWrite;
  } catch {
    write = undefined;
  }
  if (
    write === undefined ||
    (write.kind !== 'insert' && write.kind !== 'change') ||
    !Array.isArray(write.rows)
  )
    throw new StoreError('corrupt', `durable log ${log.dir}: record ${offset} is not a table change`, {
      path: log.dir,
    });
  return write;
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

  /** Applies the log's records from `offset` on; returns how many. */
  replay(): number {
    let n = 0;
    while (this.#offset < this.#log.nextOffset) {
      const batch = this.#log.read(this.#offset, { maxRecords: 1024 });
      if (batch.records.length === 0) break;
      batch.records.forEach((bytes, i) => {
        this.#engine.applyTableWrite(decode(this.#log, batch.firstOffset + i, bytes));
      });
      this.#offset = batch.nextOffset;
      n += batch.records.length;
    }
    return n;
  }

  /** From now on every table write is logged before it is applied. Call after `replay`. */
  follow(): void {
    this.#engine.onTableWrite((write) => {
      if (this.#offset !== this.#log.nextOffset) throw new Error('table log: replay the log before writing');
      this.#log.append([serialize(write)]);
      this.#offset = this.#log.nextOffset;
    });
  }
}
