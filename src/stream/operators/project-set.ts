/**
 * ProjectSet (set-returning functions in a SELECT list: `unnest`, `generate_series`): each row
 * becomes as many rows as its longest function returns — the input's columns, then each
 * function's element, NULL past the end of a shorter one — as PostgreSQL runs them (in
 * lockstep). A row whose functions all return nothing goes; a function that raises a SQL error
 * returns nothing for that row, and the error is counted.
 *
 * Delta: linear — each change `(row, w)` becomes its rows with weight `w`, so a retraction
 * retracts them all. State: none. Watermarks pass unchanged (the input's columns come first).
 */
import { type Chunk, ChunkBuilder } from '../chunk.ts';
import { Operator } from '../operator.ts';
import type { Row, Value } from '../value.ts';

/** What one set-returning function returns for a row. */
export type ElementsOf = (row: Row) => readonly Value[];

export class ProjectSet extends Operator {
  readonly arity = 1;
  readonly #functions: readonly ElementsOf[];

  constructor(functions: readonly ElementsOf[], name = 'project_set') {
    super(name);
    this.#functions = functions;
  }

  protected onChunk(chunk: Chunk): void {
    const { rows, weights } = chunk;
    const out = new ChunkBuilder();
    for (let i = 0; i < rows.length; i++) {
      const row = rows[i] as Row;
      const lists = this.#functions.map((f) => {
        try {
          return f(row);
        } catch (e) {
          this.fail(e);
          return [];
        }
      });
      const n = Math.max(0, ...lists.map((l) => l.length));
      for (let k = 0; k < n; k++)
        out.push(
          [...row, ...lists.map((l) => (k < l.length ? (l[k] as Value) : null))],
          weights[i] as number,
        );
    }
    this.emitBuilder(out);
  }
}
