/**
 * Tumble (RisingWave's `TUMBLE(source, ts, size [, offset])`): appends `window_start` and
 * `window_end` to each row, for the fixed-size window that contains `row[timeColumn]`.
 * Times and sizes are microseconds. A NULL time gives NULL window bounds.
 *
 * Delta: linear — `(row, w)` ↦ `(row ++ [start, end], w)`. State: none.
 * Watermarks: a watermark `t` on the time column passes unchanged, and yields watermarks
 * `start(t)` on window_start and `start(t) + size` on window_end (later rows cannot fall
 * into an earlier window).
 */
import type { Chunk } from '../chunk.ts';
import { Operator, type Watermark, watermark } from '../operator.ts';
import type { Row, Value } from '../value.ts';

export interface TumbleOptions {
  readonly timeColumn: number;
  /** Window size in microseconds (> 0). */
  readonly size: number;
  /** Window alignment offset in microseconds (default 0). */
  readonly offset?: number;
  /** Width of input rows: window_start goes to column `width`, window_end to `width + 1`. */
  readonly width: number;
  readonly name?: string;
}

/** Start of the window of size `size` (aligned at `offset`) containing `t`. */
export function windowStart(t: number, size: number, offset: number): number {
  const r = (t - offset) % size;
  return t - (r < 0 ? r + size : r);
}

export class Tumble extends Operator {
  readonly arity = 1;
  readonly #col: number;
  readonly #size: number;
  readonly #offset: number;
  readonly #width: number;

  constructor(options: TumbleOptions) {
    super(options.name ?? 'tumble');
    if (!(options.size > 0)) throw new Error('tumble: window size must be positive');
    this.#col = options.timeColumn;
    this.#size = options.size;
    this.#offset = options.offset ?? 0;
    this.#width = options.width;
  }

  protected onChunk(chunk: Chunk): void {
    const { rows, weights } = chunk;
    const col = this.#col;
    const size = this.#size;
    const offset = this.#offset;
    const width = this.#width;
    const out: Row[] = new Array(rows.length);
    for (let i = 0; i < rows.length; i++) {
      const row = rows[i] as Row;
      const t = row[col];
      const r: Value[] = new Array(width + 2);
      for (let j = 0; j < width; j++) r[j] = row[j] as Value;
      if (typeof t === 'number') {
        const s = windowStart(t, size, offset);
        r[width] = s;
        r[width + 1] = s + size;
      } else {
        r[width] = null;
        r[width + 1] = null;
      }
      out[i] = r;
    }
    this.emit({ kind: 'chunk', rows: out, weights });
  }

  protected override onWatermark(wm: Watermark): void {
    this.emit(wm);
    if (wm.column === this.#col && typeof wm.value === 'number') {
      const s = windowStart(wm.value, this.#size, this.#offset);
      this.emit(watermark(this.#width, s));
      this.emit(watermark(this.#width + 1, s + this.#size));
    }
  }
}
