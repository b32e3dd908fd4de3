/**
 * Filter (SQL WHERE / HAVING): keeps rows whose predicate is TRUE; NULL counts as false,
 * and a row whose predicate raises a SQL error is skipped and counted.
 *
 * Delta: linear — out = σ(in): each change `(row, w)` passes with its weight iff the predicate
 * holds, so retractions follow their inserts. State: none. Watermarks pass unchanged.
 */
import { type Chunk, ChunkBuilder } from '../chunk.ts';
import { Operator } from '../operator.ts';
import type { Row } from '../value.ts';

export type Predicate = (row: Row) => boolean | null;

export class Filter extends Operator {
  readonly arity = 1;
  readonly #pred: Predicate;

  constructor(predicate: Predicate, name = 'filter') {
    super(name);
    this.#pred = predicate;
  }

  protected onChunk(chunk: Chunk): void {
    const { rows, weights } = chunk;
    const pred = this.#pred;
    let out: ChunkBuilder | undefined;
    let kept = 0;
    for (let i = 0; i < rows.length; i++) {
      const row = rows[i] as Row;
      let pass: boolean;
      try {
        pass = pred(row) === true;
      } catch (e) {
        this.fail(e);
        pass = false;
      }
      if (pass) {
        if (out !== undefined) out.push(row, weights[i] as number);
        else kept++;
      } else if (out === undefined) {
        // First dropped row: copy the kept prefix (until then the chunk passes as is).
        out = new ChunkBuilder();
        for (let j = 0; j < kept; j++) out.push(rows[j] as Row, weights[j] as number);
      }
    }
    if (out === undefined) this.emit(chunk);
    else this.emitBuilder(out);
  }
}
