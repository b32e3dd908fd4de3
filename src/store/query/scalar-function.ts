/**
 * DuckDB scalar functions written in JavaScript over the vectors DuckDB hands them, for the
 * ad-hoc path's functions that run the engine's own code (numeric-functions.ts,
 * jsonb-functions.ts). A SQL error raised inside reaches DuckDB as `tidewatch:SQLSTATE:message`,
 * which duck-errors.ts turns back into that SQLSTATE.
 */
import { DuckDBScalarFunction, type DuckDBType } from '@duckdb/node-api';
import { SqlError } from '../../sql/errors.ts';

/** The DuckDB error text of a SqlError raised in a function (read back by duck-errors.ts). */
export function functionError(e: unknown): string {
  if (e instanceof SqlError) return `tidewatch:${e.sqlstate}:${e.message}`;
  const message = e instanceof Error ? e.message : String(e);
  // The evaluator's kernels raise plain errors carrying a SQLSTATE.
  const sqlstate = (e as { sqlstate?: unknown } | null)?.sqlstate;
  return `tidewatch:${typeof sqlstate === 'string' ? sqlstate : 'XX000'}:${message}`;
}

/**
 * A scalar function over vectors. `strict`: a NULL argument gives NULL without calling `fn`
 * (PostgreSQL's STRICT); otherwise `fn` sees the NULLs.
 */
export function scalar(
  name: string,
  parameterTypes: readonly DuckDBType[],
  returnType: DuckDBType,
  fn: (...args: never[]) => unknown,
  options: { strict?: boolean; varArgs?: DuckDBType } = {},
): DuckDBScalarFunction {
  const strict = options.strict ?? true;
  return DuckDBScalarFunction.create({
    name,
    returnType,
    parameterTypes: [...parameterTypes],
    ...(options.varArgs === undefined ? {} : { varArgsType: options.varArgs }),
    ...(strict ? {} : { specialHandling: true }),
    mainFunction: (info, input, output) => {
      const columns = input.columnCount;
      const vectors = Array.from({ length: columns }, (_, i) => input.getColumnVector(i));
      const args: unknown[] = new Array(columns);
      for (let row = 0; row < input.rowCount; row++) {
        let sawNull = false;
        for (let i = 0; i < columns; i++) {
          const v = (vectors[i] as { getItem(r: number): unknown }).getItem(row);
          if (v === null) sawNull = true;
          args[i] = v;
        }
        if (strict && sawNull) {
          output.setItem(row, null);
          continue;
        }
        try {
          output.setItem(row, fn(...(args as never[])) as never);
        } catch (e) {
          info.setError(functionError(e));
          return;
        }
      }
      output.flush();
    },
  });
}
