// What the ad-hoc path's limits cost, each against a same-run baseline on one DuckDB connection
// set up as a session's is: `||` checked against the built-value limit (tw_checked_length, as the
// rewrite writes it) against the bare operator, over 1,000,000 rows; generate_series in a select
// list as the checked list (tw_series) against DuckDB's own; and a result gathered a chunk at a
// time from a streamed query (as AdHocSession reads it, counting its rows' bytes) against a
// materialized one read whole.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DuckDBConnection, DuckDBType } from '@duckdb/node-api';
import type { SqlType } from '../src/sql/types.ts';
import { gatherRows } from '../src/store/query/ad-hoc-session.ts';
import { CatalogTables, SharedCatalog } from '../src/store/query/catalog-tables.ts';
import { fromDuckValue, sqlTypeOfDuck } from '../src/store/query/duck-values.ts';
import { prepareConnection } from '../src/store/query/session-setup.ts';
import { ViewStore } from '../src/store/view-store.ts';
import { report } from './measure.ts';

const ROWS = 1_000_000;
const RESULT_ROWS = 200_000;
const dir = mkdtempSync(join(tmpdir(), 'tw-adhoc-limits-bench-'));
const store = await ViewStore.open(join(dir, 'tidewatch.duckdb'), { queryMemoryBytes: 256 * 2 ** 20 });
const conn: DuckDBConnection = await store.connectReader();
const shared = new SharedCatalog();
await new CatalogTables(conn, shared).create();
await prepareConnection(conn, 1, shared.database);
await conn.run(`CREATE TEMP TABLE t AS SELECT i AS k, 'user-' || i AS s FROM range(${ROWS}) r(i)`);

/** Best of 5 after a warm-up, in ms. */
async function best(work: () => Promise<unknown>): Promise<number> {
  await work();
  let ms = Number.POSITIVE_INFINITY;
  for (let i = 0; i < 5; i++) {
    const t0 = performance.now();
    await work();
    ms = Math.min(ms, performance.now() - t0);
  }
  return ms;
}

const sql = (q: string) => () => conn.run(q);
const pairs: [string, string, string][] = [
  [
    `|| over ${ROWS.toLocaleString('en-US')} rows`,
    "SELECT sum(length(tw_checked_length(tw_checked_length(s || '-') || 'x'))) FROM t",
    "SELECT sum(length(s || '-' || 'x')) FROM t",
  ],
  [
    `generate_series of ${ROWS.toLocaleString('en-US')} in a select list`,
    `SELECT count(*) FROM (SELECT unnest(tw_series(1, ${ROWS})) AS i) q`,
    `SELECT count(*) FROM (SELECT unnest(generate_series(1, ${ROWS})) AS i) q`,
  ],
];
const out: [string, string][] = [];
for (const [label, checked, bare] of pairs) {
  const c = await best(sql(checked));
  const b = await best(sql(bare));
  out.push([label, `checked ${c.toFixed(0)} ms, bare ${b.toFixed(0)} ms (${(c / b).toFixed(2)}×)`]);
}

const resultSql = `SELECT k, s FROM t LIMIT ${RESULT_ROWS}`;
const streamed = await best(async () => {
  const result = await conn.stream(resultSql);
  const types = result.columnTypes();
  const columns = result
    .columnNames()
    .map((name, i) => ({ name, type: sqlTypeOfDuck(types[i] as DuckDBType) }));
  return gatherRows(result, types, columns);
});
const materialized = await best(async () => {
  const result = await conn.run(resultSql);
  const types = result.columnTypes();
  const sqlTypes = types.map(sqlTypeOfDuck);
  return (await result.getRows()).map((raw) =>
    raw.map((v, i) => fromDuckValue(v, types[i] as DuckDBType, sqlTypes[i] as SqlType)),
  );
});
out.push([
  `a result of ${RESULT_ROWS.toLocaleString('en-US')} rows`,
  `streamed and counted ${streamed.toFixed(0)} ms, materialized ${materialized.toFixed(0)} ms (${(streamed / materialized).toFixed(2)}×)`,
]);
console.log('ad-hoc limits against the same work without them');
report(out);
conn.closeSync();
await store.close();
rmSync(dir, { recursive: true, force: true });
