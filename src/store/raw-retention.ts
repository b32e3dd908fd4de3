/**
 * Which epochs of a source's retained raw events to let go: everything committed before
 * `now − hours`, then the oldest epochs until the rest fits in `bytes`. Bookkeeping only —
 * the store deletes the rows.
 */
import { formatNumeric, isNumericValue } from '../sql/numeric.ts';
import type { Value } from '../sql/types.ts';

export interface RetentionPolicy {
  /** Keep raw events committed within this many hours (fractions allowed). */
  readonly hours?: number;
  /** Keep at most about this many bytes of raw events (see `rawBytes`). */
  readonly bytes?: number;
}

/** One committed epoch of one source's raw events. */
export interface RawEpoch {
  readonly epoch: number;
  readonly rows: number;
  readonly bytes: number;
  /** Wall-clock milliseconds of the commit. */
  readonly committedAt: number;
}

/**
 * The size a row of raw events counts for against a byte limit: its values' sizes (string
 * length, 8 per number, bigint or timestamp, a numeric's text length, the JSON length of
 * anything else) — close to its JSON line without the names, and the same on every run.
 */
export function rawBytes(row: readonly Value[]): number {
  let n = 0;
  for (const v of row) {
    if (v === null) n += 1;
    else if (typeof v === 'string') n += v.length;
    else if (typeof v === 'number' || typeof v === 'bigint') n += 8;
    else if (isNumericValue(v)) n += formatNumeric(v).length;
    else if (typeof v === 'boolean') n += 1;
    else if (v instanceof Uint8Array) n += v.byteLength;
    else n += JSON.stringify(v).length;
  }
  return n;
}

/** Epochs kept in commit order, with the running total of their bytes. */
export class RetainedEpochs {
  readonly #epochs: RawEpoch[] = [];
  #first = 0;
  #bytes = 0;

  add(e: RawEpoch): void {
    this.#epochs.push(e);
    this.#bytes += e.bytes;
  }

  get bytes(): number {
    return this.#bytes;
  }

  get rows(): number {
    let n = 0;
    for (let i = this.#first; i < this.#epochs.length; i++) n += (this.#epochs[i] as RawEpoch).rows;
    return n;
  }

  /** The epochs kept, oldest first. */
  kept(): readonly RawEpoch[] {
    return this.#epochs.slice(this.#first);
  }

  /** The oldest epoch still kept. */
  get oldest(): RawEpoch | undefined {
    return this.#epochs[this.#first];
  }

  /**
   * Forgets the epochs `policy` no longer keeps at `now` and returns the last of them (rows
   * of epochs up to it are to be deleted), or undefined when all are kept. The byte limit
   * always keeps the newest epoch, however large.
   */
  expire(policy: RetentionPolicy, now: number): number | undefined {
    let last: number | undefined;
    const cutoff = policy.hours === undefined ? undefined : now - policy.hours * 3_600_000;
    while (this.#first < this.#epochs.length) {
      const e = this.#epochs[this.#first] as RawEpoch;
      const tooOld = cutoff !== undefined && e.committedAt < cutoff;
      const tooBig =
        policy.bytes !== undefined && this.#bytes > policy.bytes && this.#epochs.length - this.#first > 1;
      if (!tooOld && !tooBig) break;
      this.#bytes -= e.bytes;
      last = e.epoch;
      this.#first++;
    }
    if (this.#first > 1024 && this.#first * 2 > this.#epochs.length) {
      this.#epochs.splice(0, this.#first);
      this.#first = 0;
    }
    return last;
  }
}
