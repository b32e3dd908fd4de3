/**
 * Hop (RisingWave's `HOP(source, ts, slide, size [, offset])`): every row belongs to each
 * window `[s, s + size)` with `s ≡ offset (mod slide)` that contains `row[timeColumn]`;
 * the operator emits one copy per window (ceil(size / slide) when slide divides size),
 * with `window_start`, `window_end` appended, in ascending window_start. NULL time → no rows
 * (RisingWave's hop filters them out).
 *
 * Delta: linear — `(row, w)` ↦ `Σ_windows (row ++ [s, s + size], w)`. State: none.
 * Watermarks: `t` on the time column passes, and gives window_start the start of the
 * earliest window containing `t` (window_end that plus size).
 */
import { type Chunk, ChunkBuilder } from '../chunk.ts';
import { Operator, type Watermark, watermark } from '../operator.ts';
import type { Row, Value } from '../value.ts';
import { windowStart } from './tumble.ts';

export interface HopOptions {
  readonly timeColumn: number;
  readonly slide: number;
  readonly size: number;
  readonly offset?: number;
  readonly width: number;
  readonly name?: string;
}

export class Hop extends Operator {
  readonly arity = 1;
  readonly #col: number;
  readonly #slide: number;
  readonly #size: number;
  readonly #offset: number;
  readonly #width: number;

  constructor(options: HopOptions) {
    super(options.name ?? 'hop');
    if (!(options.slide > 0) || !(options.size > 0)) throw new Error('hop: slide and size must be positive');
    this.#col = options.timeColumn;
    this.#slide = options.slide;
    this.#size = options.size;
    this.#offset = options.offset ?? 0;
    this.#width = options.width;
  }

  /** Start of the earliest window containing t. */
  #firstStart(t: number): number {
    const last = windowStart(t, this.#slide, this.#offset);
    const n = Math.floor((last - t + this.#size - 1) / this.#slide);
    return last - Math.max(0, n) * this.#slide;
  }

  protected onChunk(chunk: Chunk): void {
    const { rows, weights } = chunk;
    const col = this.#col;
    const width = this.#width;
    const size = this.#size;
    const slide = this.#slide;
    const out = new ChunkBuilder();
    for (let i = 0; i < rows.length; i++) {
      const row = rows[i] as Row;
      const t = row[col];
      if (typeof t !== 'number') continue;
      const w = weights[i] as number;
      for (let s = this.#firstStart(t); s <= t; s += slide) {
        if (t >= s + size) continue;
        const r: Value[] = row.slice(0, width);
        r.push(s, s + size);
        out.push(r, w);
      }
    }
    this.emitBuilder(out);
  }

  protected override onWatermark(wm: Watermark): void {
    this.emit(wm);
    if (wm.column === this.#col && typeof wm.value === 'number') {
      const s = this.#firstStart(wm.value);
      this.emit(watermark(this.#width, s));
      this.emit(watermark(this.#width + 1, s + this.#size));
    }
  }
}
