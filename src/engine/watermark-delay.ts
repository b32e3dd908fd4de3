/**
 * A WATERMARK's delay: how far the watermark trails the greatest event time. RisingWave takes
 * any expression of the column that gives its type (`ts`, `ts - INTERVAL '5' SECOND`,
 * `ts + INTERVAL '-5 seconds'`, `ts - '1 minute'::interval - INTERVAL '30 seconds'`…); the
 * event-time tracker (event-time.ts) needs a fixed shift. So the expression is evaluated at
 * several event times: when it is the time minus one and the same non-negative amount at
 * each, that amount is the delay; anything else (a month, `date_trunc(…)`) is refused, 0A000.
 */

import { bindExpression } from '../sql/binder.ts';
import type { Catalog, CatalogColumn } from '../sql/catalog.ts';
import { notSupported, SqlError, SqlState } from '../sql/errors.ts';
import type { Watermark } from '../sql/statement.ts';
import { formatType, isTimestamp } from '../sql/types.ts';
import type { Value } from '../stream/value.ts';
import { compileExpr } from './eval/compile.ts';

/**
 * Event times (microseconds) the expression is tried at: after months of 28, 30 and 31 days,
 * at different fractions of a minute (1970-03-01, 2024-07-01 00:00:12.345678, 1900-01-01
 * 00:00:59.999999).
 */
const PROBES = [5_097_600_000_000, 1_719_792_012_345_678, -2_208_988_740_000_001];

export function watermarkDelay(w: Watermark, columns: readonly CatalogColumn[], catalog: Catalog): number {
  const at = columns.findIndex((c) => c.name === w.column);
  const column = columns[at];
  if (column === undefined)
    throw new SqlError(SqlState.undefinedColumn, `column "${w.column}" does not exist`);
  if (!isTimestamp(column.type))
    throw notSupported(`WATERMARK on column "${w.column}" of type ${formatType(column.type)}`);
  const bound = bindExpression(w.expr, columns, catalog);
  if (bound.type.name !== column.type.name)
    throw new SqlError(
      SqlState.datatypeMismatch,
      `the WATERMARK expression must be of the column's type ${formatType(column.type)}, not ${formatType(bound.type)}`,
      w.expr.offset + 1,
    );
  const f = compileExpr(bound);
  let delay: number | undefined;
  for (const t of PROBES) {
    const row: Value[] = columns.map(() => null);
    row[at] = t;
    let v: Value;
    try {
      v = f(row);
    } catch {
      v = null;
    }
    const d = typeof v === 'number' ? t - v : undefined;
    if (d === undefined || d < 0 || (delay !== undefined && d !== delay)) {
      delay = undefined;
      break;
    }
    delay = d;
  }
  if (delay === undefined)
    throw notSupported(
      `WATERMARK expression "${w.expr.text}" (only "${w.column}" minus a constant interval without months)`,
      { text: w.expr.script, offset: w.expr.offset },
    );
  return delay;
}
