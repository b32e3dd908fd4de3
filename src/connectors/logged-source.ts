/**
 * A source that cannot replay its input (the generator; later HTTP push and stdin) goes
 * through a durable log: each batch is appended — acknowledged once written — and then
 * pushed into the engine, so the log always holds at least what the engine has seen. A
 * checkpoint records `offset`, the records pushed so far; recovery pushes what the log holds
 * beyond the checkpoint's offset (`replay`), and nothing is lost or counted twice.
 */
import type { Engine } from '../engine/engine.ts';
import type { RecordOutput } from '../generator/drive.ts';
import { type LogRecord, toJsonLine } from '../generator/record.ts';
import type { DurableLog } from '../store/durable-log.ts';
import { toSourceRecord } from './generator-source.ts';

/** A logged line back as the engine takes a record (event time in microseconds). */
export function fromJsonLine(line: string): Record<string, unknown> {
  const o = JSON.parse(line) as Record<string, unknown>;
  const t = o.request_timestamp;
  return { ...o, request_timestamp: typeof t === 'string' ? Date.parse(t) * 1000 : null };
}

/** The source a LoggedSource feeds was dropped: nothing more can be written to it. */
export class SourceDropped extends Error {
  override readonly name = 'SourceDropped';
}

export class LoggedSource implements RecordOutput {
  readonly #engine: Engine;
  readonly #relation: string;
  readonly #log: DurableLog;
  #offset: number;

  /** `offset`: the first record the engine has not seen (a checkpoint's, or 0). */
  constructor(engine: Engine, relation: string, log: DurableLog, offset: number) {
    this.#engine = engine;
    this.#relation = relation;
    this.#log = log;
    this.#offset = offset;
  }

  /** The offset of the first record not yet pushed into the engine. */
  get offset(): number {
    return this.#offset;
  }

  get log(): DurableLog {
    return this.#log;
  }

  /** Pushes the log's records from `offset` on; returns how many. */
  replay(): number {
    let n = 0;
    while (this.#offset < this.#log.nextOffset) {
      const batch = this.#log.read(this.#offset, { maxRecords: 8192 });
      if (batch.records.length === 0) break;
      this.#engine.push(
        this.#relation,
        batch.records.map((b) => fromJsonLine(b.toString('utf8'))),
      );
      this.#offset = batch.nextOffset;
      n += batch.records.length;
    }
    return n;
  }

  write(batch: readonly LogRecord[]): void {
    if (this.#engine.getRelation(this.#relation)?.kind !== 'source')
      throw new SourceDropped(`source ${this.#relation} was dropped`);
    if (this.#offset !== this.#log.nextOffset)
      throw new Error('logged source: replay the log before writing');
    this.#log.append(batch.map(toJsonLine));
    this.#engine.push(this.#relation, batch.map(toSourceRecord));
    this.#offset = this.#log.nextOffset;
  }

  async close(): Promise<void> {}
}
