/**
 * Stores written before a real (float4) was kept as DuckDB's FLOAT held it as DOUBLE: the
 * double of the float4 value, so the same value. At open, such columns — of tables and views,
 * sources' raw events, change logs and sinks' queues — are converted to FLOAT in one
 * transaction, so that an ad-hoc query computes with a real as PostgreSQL does (in float4
 * where reals meet, and typed real) whatever the age of the table.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import type { SqlType } from '../sql/types.ts';
import { duckType, quoteIdent, type ViewColumn } from './view-store.ts';

/** A table of the store and the tidewatch columns it holds (others may follow them). */
export interface StoredColumns {
  readonly table: string;
  readonly columns: readonly ViewColumn[];
}

function holdsReal(t: SqlType): boolean {
  return t.name === 'float4' || (t.name === 'array' && t.element !== undefined && holdsReal(t.element));
}

/**
 * Converts the DOUBLE columns of reals among `tables` of `database` (the connection's own by
 * default) to FLOAT; resolves with how many it converted.
 */
export async function convertRealColumns(
  conn: DuckDBConnection,
  tables: readonly StoredColumns[],
  database?: string,
): Promise<number> {
  const reals = tables.flatMap(({ table, columns }) =>
    columns.filter((c) => holdsReal(c.type)).map((c) => ({ table, column: c.name, type: duckType(c.type) })),
  );
  if (reals.length === 0) return 0;
  const stored = await conn.runAndReadAll(
    "SELECT table_name, column_name, data_type FROM duckdb_columns() WHERE database_name = coalesce($1, current_database()) AND schema_name = 'main'",
    [database ?? null],
  );
  const key = (table: string, column: string) => `${table.toLowerCase()}\u0000${column.toLowerCase()}`;
  const types = new Map(stored.getRows().map(([t, c, d]) => [key(t as string, c as string), d as string]));
  const older = reals.filter((r) => {
    const held = types.get(key(r.table, r.column));
    return held !== undefined && held !== r.type && held.replaceAll('DOUBLE', 'FLOAT') === r.type;
  });
  if (older.length === 0) return 0;
  await conn.run('BEGIN TRANSACTION');
  try {
    for (const r of older)
      await conn.run(
        `ALTER TABLE ${database === undefined ? '' : `${quoteIdent(database)}.main.`}${quoteIdent(r.table)} ALTER COLUMN ${quoteIdent(r.column)} SET DATA TYPE ${r.type}`,
      );
    await conn.run('COMMIT');
  } catch (e) {
    await conn.run('ROLLBACK').catch(() => undefined);
    throw e;
  }
  return older.length;
}
