/**
 * Ingest progress of one source or table: rows admitted and, with `WATERMARK FOR col AS
 * col - INTERVAL '…'`, the watermark it sends into the dataflow and the late rows it drops.
 *
 * The watermark is the greatest event time seen minus the delay. It enters the dataflow at
 * each barrier (when it advanced), where it closes windows; a row whose event time is below
 * the watermark already sent — or that has none — is late: its window may be closed, so it is
 * dropped and counted, never applied to a closed window. Rows out of order by less than the
 * delay are all on time, so they give exactly the in-order result.
 *
 * Idle sources: when nothing arrived for `idleTimeoutMs` of processing time, the watermark
 * follows the wall clock (now − delay) instead, so that the last window of a quiet site
 * closes. Event time here is the timestamp's microseconds since 1970 read as UTC, the
 * generator's and the log formats' convention.
 */
import type { Row } from '../stream/value.ts';

export interface EventTimeStats {
  /** Rows admitted. */
  readonly rows: number;
  /** Rows dropped: behind the watermark, or without event time. */
  readonly lateRows: number;
  readonly maxEventTime: number | undefined;
  /** The watermark last sent into the dataflow. */
  readonly watermark: number | undefined;
  /** Whether the watermark follows the wall clock because nothing arrived for a while. */
  readonly idle: boolean;
}

export interface EventTimeState {
  readonly max: number | null;
  readonly watermark: number | null;
  readonly lastArrivalMs: number | null;
  readonly rows: number;
  readonly lateRows: number;
  /** The greatest event time of each split read separately (absent: one split). */
  readonly splits?: Readonly<Record<string, number>>;
}

/** One part of a source read at its own pace: a Kafka partition, a file. */
interface Split {
  max: number;
  lastArrivalMs: number;
}

export class EventTime {
  /** The event-time column (undefined: no watermark; rows are only counted). */
  readonly column: number | undefined;
  #delay: number;
  #max: number | undefined;
  /**
   * Splits read at their own paces: the watermark follows the slowest of those not idle, so that
   * a partition or file behind the others does not have its rows counted late (as RisingWave).
   */
  readonly #splits = new Map<string, Split>();
  #watermark: number | undefined;
  #lastArrivalMs: number | undefined;
  #idle = false;
  /** Holds by the source's feeders: while held it has input it cannot deliver yet, so it is not idle. */
  #holds = 0;
  #rows = 0;
  #late = 0;

  /** `delay` in microseconds. */
  constructor(column: number | undefined, delay: number) {
    this.column = column;
    this.#delay = delay;
  }

  /**
   * The rows that are on time (the others are counted as late); `rows` itself if all are. `split`
   * names the part of the source they come from when it has parts read at their own paces.
   */
  admit(rows: readonly Row[], nowMs: number, split?: string): readonly Row[] {
    const c = this.column;
    if (c === undefined) {
      this.#rows += rows.length;
      return rows;
    }
    const wm = this.#watermark ?? Number.NEGATIVE_INFINITY;
    /** The greatest event time among these rows that are on time. */
    let batchMax = Number.NEGATIVE_INFINITY;
    let kept: Row[] | undefined;
    for (let i = 0; i < rows.length; i++) {
      const row = rows[i] as Row;
      const t = row[c];
      const onTime = typeof t === 'number' && t >= wm;
      if (onTime) {
        if (t > batchMax) batchMax = t;
        kept?.push(row);
      } else if (kept === undefined) kept = rows.slice(0, i) as Row[];
    }
    const n = kept === undefined ? rows.length : kept.length;
    this.#rows += n;
    this.#late += rows.length - n;
    if (n > 0) {
      if (split !== undefined) {
        const part = this.#splits.get(split);
        if (part === undefined) this.#splits.set(split, { max: batchMax, lastArrivalMs: nowMs });
        else {
          part.max = Math.max(part.max, batchMax);
          part.lastArrivalMs = nowMs;
        }
      }
      this.#max = Math.max(this.#max ?? Number.NEGATIVE_INFINITY, batchMax);
      this.#lastArrivalMs = nowMs;
    }
    return kept ?? rows;
  }

  /** A split has ended (a rotated file read to its end): it no longer holds the watermark back. */
  endSplit(split: string): void {
    this.#splits.delete(split);
  }

  /** The watermark to send at this barrier, when it advances. */
  advance(nowMs: number, idleTimeoutMs: number): number | undefined {
    if (this.#holds > 0) this.#lastArrivalMs = nowMs;
    if (this.column === undefined || this.#max === undefined || this.#lastArrivalMs === undefined)
      return undefined;
    let next = this.#max - this.#delay;
    if (this.#holds > 0) for (const part of this.#splits.values()) part.lastArrivalMs = nowMs;
    // The slowest split that is not idle sets the pace (all idle: the source is).
    let slowest = Number.POSITIVE_INFINITY;
    for (const part of this.#splits.values())
      if (idleTimeoutMs === 0 || nowMs - part.lastArrivalMs < idleTimeoutMs)
        slowest = Math.min(slowest, part.max - this.#delay);
    if (slowest < next) next = slowest;
    this.#idle = idleTimeoutMs > 0 && nowMs - this.#lastArrivalMs >= idleTimeoutMs;
    if (this.#idle) next = Math.max(next, nowMs * 1000 - this.#delay);
    if (this.#watermark !== undefined && next <= this.#watermark) return undefined;
    this.#watermark = next;
    return next;
  }

  /** A new tracker of the same column and delay, that has seen nothing (to replay retained rows). */
  fresh(): EventTime {
    return new EventTime(this.column, this.#delay);
  }

  /** Plain data for a checkpoint (see `restore`). */
  snapshot(): EventTimeState {
    return {
      max: this.#max ?? null,
      watermark: this.#watermark ?? null,
      lastArrivalMs: this.#lastArrivalMs ?? null,
      rows: this.#rows,
      lateRows: this.#late,
      ...(this.#splits.size === 0
        ? {}
        : { splits: Object.fromEntries([...this.#splits].map(([k, part]) => [k, part.max])) }),
    };
  }

  /**
   * Waits at least `delay` (µs) behind the greatest event time before rows are late: for input
   * whose disorder the source's WATERMARK did not foresee (a web server's log, written as requests
   * end). Never shortens the delay, and never moves the watermark back.
   */
  allowLateness(delay: number): void {
    if (delay > this.#delay) this.#delay = delay;
  }

  /**
   * The source has input it cannot deliver yet (held back by backpressure, a busy engine): until
   * `release`, the time does not count as idle. Holds nest.
   */
  hold(): void {
    this.#holds++;
  }

  release(): void {
    if (this.#holds > 0) this.#holds--;
  }

  /**
   * Continues from `snapshot()`. Idleness counts from `nowMs` (a restart's moment), not from the
   * last arrival before it: time tidewatch was down is not time the source had nothing to give.
   */
  restore(s: EventTimeState, nowMs: number): void {
    this.#max = s.max ?? undefined;
    this.#watermark = s.watermark ?? undefined;
    this.#lastArrivalMs = s.lastArrivalMs === null ? undefined : nowMs;
    this.#rows = s.rows;
    this.#late = s.lateRows;
    this.#splits.clear();
    for (const [k, max] of Object.entries(s.splits ?? {})) this.#splits.set(k, { max, lastArrivalMs: nowMs });
  }

  get stats(): EventTimeStats {
    return {
      rows: this.#rows,
      lateRows: this.#late,
      maxEventTime: this.#max,
      watermark: this.#watermark,
      idle: this.#idle,
    };
  }
}
