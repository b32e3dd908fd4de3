/**
 * Source: the entry point of a dataflow. It has no input; the graph hands it chunks,
 * watermarks and barriers, and it forwards them unchanged to every consumer (fan-out:
 * one source read once feeds many views).
 *
 * Delta: out = in. State: none.
 */
import type { Chunk } from '../chunk.ts';
import { Operator } from '../operator.ts';

export class Source extends Operator {
  readonly arity = 0;
  /** Number of columns of the rows this source produces (informational). */
  readonly width: number | undefined;

  constructor(name: string, width?: number) {
    super(name);
    this.width = width;
  }

  protected onChunk(chunk: Chunk): void {
    this.emit(chunk);
  }
}
