/**
 * Casts to text of the values whose DuckDB text is not PostgreSQL's (`inf`, `0.0`, `1
 * month`, compact JSON): the rewriter makes `x::text` a call of a JavaScript function that
 * prints the value with the same code as the engine and the wire protocol (sql/value-text.ts).
 * A boolean is left to DuckDB: its cast gives `true`, as PostgreSQL's does.
 */
import { DOUBLE, type DuckDBType, INTERVAL, VARCHAR } from '@duckdb/node-api';
import { type SqlType, T } from '../../sql/types.ts';

export interface TextCast {
  /** The DuckDB function's name. */
  readonly name: string;
  /** The DuckDB type it takes. */
  readonly duck: DuckDBType;
  /** The PostgreSQL type it prints. */
  readonly type: SqlType;
}

const casts: readonly TextCast[] = [
  { name: 'tw_text_float8', duck: DOUBLE, type: T.float8 },
  { name: 'tw_text_float4', duck: DOUBLE, type: T.float4 },
  { name: 'tw_text_interval', duck: INTERVAL, type: T.interval },
  { name: 'tw_text_jsonb', duck: VARCHAR, type: T.jsonb },
];

/** Every text cast, for the session to register. */
export function textCasts(): readonly TextCast[] {
  return casts;
}

/** The function a value of `t` is cast to text with, or undefined when DuckDB's cast is PostgreSQL's. */
export function textCastOf(t: SqlType | undefined): string | undefined {
  return casts.find((c) => c.type.name === t?.name)?.name;
}
