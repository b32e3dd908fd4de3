/**
 * Input that cannot be read again (the generator; HTTP posts and stdin) made replayable: each
 * batch is appended to the source's durable log — acknowledged once written, or once fsynced
 * for a writer that must know (`appendDurably`) — and the runtime reads the log like any other
 * source, by offset (`open`). After a crash the log beyond the committed offset is read again;
 * nothing acknowledged is lost, nothing counted twice.
 *
 * A writer is held back while the reader lags more than `maxLag` records behind (the engine or
 * the store cannot keep up): `append` then returns a promise, and the source is held meanwhile
 * (the wait is not idleness). Batches appended with their records already decoded are handed
 * to the reader as they are when it reaches them; anything else is decoded from the log.
 */
import type {
  DeadLetter,
  SourceBatch,
  SourceConnector,
  SourceReader,
  SourceStatus,
} from '../runtime/source.ts';
import { DEAD_LETTER_BYTES } from '../runtime/source.ts';
import type { DurableLog } from '../store/durable-log.ts';
import type { Row } from '../stream/value.ts';

/** A logged unit back as a record, or why it is not one. */
export type LogDecoder = (
  bytes: Uint8Array,
) => { readonly row: Row | Readonly<Record<string, unknown>> } | { readonly error: string };

type Decoded = Row | Readonly<Record<string, unknown>>;

/** The source a log input feeds was dropped: nothing more can be written to it. */
export class SourceDropped extends Error {
  override readonly name = 'SourceDropped';
}

export interface LogInputOptions {
  /** The source's name, for messages. */
  readonly source: string;
  readonly log: DurableLog;
  readonly decode: LogDecoder;
  /** Whether the source still exists (appending to a dropped source fails with SourceDropped). */
  readonly alive: () => boolean;
  /** Marks the source as held back (not idle) until the returned function is called. */
  readonly hold: () => () => void;
  /** Where the reader will open: the committed offset (default 0). */
  readonly from?: number;
  /** Records the reader may lag behind the log before writers wait (default 65,536). */
  readonly maxLag?: number;
  /** Records per batch read from the log and handed to the runtime (default 1,024: see Ingestion). */
  readonly batchRecords?: number;
}

export class LogInput implements SourceConnector<number> {
  readonly kind = 'log';
  readonly #options: LogInputOptions;
  /** Decoded records of recent appends, by their first offset. */
  readonly #decoded = new Map<number, readonly Decoded[]>();
  #readerOffset: number;
  #wakeReader: (() => void) | undefined;
  #writersWaiting: (() => void)[] = [];

  constructor(options: LogInputOptions) {
    this.#options = options;
    this.#readerOffset = options.from ?? 0;
  }

  get log(): DurableLog {
    return this.#options.log;
  }

  /** The offset the next appended record gets (records held in the log so far). */
  get nextOffset(): number {
    return this.#options.log.nextOffset;
  }

  /**
   * Appends a batch (its units as written, and the records they decode to, if the writer has
   * them); written to the operating system when this returns. Returns a promise while the
   * reader lags too far behind: the writer should wait for it before appending more.
   */
  append(units: readonly (string | Uint8Array)[], decoded?: readonly Decoded[]): Promise<void> | undefined {
    if (!this.#options.alive()) throw new SourceDropped(`source ${this.#options.source} was dropped`);
    const { firstOffset } = this.#options.log.append(units);
    if (decoded !== undefined && decoded.length === units.length) this.#decoded.set(firstOffset, decoded);
    this.#wakeReader?.();
    return this.#backpressure();
  }

  /** `append`, resolving once the batch is fsynced (a writer answering a client). */
  async appendDurably(units: readonly (string | Uint8Array)[], decoded?: readonly Decoded[]): Promise<void> {
    const wait = this.append(units, decoded);
    await this.#options.log.syncAsync();
    await wait;
  }

  /** The reader lags so far behind that a writer would be held back (`append` would wait). */
  lagging(): boolean {
    return this.#lag() > (this.#options.maxLag ?? 65_536);
  }

  #lag(): number {
    return this.#options.log.nextOffset - this.#readerOffset;
  }

  #backpressure(): Promise<void> | undefined {
    if (this.#lag() <= (this.#options.maxLag ?? 65_536)) return undefined;
    const release = this.#options.hold();
    return new Promise<void>((resolve) => this.#writersWaiting.push(resolve)).finally(release);
  }

  #wakeWriters(): void {
    if (this.#lag() > (this.#options.maxLag ?? 65_536) / 2) return;
    const waiting = this.#writersWaiting;
    this.#writersWaiting = [];
    for (const w of waiting) w();
  }

  async open(position: number | undefined): Promise<SourceReader<number>> {
    return this.reader(position ?? 0);
  }

  /** `open`, at once: the reader of the log from `from` on. */
  reader(from: number): SourceReader<number> {
    let offset = from;
    this.#readerOffset = offset;
    const log = this.#options.log;
    const next = async (signal: AbortSignal): Promise<SourceBatch<number> | undefined> => {
      while (offset >= log.nextOffset) {
        if (signal.aborted) return undefined;
        // The abort listener goes with the wait: the signal lives as long as the source, and a
        // listener left at every wait piled up (about 90 a second), each adding slower than the last.
        await new Promise<void>((resolve) => {
          const aborted = () => resolve();
          this.#wakeReader = () => {
            signal.removeEventListener('abort', aborted);
            resolve();
          };
          signal.addEventListener('abort', aborted, { once: true });
        });
        this.#wakeReader = undefined;
      }
      const batch = this.#take(offset);
      offset = batch.position;
      this.#readerOffset = offset;
      this.#wakeWriters();
      return batch;
    };
    return {
      next,
      status: (): SourceStatus => ({
        state: offset < log.nextOffset ? 'reading' : 'waiting',
        lag: log.nextOffset - offset,
      }),
      close: async () => {
        this.#wakeReader?.();
      },
    };
  }

  /** The records from `offset` on: a batch appended decoded as it is, else decoded from the log. */
  #take(offset: number): SourceBatch<number> {
    for (const first of this.#decoded.keys()) if (first < offset) this.#decoded.delete(first);
    const ready = this.#decoded.get(offset);
    if (ready !== undefined) {
      this.#decoded.delete(offset);
      return { rows: ready, rejected: [], position: offset + ready.length };
    }
    const read = this.#options.log.read(offset, { maxRecords: this.#options.batchRecords ?? 1024 });
    const rows: Decoded[] = [];
    const rejected: DeadLetter[] = [];
    read.records.forEach((bytes, i) => {
      const d = this.#options.decode(bytes);
      if ('row' in d) rows.push(d.row);
      else
        rejected.push({
          position: `offset ${read.firstOffset + i}`,
          reason: d.error,
          raw: Buffer.from(bytes.subarray(0, DEAD_LETTER_BYTES)).toString('utf8'),
        });
    });
    return { rows, rejected, position: read.nextOffset };
  }
}
