// Ad-hoc queries over a view of 100,000 rows with a numeric column (avg-like values, 12 to
// 20 decimals, stored as exact text) and a double precision column of the same values: what
// the exact numeric path costs against DuckDB's native doubles in the same run. Each query
// is timed through an ad-hoc session (translation cached, DuckDB run, values converted to
// tidewatch's representation) and with the rows' text formatting for the wire.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { divNumeric, numeric } from '../src/sql/numeric.ts';
import { T } from '../src/sql/types.ts';
import { formatValue } from '../src/sql/value-text.ts';
import { AdHocSession } from '../src/store/query/ad-hoc-session.ts';
import { SharedCatalog } from '../src/store/query/catalog-tables.ts';
import { ViewStore } from '../src/store/view-store.ts';
import type { Row } from '../src/stream/value.ts';
import { report } from './measure.ts';

const ROWS = 100_000;
const dir = mkdtempSync(join(tmpdir(), 'tw-numeric-bench-'));
const store = await ViewStore.open(join(dir, 'tidewatch.duckdb'));
const columns = [
  { name: 'k', type: T.int4 },
  { name: 'n', type: T.numeric },
  { name: 'f', type: T.float8 },
];
await store.defineView('v', columns);
const rows: Row[] = [];
for (let k = 0; k < ROWS; k++) {
  // an avg of integer response times: sum / count at PostgreSQL's division scale
  const mean = divNumeric(numeric(BigInt(100 + ((k * 7919) % 90000)), 0), numeric(BigInt(1 + (k % 97)), 0));
  rows.push([k, mean, Number(`${mean.coef}e-${mean.scale}`)]);
}
await store.commit(1, new Map([['v', { rows, weights: rows.map(() => 1) }]]));
const session = await AdHocSession.open(await store.connectReader(), new SharedCatalog(), () => [
  { name: 'v', kind: 'materialized view', columns, unique: true },
]);

/** Best of 5 after a warm-up: ms for the query, and for the query with every value formatted. */
async function time(sql: string): Promise<[number, number]> {
  let query = Number.POSITIVE_INFINITY;
  let formatted = Number.POSITIVE_INFINITY;
  for (let i = 0; i < 6; i++) {
    const t0 = performance.now();
    const out = await session.query(sql);
    const t1 = performance.now();
    for (const r of out.rows)
      for (let c = 0; c < r.length; c++) formatValue(r[c] ?? null, out.columns[c]?.type ?? T.text);
    const t2 = performance.now();
    if (i > 0) {
      query = Math.min(query, t1 - t0);
      formatted = Math.min(formatted, t2 - t0);
    }
  }
  return [query, formatted];
}

const pairs: [string, string, string][] = [
  ['SELECT k, <c> FROM v', 'SELECT k, n FROM v', 'SELECT k, f FROM v'],
  [
    'SELECT sum(<c>), avg(<c>), max(<c>) FROM v',
    'SELECT sum(n), avg(n), max(n) FROM v',
    'SELECT sum(f), avg(f), max(f) FROM v',
  ],
  [
    'SELECT k FROM v ORDER BY <c> DESC LIMIT 10',
    'SELECT k FROM v ORDER BY n DESC LIMIT 10',
    'SELECT k FROM v ORDER BY f DESC LIMIT 10',
  ],
  [
    'SELECT count(*) FROM v WHERE <c> > 500',
    'SELECT count(*) FROM v WHERE n > 500',
    'SELECT count(*) FROM v WHERE f > 500',
  ],
  ['SELECT k, <c> * 2 FROM v', 'SELECT k, n * 2 FROM v', 'SELECT k, f * 2 FROM v'],
];
console.log(
  `ad-hoc queries over a view of ${ROWS.toLocaleString('en-US')} rows: numeric (exact text) against double precision`,
);
const out: [string, string][] = [];
for (const [label, n, f] of pairs) {
  const [nq, nf] = await time(n);
  const [fq, ff] = await time(f);
  out.push([
    label,
    `numeric ${nq.toFixed(0)} ms (${nf.toFixed(0)} ms formatted), double ${fq.toFixed(0)} ms (${ff.toFixed(0)} ms formatted)`,
  ]);
}
report(out);
session.close();
await store.close();
rmSync(dir, { recursive: true, force: true });
