/** The optimizer's rules: which Filters they rewrite, and the trace EXPLAIN (TRACE) prints. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { bindQuery } from '../../src/sql/binder.ts';
import { MemoryCatalog } from '../../src/sql/catalog.ts';
import { explainPlan } from '../../src/sql/explain.ts';
import { optimize } from '../../src/sql/optimizer/optimize.ts';
import { parseStatement } from '../../src/sql/parse.ts';
import { T } from '../../src/sql/types.ts';

const catalog = new MemoryCatalog([
  {
    name: 'a',
    kind: 'table',
    columns: [
      { name: 'id', type: T.int4 },
      { name: 'k', type: T.varchar },
      { name: 'v', type: T.int4 },
    ],
  },
  { name: 'b', kind: 'table', columns: [{ name: 'id', type: T.int4 }] },
]);

function bound(sql: string) {
  const s = parseStatement(sql);
  assert.equal(s.kind, 'Select');
  return bindQuery(s.query, catalog);
}

const RANKED = '(SELECT id, k, v, row_number() OVER (PARTITION BY k ORDER BY v) AS rn FROM a)';

test("the rules rewrite a WHERE clause's Filter, not a join condition's", () => {
  const where = explainPlan(bound(`SELECT r.k FROM ${RANKED} r WHERE r.rn <= 2`).plan);
  assert.match(where, /TopN limit=2/);
  // The same condition in ON filters the join's side, as the binder always made it.
  const on = explainPlan(bound(`SELECT r.k FROM ${RANKED} r JOIN b ON r.id = b.id AND r.rn <= 2`).plan);
  assert.doesNotMatch(on, /TopN/);
  assert.match(on, /Filter \(rn <= 2\)/);
});

test('each rule runs over the whole plan once, in order; one that rewrites nothing leaves the plan as it was', () => {
  const q = bound(`SELECT r.k FROM ${RANKED} r, b WHERE r.id = b.id`);
  const [topN, equiJoin, temporal] = q.trace.steps;
  assert.deepEqual(
    q.trace.steps.map((s) => s.rule),
    ['rank filter to TopN', 'cross join to equi-join', 'filter into temporal join'],
  );
  assert.equal(topN?.plan, q.trace.bound, 'no rank filter: the same plan');
  assert.notEqual(equiJoin?.plan, topN?.plan);
  assert.equal(temporal?.plan, equiJoin?.plan, 'no temporal join: the same plan');
  assert.equal(q.plan, equiJoin?.plan);
  // Without the WHERE filters named, the rules rewrite nothing.
  assert.equal(optimize(q.trace.bound, new Set()).plan, q.trace.bound);
});

const THRESHOLD = (alias: string, id: number) =>
  `JOIN b FOR SYSTEM_TIME AS OF PROCTIME() AS ${alias} ON ${alias}.id = ${id}`;

test("a WHERE over an inner temporal join is the join's condition, one over its left side that side's, and one reading the clock stays", () => {
  const one = explainPlan(bound(`SELECT a.k FROM a ${THRESHOLD('t', 1)} WHERE a.v >= t.id`).plan);
  assert.match(one, /TemporalJoin inner on \[\] residual=\(v >= id\)/);
  assert.doesNotMatch(one, /Filter \(v >= id\)/);
  const chained = explainPlan(
    bound(`SELECT a.k FROM a ${THRESHOLD('t', 1)} ${THRESHOLD('u', 2)} WHERE a.v >= t.id AND a.v < u.id`)
      .plan,
  );
  assert.match(
    chained,
    /TemporalJoin inner on \[\] residual=\(v < id\)\n\s+TemporalJoin inner on \[\] residual=\(v >= id\)/,
  );
  const clock = explainPlan(
    bound(`SELECT a.k FROM a ${THRESHOLD('t', 1)} WHERE a.v >= t.id AND now() > now()`).plan,
  );
  assert.match(clock, /Filter \(now\(\) > now\(\)\)\n\s+TemporalJoin inner on \[\] residual=\(v >= id\)/);
  const left = explainPlan(bound(`SELECT a.k FROM a LEFT ${THRESHOLD('t', 1)} WHERE a.v >= t.id`).plan);
  assert.match(left, /Filter \(v >= id\)\n\s+TemporalJoin left on \[\]\n/);
});
