/**
 * A SQL value as jsonb, as PostgreSQL's to_jsonb converts it: numbers, booleans and strings as
 * themselves, arrays element by element, timestamps in ISO 8601, anything else as its text.
 * The evaluator (to_jsonb, jsonb_build_*), the jsonb aggregates and the ad-hoc path use it.
 */

import { jsonOf } from './jsonb-value.ts';
import { isNumericValue, numericToNumber } from './numeric.ts';
import type { SqlType, Value } from './types.ts';
import { formatValue } from './value-text.ts';

/** A SQL value of `type` as JSON (to_jsonb): numbers, booleans and strings as themselves, a JSON null as `null`. */
export function toJson(v: Value, type: SqlType): Value {
  if (v === null) return null;
  switch (type.name) {
    case 'jsonb':
      return jsonOf(v) as Value;
    case 'boolean':
      return v;
    case 'int2':
    case 'int4':
    case 'int8':
    case 'float4':
    case 'float8':
    case 'numeric':
      if (isNumericValue(v)) return v.special === undefined ? numericToNumber(v) : v.special;
      if (typeof v === 'number' && !Number.isFinite(v)) return formatValue(v, type);
      return typeof v === 'bigint' ? Number(v) : v;
    case 'text':
    case 'varchar':
      return v;
    case 'array':
      return (v as readonly Value[]).map((e) => toJson(e, type.element ?? type));
    case 'timestamp':
    case 'timestamptz':
      return (formatValue(v, type) ?? '').replace(' ', 'T').replace(/([+-]\d\d)$/, '$1:00');
    default:
      return formatValue(v, type);
  }
}
