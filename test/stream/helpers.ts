/** Shared helpers of the stream tests: a seeded PRNG, Z-set comparisons, a watermark probe. */
import type { Chunk } from '../../src/stream/chunk.ts';
import { Operator, type Watermark } from '../../src/stream/operator.ts';
import { compareRows, type Row, type Value } from '../../src/stream/value.ts';

export { prng } from '../helpers/random.ts';

export function pick<T>(rand: () => number, xs: readonly T[]): T {
  return xs[Math.floor(rand() * xs.length)] as T;
}

export function int(rand: () => number, lo: number, hi: number): number {
  return lo + Math.floor(rand() * (hi - lo + 1));
}

export function sorted(rows: readonly Row[]): Row[] {
  return [...rows].sort(compareRows);
}

/** A chunk as sorted `[row, weight]` pairs (for assertions). */
export function changes(c: Chunk): [Row, number][] {
  const out: [Row, number][] = c.rows.map((r, i) => [r, c.weights[i] as number]);
  return out.sort((a, b) => compareRows(a[0], b[0]) || a[1] - b[1]);
}

/** Rows expanded from a multiset given as [row, count] pairs. */
export function expand(entries: Iterable<readonly [Row, number]>): Row[] {
  const out: Row[] = [];
  for (const [r, n] of entries) for (let i = 0; i < n; i++) out.push(r);
  return sorted(out);
}

/** A live multiset of input rows with random inserts and deletes. */
export class RandomStream {
  readonly live: Row[] = [];
  readonly #rand: () => number;
  readonly #make: () => Row;

  constructor(rand: () => number, make: () => Row) {
    this.#rand = rand;
    this.#make = make;
  }

  /** One epoch of changes: mostly inserts, deletes of live rows, some duplicates. */
  epoch(maxChanges: number): { rows: Row[]; weights: number[] } {
    const rows: Row[] = [];
    const weights: number[] = [];
    const n = int(this.#rand, 0, maxChanges);
    for (let i = 0; i < n; i++) {
      const r = this.#rand();
      if (r < 0.35 && this.live.length > 0) {
        const at = Math.floor(this.#rand() * this.live.length);
        const row = this.live[at] as Row;
        this.live[at] = this.live[this.live.length - 1] as Row;
        this.live.pop();
        rows.push(row);
        weights.push(-1);
      } else if (r < 0.42 && this.live.length > 0) {
        const row = pick(this.#rand, this.live);
        this.live.push(row, row);
        rows.push(row);
        weights.push(2);
      } else {
        const row = this.#make();
        this.live.push(row);
        rows.push(row);
        weights.push(1);
      }
    }
    return { rows, weights };
  }

  /** Stops retracting or duplicating the live rows `done` holds for (e.g. rows behind a watermark). */
  forget(done: (row: Row) => boolean): void {
    let n = 0;
    for (const row of this.live) if (!done(row)) this.live[n++] = row;
    this.live.length = n;
  }
}

/** Records the watermarks it receives as `[column, value]`. */
export class Probe extends Operator {
  readonly arity = 1;
  readonly seen: [number, Value][] = [];
  protected onChunk(): void {}
  protected override onWatermark(wm: Watermark): void {
    this.seen.push([wm.column, wm.value]);
  }
}
