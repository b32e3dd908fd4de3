/**
 * The type a result column is reported with: PostgreSQL's (inferred from the query,
 * output-columns.ts) when it is of the same kind as what DuckDB computed, DuckDB's
 * otherwise. "Same kind": both numbers (an integer type only when DuckDB's values are
 * integers too), both strings (jsonb included), the same date/time type, arrays of such;
 * a numeric is DuckDB text (its exact text, rewrite-numeric.ts) or a DuckDB number.
 */
import { category, isInteger, type SqlType, T } from '../../sql/types.ts';

export function resultType(inferred: SqlType | undefined, duck: SqlType): SqlType {
  if (inferred === undefined) return duck;
  if (inferred.name === 'array' || duck.name === 'array') {
    if (inferred.name !== 'array' || duck.name !== 'array') return duck;
    const e = resultType(inferred.element, duck.element ?? T.text);
    return { name: 'array', element: e };
  }
  if (inferred.name === 'jsonb') return duck.name === 'text' || duck.name === 'jsonb' ? inferred : duck;
  if (inferred.name === 'numeric' && duck.name === 'text') return inferred;
  const c = category(inferred);
  if (c !== category(duck)) return duck;
  if (c === 'numeric')
    return isInteger(inferred) && !isInteger(duck) && duck.name !== 'numeric' ? duck : inferred;
  if (c === 'string') return inferred;
  return inferred.name === duck.name ? inferred : duck;
}
