/**
 * DuckDB SQL standing in for tidewatch relations and RisingWave's window table functions.
 *
 * - A table or materialized view is a DuckDB table with two extra columns; its rows are
 *   repeated by multiplicity: rows held once as they are, `UNION ALL` the others repeated
 *   by `range(t.__tw_count)`. A numeric column is its exact text (rewrite-numeric.ts).
 *   A relation whose rows are unique holds each once: it is read as it is.
 * - A source is a DuckDB table of retained events with their epoch, in the raw events' database
 *   attached beside the store's; the epoch is left out, and events of an epoch not committed yet
 *   (written just before it, view-store.ts) are not read.
 * - `TUMBLE(rel, col, size [, offset])` adds `window_start`, the start of the window of
 *   `size` aligned on 1970-01-01 + offset that holds `col`, and `window_end`;
 *   `HOP(rel, col, slide, size [, offset])` repeats each row once per window of `size`,
 *   starting every `slide`, that holds `col`. A NULL time gives NULL bounds in TUMBLE and no
 *   row in HOP, as in RisingWave. The arithmetic is on microseconds since 1970 (the
 *   `tw_window_start` macro, see session-setup.ts), so it serves timestamp and timestamptz.
 */

import { EPOCH_COLUMN, EPOCHS, quoteIdent, rawTable } from '../view-store.ts';
import { COUNT_COLUMN, type StoredRelation } from './stored-relation.ts';

const ROW = '__tw_row';
const COMMITTED = '__tw_committed';

/** A parenthesized subquery with exactly the relation's columns and rows. */
export function storedRelationSql(rel: StoredRelation, database: string): string {
  const table = `${quoteIdent(database)}.main.${quoteIdent(rel.name)}`;
  const cols = rel.columns.map((c) => `${ROW}.${quoteIdent(c.name)}`).join(', ');
  // A source's events of an epoch commit just before the epoch does, in a database of their own:
  // until it has, they are not its. The store's database is read first, so that the events read
  // are at least those of the epochs it has.
  if (rel.rawEvents === true)
    return (
      `(SELECT ${cols} FROM (SELECT max(epoch) AS ${COMMITTED} FROM ${quoteIdent(database)}.main.${EPOCHS}) AS ${COMMITTED}, ` +
      `${rawTable(rel.name)} AS ${ROW} WHERE ${ROW}.${EPOCH_COLUMN} <= ${COMMITTED}.${COMMITTED})`
    );
  if (rel.kind === 'source' || rel.unique === true) return `(SELECT ${cols} FROM ${table} AS ${ROW})`;
  // Rows held once (nearly all) are read straight; only the rest are repeated. Row groups
  // without a repeated row are skipped by the zone map of the count column: a point query
  // costs 1.6× less and an aggregate 2× less than repeating every row.
  const count = `${ROW}.${COUNT_COLUMN}`;
  return (
    `(SELECT ${cols} FROM ${table} AS ${ROW} WHERE ${count} = 1 UNION ALL ` +
    `SELECT ${cols} FROM ${table} AS ${ROW}, range(${count}) AS __tw_copies(__tw_copy) WHERE ${count} > 1)`
  );
}

export interface WindowArgs {
  /** SQL of the relation: a parenthesized subquery or a name. */
  readonly relation: string;
  /** The time column's name. */
  readonly column: string;
  /** SQL of the interval expressions. */
  readonly size: string;
  readonly slide?: string;
  readonly offset?: string;
}

const W = '__tw_w';

/** The subquery replacing `TUMBLE(…)`. */
export function tumbleSql(a: WindowArgs): string {
  const col = `${W}.${quoteIdent(a.column)}`;
  const start = `tw_window_start(${col}, ${a.size}, ${a.offset ?? "INTERVAL '0 seconds'"})`;
  return (
    `(SELECT ${W}.*, ${start} AS window_start, ${start} + (${a.size}) AS window_end ` +
    `FROM ${a.relation} AS ${W})`
  );
}

/** The subquery replacing `HOP(…)`. */
export function hopSql(a: WindowArgs): string {
  const col = `${W}.${quoteIdent(a.column)}`;
  const slide = a.slide ?? a.size;
  const last = `tw_window_start(${col}, ${slide}, ${a.offset ?? "INTERVAL '0 seconds'"})`;
  const count = `CAST(ceil(epoch(${a.size}) / epoch(${slide})) AS BIGINT)`;
  const start = `(${last} - to_microseconds(__tw_hop.__tw_k * epoch_us(TIMESTAMP '1970-01-01' + (${slide}))))`;
  return (
    `(SELECT ${W}.*, ${start} AS window_start, ${start} + (${a.size}) AS window_end ` +
    `FROM ${a.relation} AS ${W}, range(${count}) AS __tw_hop(__tw_k) ` +
    `WHERE ${col} < ${start} + (${a.size}))`
  );
}
