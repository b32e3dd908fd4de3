/**
 * Project (SELECT list): maps each row to a new row.
 *
 * Delta: linear — out = π(in): `(row, w)` ↦ `(f(row), w)`. Distinct input rows may map to
 * equal output rows; weights then add up downstream (Z-set projection, no DISTINCT).
 * State: none. Watermarks pass only along `watermarks` (input column → output column), which
 * the compiler sets for columns copied unchanged (or mapped monotonically).
 * Errors: as in RisingWave, an expression that fails (division by zero…) is NULL in its row,
 * which goes on, and the error is counted; with `columns` (one function per output column)
 * only the failing expressions are NULL, without it the row is dropped.
 */
import { type Chunk, ChunkBuilder } from '../chunk.ts';
import { mapWatermark, Operator, type Watermark, type WatermarkMap } from '../operator.ts';
import type { Row, Value } from '../value.ts';

export type RowMapper = (row: Row) => Value[];
export type ColumnMapper = (row: Row) => Value;

export class Project extends Operator {
  readonly arity = 1;
  readonly #map: RowMapper;
  readonly #watermarks: WatermarkMap | undefined;
  readonly #columns: readonly ColumnMapper[] | undefined;

  constructor(
    map: RowMapper,
    options: {
      readonly watermarks?: WatermarkMap;
      readonly name?: string;
      /** `map` column by column, for the rows where it fails. */
      readonly columns?: readonly ColumnMapper[];
    } = {},
  ) {
    super(options.name ?? 'project');
    this.#map = map;
    this.#watermarks = options.watermarks;
    this.#columns = options.columns;
  }

  protected onChunk(chunk: Chunk): void {
    const { rows, weights } = chunk;
    const f = this.#map;
    const out = new ChunkBuilder();
    for (let i = 0; i < rows.length; i++) {
      let r: Row;
      try {
        r = f(rows[i] as Row);
      } catch (e) {
        if (this.#columns === undefined) {
          this.fail(e);
          continue;
        }
        r = this.#columnByColumn(rows[i] as Row, this.#columns);
      }
      out.push(r, weights[i] as number);
    }
    this.emitBuilder(out);
  }

  /** The row with NULL for each expression that fails on it, each failure counted. */
  #columnByColumn(row: Row, columns: readonly ColumnMapper[]): Value[] {
    return columns.map((f) => {
      try {
        return f(row);
      } catch (e) {
        this.fail(e);
        return null;
      }
    });
  }

  protected override onWatermark(wm: Watermark): void {
    mapWatermark((w) => this.emit(w), this.#watermarks, wm);
  }
}

/** A projection that keeps the given input columns, in order (watermarks follow them). */
export function selectColumns(columns: readonly number[], name = 'project'): Project {
  return new Project((row) => columns.map((c) => row[c] as Value), {
    name,
    watermarks: columns.map((c, i) => [c, i] as const),
  });
}
