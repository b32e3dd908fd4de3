/**
 * A blocklist sink's allow-list: the addresses and CIDR ranges of a table the user keeps in
 * SQL, read from the store as committed. The table and its column are identifiers of the
 * user's catalog, looked up in DuckDB's information schema (parameters) and quoted, never
 * pasted into SQL as given.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { quoteIdent } from '../store/view-store.ts';
import { AllowList } from './ip-address.ts';

export interface AllowlistSource {
  readonly table: string;
  /** Default: `ip` when the table has it, else its first column. */
  readonly column: string | undefined;
}

async function columnsOf(conn: DuckDBConnection, table: string): Promise<string[]> {
  const result = await conn.runAndReadAll(
    "SELECT column_name FROM information_schema.columns WHERE table_schema = 'main' AND table_name = $1 ORDER BY ordinal_position",
    [table],
  );
  return result
    .getRows()
    .map(([name]) => name as string)
    .filter((name) => !name.startsWith('__tw_'));
}

/** The allow-list as committed now; throws naming the table or column when there is none. */
export async function readAllowlist(conn: DuckDBConnection, source: AllowlistSource): Promise<AllowList> {
  let table = source.table;
  let columns = await columnsOf(conn, table);
  if (columns.length === 0 && table !== table.toLowerCase()) {
    table = table.toLowerCase();
    columns = await columnsOf(conn, table);
  }
  if (columns.length === 0) throw new Error(`allowlist.table "${source.table}" is not a table`);
  const wanted = source.column;
  const column =
    wanted === undefined
      ? columns.includes('ip')
        ? 'ip'
        : columns[0]
      : columns.find((c) => c === wanted || c === wanted.toLowerCase());
  if (column === undefined)
    throw new Error(`allowlist.column "${wanted}" is not a column of "${table}" (${columns.join(', ')})`);
  const result = await conn.runAndReadAll(
    `SELECT CAST(${quoteIdent(column)} AS VARCHAR) FROM ${quoteIdent(table)} WHERE ${quoteIdent(column)} IS NOT NULL`,
  );
  return new AllowList(result.getRows().map(([v]) => v as string));
}
