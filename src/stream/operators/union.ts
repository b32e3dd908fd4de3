/**
 * Union all: merges its inputs.
 *
 * Delta: linear — out = in₀ + in₁ + … (Z-set sum; chunks pass through untouched).
 * State: none but watermark alignment: a column's watermark is the minimum over all inputs,
 * emitted when it advances. Barriers are aligned by the operator base.
 * Snapshot: that alignment (watermarks per input and forwarded).
 */
import type { Chunk } from '../chunk.ts';
import {
  Operator,
  type Watermark,
  WatermarkAligner,
  type WatermarkAlignerState,
  watermark,
} from '../operator.ts';

interface UnionState {
  readonly kind: 'union';
  readonly watermarks: WatermarkAlignerState;
}

export class Union extends Operator {
  readonly arity: number;
  readonly #aligner: WatermarkAligner;

  constructor(inputs: number, name = 'union') {
    super(name);
    if (inputs < 1) throw new Error('union needs at least one input');
    this.arity = inputs;
    this.#aligner = new WatermarkAligner(inputs);
  }

  protected onChunk(chunk: Chunk): void {
    this.emit(chunk);
  }

  protected override onWatermark(wm: Watermark, input: number): void {
    const v = this.#aligner.update(input, wm.column, wm.value);
    if (v !== undefined) this.emit(watermark(wm.column, v));
  }

  override snapshot(): UnionState {
    return { kind: 'union', watermarks: this.#aligner.snapshot() };
  }

  override restore(state: unknown): void {
    const s = this.stateOf<UnionState>(state, 'union');
    try {
      this.#aligner.restore(s.watermarks);
    } catch (e) {
      throw new Error(`${this.name}: ${(e as Error).message}`);
    }
  }
}
