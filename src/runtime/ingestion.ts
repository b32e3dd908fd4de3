/**
 * One source's ingestion: pulls batches from its reader and pushes them into the engine, one
 * at a time, keeping the position after the last batch pushed (what an epoch commits). Before
 * each batch it waits while the store lags behind (`caughtUp`), and while it waits the source
 * is held: that time is not idleness, so the source's watermark does not follow the clock past
 * records still to come. Rejected units go to the dead letters; a dropped source ends it.
 * Batches that are ready at once are pushed in slices of about SLICE_MS, each a turn of the
 * event loop, so that the thread's other work — statements, the epoch's barrier, commits,
 * finished fsyncs — waits for one slice, not for all the source has ready.
 */
import type { Engine } from '../engine/engine.ts';
import type { DeadLetter, SourceReader, SourceStatus } from './source.ts';

/** Milliseconds of pushing after which the loop lets the event loop take a turn. */
const SLICE_MS = 20;

export interface IngestionOptions {
  readonly engine: Engine;
  readonly source: string;
  /** Resolves once ingestion may go on (the store keeps up); undefined when it may at once. */
  readonly caughtUp: () => Promise<void> | undefined;
  /** Where rejected units go (committed with the epoch). */
  readonly deadLetters: (source: string, letters: readonly DeadLetter[]) => void;
}

/** What `/api/status` says of a source's ingestion. */
export interface IngestionStatus extends SourceStatus {
  readonly kind: string;
  /** Records pushed into the engine by this process. */
  readonly records: number;
  /** Units rejected into the dead letters by this process. */
  readonly rejected: number;
}

export class Ingestion<P> {
  readonly kind: string;
  readonly #options: IngestionOptions;
  readonly #reader: SourceReader<P>;
  #position: P | undefined;
  #records = 0;
  #rejected = 0;
  #ended: { readonly state: 'ended' | 'failed'; readonly error?: string } | undefined;

  /** `position`: where the reader was opened (the committed one). */
  constructor(kind: string, options: IngestionOptions, reader: SourceReader<P>, position: P | undefined) {
    this.kind = kind;
    this.#options = options;
    this.#reader = reader;
    this.#position = position;
  }

  /** The position after the last batch pushed into the engine. */
  get position(): P | undefined {
    return this.#position;
  }

  status(): IngestionStatus {
    const own = this.#ended ?? this.#reader.status();
    return { ...own, kind: this.kind, records: this.#records, rejected: this.#rejected };
  }

  /** Pulls and pushes until the input ends, the source is dropped, or `signal` aborts. */
  async run(signal: AbortSignal): Promise<void> {
    const { engine, source } = this.#options;
    let sliceStarted = performance.now();
    try {
      while (!signal.aborted) {
        if (performance.now() - sliceStarted >= SLICE_MS) {
          await new Promise((resolve) => setImmediate(resolve));
          sliceStarted = performance.now();
          if (signal.aborted) return;
        }
        const wait = this.#options.caughtUp();
        if (wait !== undefined) {
          const release = engine.holdIdle(source);
          try {
            await wait;
          } finally {
            release();
          }
          if (signal.aborted) return;
        }
        const batch = await this.#reader.next(signal);
        if (signal.aborted) return;
        if (batch === undefined) {
          this.#ended = { state: 'ended' };
          return;
        }
        if (engine.getRelation(source)?.kind !== 'source') {
          this.#ended = { state: 'failed', error: `source ${source} was dropped` };
          return;
        }
        // One synchronous step: what a barrier's checkpoint sees has the rows and their position.
        if (batch.splits === undefined) engine.push(source, batch.rows);
        else {
          let at = 0;
          for (const { split, rows } of batch.splits) {
            engine.push(source, batch.rows.slice(at, at + rows), split);
            at += rows;
          }
        }
        for (const split of batch.ended ?? []) engine.endSplit(source, split);
        if (batch.rejected.length > 0) this.#options.deadLetters(source, batch.rejected);
        this.#position = batch.position;
        this.#records += batch.rows.length;
        this.#rejected += batch.rejected.length;
      }
    } catch (e) {
      if (signal.aborted) return;
      this.#ended = { state: 'failed', error: e instanceof Error ? e.message : String(e) };
    }
  }
}
