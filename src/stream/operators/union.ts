/**
 * Union all: merges its inputs.
 *
 * Delta: linear — out = in₀ + in₁ + … (Z-set sum; chunks pass through untouched).
 * State: none but watermark alignment: a column's watermark is the minimum over all inputs,
 * emitted when it advances. Barriers are aligned by the operator base.
 */
import type { Chunk } from '../chunk.ts';
import { Operator, type Watermark, WatermarkAligner, watermark } from '../operator.ts';

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
}
