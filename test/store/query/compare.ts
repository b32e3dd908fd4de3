/**
 * One query, run by an ad-hoc session and by PostgreSQL, must give the same column names,
 * the same column types (as PostgreSQL type OIDs) and the same rows, compared as PostgreSQL's
 * text output (numerics exactly, floats to 10 significant digits, see test/engine/pg-oracle.ts); in the same
 * order when the query's ORDER BY decides it.
 */
import assert from 'node:assert/strict';
import type pg from 'pg';
import type { AdHocSession } from '../../../src/store/query/ad-hoc-session.ts';
import { pgTypeOf } from '../../../src/store/query/pg-types.ts';
import { assertSameRows } from '../../engine/oracle.ts';
import { engineRows, forPostgres, postgresRows, queryPostgres, snapNumbers } from '../../engine/pg-oracle.ts';

export interface Case {
  readonly sql: string;
  /** The query PostgreSQL runs, when it must differ (TUMBLE/HOP are rewritten anyway). */
  readonly pg?: string;
  /** The rows must come in the same order. */
  readonly ordered?: boolean;
}

export async function compareWithPostgres(session: AdHocSession, client: pg.Client, c: Case): Promise<void> {
  const ours = await session.query(c.sql);
  const theirs = await queryPostgres(client, c.pg ?? forPostgres(c.sql));
  const what = c.sql.replace(/\s+/g, ' ').slice(0, 160);
  assert.deepEqual(
    ours.columns.map((col) => col.name),
    theirs.names,
    `column names of ${what}`,
  );
  assert.deepEqual(
    ours.columns.map((col) => pgTypeOf(col.type).oid),
    theirs.typeOids,
    `column types of ${what}: ${ours.columns.map((col) => col.type.name).join(', ')}`,
  );
  const actual = engineRows(ours.rows, ours.columns);
  const expected = postgresRows(theirs, ours.columns);
  const snapped = snapNumbers(actual, expected, ours.columns);
  assertSameRows(snapped, expected, what);
  if (c.ordered === true) {
    const norm = (v: unknown) => (typeof v === 'number' ? Number(v.toPrecision(10)) : v);
    assert.deepEqual(
      snapped.map((r) => r.map(norm)),
      expected.map((r) => r.map(norm)),
      `row order of ${what}`,
    );
  }
}
