/**
 * What a source connector gives the runtime: a reader the runtime pulls batches from, each
 * batch with the position after it. The runtime pushes a batch into the engine and keeps its
 * position; every epoch commits the positions of all sources with the engine's state, and a
 * start opens each reader at its committed position. So a connector whose input can be read
 * again from a position (a Kafka partition offset, a file and byte offset, a durable log
 * offset) gives exactly-once results without keeping anything itself.
 *
 * Pulling is the backpressure: the runtime asks for the next batch only once the last one is
 * in the engine and the store keeps up, so a reader holds at most a batch ahead.
 */
import type { Row } from '../stream/value.ts';

/** A unit of input that could not be read as a record: kept, with why, in `tidewatch_dead_letters`. */
export interface DeadLetter {
  /** Where it was in its input: a file and byte offset, a partition and offset, a log offset. */
  readonly position: string;
  readonly reason: string;
  /** Its text (or bytes), cut to `DEAD_LETTER_BYTES`. */
  readonly raw: string;
}

/** How much of a rejected unit a dead letter keeps. */
export const DEAD_LETTER_BYTES = 4096;

export interface SourceBatch<P> {
  /** Records as rows in the source's column order (or objects by column name). */
  readonly rows: readonly (Row | Readonly<Record<string, unknown>>)[];
  readonly rejected: readonly DeadLetter[];
  /** The position after this batch: opening the reader there continues with what follows it. */
  readonly position: P;
  /**
   * The parts of the input the rows come from, as consecutive runs of `rows` (a partition, a
   * file): each read at its own pace, the source's watermark follows the slowest.
   */
  readonly splits?: readonly { readonly split: string; readonly rows: number }[];
  /** Parts that have ended (a rotated file read to its end): they no longer hold it back. */
  readonly ended?: readonly string[];
}

/** How a reader is doing, for `/api/status` and the system tables. */
export interface SourceStatus {
  /** `reading`; `waiting` for input; `retrying` a connection; `ended` (input done); `failed`. */
  readonly state: 'reading' | 'waiting' | 'retrying' | 'ended' | 'failed';
  /** The last problem, when there is one (an unreachable broker, a missing file). */
  readonly error?: string;
  /** Records known to be in the input and not yet read, where the connector can tell. */
  readonly lag?: number;
  /** Connector-specific figures (per partition, per file…). */
  readonly detail?: Readonly<Record<string, unknown>>;
}

export interface SourceReader<P> {
  /**
   * The next batch, once there is one; undefined when the input has ended. Aborted by `signal`
   * (the runtime stopping): it then resolves undefined or rejects with the signal's reason.
   */
  next(signal: AbortSignal): Promise<SourceBatch<P> | undefined>;
  status(): SourceStatus;
  close(): Promise<void>;
}

export interface SourceConnector<P> {
  /** `kafka`, `file`, `log` … as `/api/status` names it. */
  readonly kind: string;
  /**
   * The reader, at `position` (the last committed one; undefined on the first start: the
   * connector's own start rule applies, e.g. `scan.startup.mode`).
   */
  open(position: P | undefined): Promise<SourceReader<P>>;
}
