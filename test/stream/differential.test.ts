/**
 * Differential tests: random insert/delete streams over random epochs through small
 * dataflows; after every barrier each materialized view must equal a from-scratch batch
 * computation (plain TypeScript below) over all input so far — the integral of the output
 * deltas equals the query over the integral of the inputs.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { exactSum } from '../../src/stream/aggregates/exact-sum.ts';
import { chunk } from '../../src/stream/chunk.ts';
import { Dataflow } from '../../src/stream/graph.ts';
import { Aggregate } from '../../src/stream/operators/aggregate.ts';
import { Filter } from '../../src/stream/operators/filter.ts';
import { Join } from '../../src/stream/operators/join.ts';
import { Materialize } from '../../src/stream/operators/materialize.ts';
import { OverWindow } from '../../src/stream/operators/over-window.ts';
import { TopN } from '../../src/stream/operators/top-n.ts';
import { Tumble } from '../../src/stream/operators/tumble.ts';
import {
  compareKeys,
  compareRows,
  compareValues,
  type Row,
  rowKey,
  type Value,
} from '../../src/stream/value.ts';
import { int, pick, prng, RandomStream, sorted } from './helpers.ts';

const col =
  (i: number) =>
  (r: Row): Value =>
    r[i] as Value;

function groupRows<T>(rows: readonly Row[], key: (r: Row) => Row, f: (key: Row, rows: Row[]) => T): T[] {
  const groups = new Map<string, { key: Row; rows: Row[] }>();
  for (const r of rows) {
    const k = key(r);
    const ks = rowKey(k);
    let g = groups.get(ks);
    if (g === undefined) {
      g = { key: k, rows: [] };
      groups.set(ks, g);
    }
    g.rows.push(r);
  }
  return [...groups.values()].map((g) => f(g.key, g.rows));
}

function nonNull(vs: Value[]): Value[] {
  return vs.filter((v) => v !== null);
}

function percentileCont(f: number, vs: number[]): Value {
  if (vs.length === 0) return null;
  const s = [...vs].sort((a, b) => a - b);
  const p = f * (s.length - 1);
  const lo = Math.floor(p);
  const hi = Math.ceil(p);
  const a = s[lo] as number;
  return lo === hi ? a : a + ((s[hi] as number) - a) * (p - lo);
}

function percentileDisc(f: number, vs: number[]): Value {
  if (vs.length === 0) return null;
  const s = [...vs].sort((a, b) => a - b);
  return s[Math.max(1, Math.ceil(f * s.length)) - 1] as number;
}

function varSamp(vs: number[]): Value {
  const n = vs.length;
  if (n < 2) return null;
  let s1 = 0n;
  let s2 = 0n;
  for (const v of vs) {
    s1 += BigInt(v);
    s2 += BigInt(v) * BigInt(v);
  }
  return Number(BigInt(n) * s2 - s1 * s1) / (n * (n - 1));
}

const ACTIONS = ['login', 'logout', 'view', 'scroll', 'submit'];
const USERS = ['ann', 'bob', 'cy', 'dee', 'eve', 'fay'];
const W = 100; // window size

test('filter → tumble → aggregate → top-n equals the batch query after every epoch', () => {
  for (const seed of [1, 2, 3, 4, 5]) {
    const rand = prng(seed);
    // [ts, user, action, status, rt]
    const stream = new RandomStream(rand, () => [
      int(rand, 0, 450),
      pick(rand, USERS),
      pick(rand, ACTIONS),
      pick(rand, [200, 200, 200, 301, 404, 500]),
      rand() < 0.1 ? null : int(rand, 1, 60),
    ]);
    const g = new Dataflow();
    const src = g.source('logs', 5);
    const f = g.add(new Filter((r) => (r[3] as number) < 500), src);
    const t = g.add(new Tumble({ timeColumn: 0, size: W, width: 5 }), f);
    const rt = col(4);
    const agg = g.add(
      new Aggregate({
        groupBy: (r) => [r[2] as Value, r[5] as Value, r[6] as Value],
        calls: [
          { kind: 'count' },
          { kind: 'count', arg: rt },
          { kind: 'sum', arg: rt },
          { kind: 'avg', arg: rt },
          { kind: 'min', arg: rt },
          { kind: 'max', arg: rt },
          { kind: 'count', arg: col(1), distinct: true },
          { kind: 'percentile_cont', arg: rt, fraction: 0.5 },
          { kind: 'percentile_disc', arg: rt, fraction: 0.3 },
          { kind: 'var_samp', arg: rt },
          { kind: 'string_agg', arg: col(1), separator: ',', orderBy: [{ value: col(1) }] },
          { kind: 'bool_or', arg: (r) => (r[3] as number) >= 400 },
          { kind: 'count', filter: (r) => r[2] === 'login' },
        ],
      }),
      t,
    );
    const aggView = g.add(new Materialize('agg'), agg);
    const top = g.add(
      new TopN({
        partitionBy: (r) => [r[1] as Value, r[2] as Value],
        orderBy: [{ value: col(3), desc: true }],
        limit: 2,
        withRank: true,
      }),
      agg,
    );
    const topView = g.add(new Materialize('top'), top);
    const ranked = g.add(
      new TopN({
        partitionBy: (r) => [r[1] as Value],
        orderBy: [{ value: col(7) }],
        limit: 2,
        rank: 'rank',
      }),
      agg,
    );
    const rankView = g.add(new Materialize('rank'), ranked);

    for (let epoch = 0; epoch < 40; epoch++) {
      const { rows, weights } = stream.epoch(25);
      // push in a few chunks
      for (let i = 0; i < rows.length; i += 7)
        g.push(src, chunk(rows.slice(i, i + 7), weights.slice(i, i + 7)));
      g.barrier();

      const input = stream.live.filter((r) => (r[3] as number) < 500);
      const windowed = input.map((r) => {
        const s = Math.floor((r[0] as number) / W) * W;
        return [...r, s, s + W];
      });
      const expectAgg = groupRows(
        windowed,
        (r) => [r[2] as Value, r[5] as Value, r[6] as Value],
        (key, rs) => {
          const vs = nonNull(rs.map(rt)) as number[];
          return [
            ...key,
            rs.length,
            vs.length,
            vs.length ? exactSum(vs) : null,
            vs.length ? exactSum(vs) / vs.length : null,
            vs.length ? Math.min(...vs) : null,
            vs.length ? Math.max(...vs) : null,
            new Set(rs.map((r) => r[1])).size,
            percentileCont(0.5, vs),
            percentileDisc(0.3, vs),
            varSamp(vs),
            rs
              .map((r) => r[1] as string)
              .sort()
              .join(','),
            rs.some((r) => (r[3] as number) >= 400),
            rs.filter((r) => r[2] === 'login').length,
          ] as Row;
        },
      );
      assert.deepEqual(aggView.rows(), sorted(expectAgg), `seed ${seed} epoch ${epoch}: aggregate`);
      assert.equal(aggView.anomalies, 0);

      const expectTop = groupRows(
        expectAgg,
        (r) => [r[1] as Value, r[2] as Value],
        (_k, rs) =>
          rs
            .sort(
              (a, b) => compareKeys([a[3] as Value], [b[3] as Value], [{ desc: true }]) || compareRows(a, b),
            )
            .slice(0, 2)
            .map((r, i) => [...r, i + 1]),
      ).flat();
      assert.deepEqual(topView.rows(), sorted(expectTop), `seed ${seed} epoch ${epoch}: top-n`);

      const expectRank = groupRows(
        expectAgg,
        (r) => [r[1] as Value],
        (_k, rs) =>
          rs.filter((r) => 1 + rs.filter((o) => compareValues(o[7] as Value, r[7] as Value) < 0).length <= 2),
      ).flat();
      assert.deepEqual(rankView.rows(), sorted(expectRank), `seed ${seed} epoch ${epoch}: rank`);
    }
  }
});

test('aggregate → over-window (cumulative counts per window) equals the batch query', () => {
  for (const seed of [11, 12, 13, 14]) {
    const rand = prng(seed);
    // [ts, status, rt]
    const stream = new RandomStream(rand, () => [
      int(rand, 0, 350),
      pick(rand, [200, 201, 301, 404, 500, null]),
      int(rand, 1, 9),
    ]);
    const g = new Dataflow();
    const src = g.source('logs', 3);
    const t = g.add(new Tumble({ timeColumn: 0, size: W, width: 3 }), src);
    // [status, ws, we, count(status), avg(rt)]
    const agg = g.add(
      new Aggregate({
        groupBy: (r) => [r[1] as Value, r[3] as Value, r[4] as Value],
        calls: [
          { kind: 'count', arg: col(1) },
          { kind: 'avg', arg: col(2) },
        ],
      }),
      t,
    );
    const win = g.add(
      new OverWindow({
        partitionBy: (r) => [r[1] as Value, r[2] as Value],
        orderBy: [{ value: col(0) }],
        calls: [
          { kind: 'sum', arg: col(3) },
          { kind: 'row_number' },
          { kind: 'rank' },
          { kind: 'lag', arg: col(3), default: 0 },
          { kind: 'max', arg: col(4) },
        ],
      }),
      agg,
    );
    const totals = g.add(
      new OverWindow({
        partitionBy: (r) => [r[1] as Value, r[2] as Value],
        calls: [{ kind: 'sum', arg: col(3) }],
      }),
      agg,
    );
    const view = g.add(new Materialize('cumulative'), win);
    const totalView = g.add(new Materialize('totals'), totals);

    for (let epoch = 0; epoch < 40; epoch++) {
      const { rows, weights } = stream.epoch(20);
      g.push(src, chunk(rows, weights));
      g.barrier();

      const windowed = stream.live.map((r) => {
        const s = Math.floor((r[0] as number) / W) * W;
        return [...r, s, s + W];
      });
      const aggRows = groupRows(
        windowed,
        (r) => [r[1] as Value, r[3] as Value, r[4] as Value],
        (key, rs) => {
          const statuses = rs.filter((r) => r[1] !== null);
          return [...key, statuses.length, exactSum(rs.map((r) => r[2] as number)) / rs.length] as Row;
        },
      );
      const expected: Row[] = [];
      const expectedTotals: Row[] = [];
      groupRows(
        aggRows,
        (r) => [r[1] as Value, r[2] as Value],
        (_k, rs) => {
          rs.sort((a, b) => compareValues(a[0] as Value, b[0] as Value) || compareRows(a, b));
          const total = rs.reduce((s, r) => s + (r[3] as number), 0);
          rs.forEach((r, i) => {
            const upTo = rs.filter((o) => compareValues(o[0] as Value, r[0] as Value) <= 0);
            const rank = 1 + rs.filter((o) => compareValues(o[0] as Value, r[0] as Value) < 0).length;
            expected.push([
              ...r,
              upTo.reduce((s, o) => s + (o[3] as number), 0),
              i + 1,
              rank,
              i > 0 ? ((rs[i - 1] as Row)[3] as number) : 0,
              Math.max(...upTo.map((o) => o[4] as number)),
            ]);
            expectedTotals.push([...r, total]);
          });
        },
      );
      assert.deepEqual(view.rows(), sorted(expected), `seed ${seed} epoch ${epoch}: over-window`);
      assert.deepEqual(totalView.rows(), sorted(expectedTotals), `seed ${seed} epoch ${epoch}: totals`);
    }
  }
});

test('inner, left and full joins with a residual equal the batch join after every epoch', () => {
  for (const seed of [21, 22, 23]) {
    const rand = prng(seed);
    const keys = [1, 2, 3, 4, null];
    const left = new RandomStream(rand, () => [pick(rand, keys), int(rand, 0, 9)]);
    const right = new RandomStream(rand, () => [pick(rand, keys), int(rand, 0, 9)]);
    const residual = (r: Row): boolean | null => (r[1] as number) <= (r[3] as number) + 3;
    const g = new Dataflow();
    const l = g.source('l', 2);
    const r = g.source('r', 2);
    const views = (['inner', 'left', 'full'] as const).map((type) => {
      const j = g.add(
        new Join({
          type,
          leftKey: (x) => [x[0] as Value],
          rightKey: (x) => [x[0] as Value],
          leftWidth: 2,
          rightWidth: 2,
          residual,
        }),
        l,
        r,
      );
      return { type, view: g.add(new Materialize(type), j) };
    });
    for (let epoch = 0; epoch < 40; epoch++) {
      const dl = left.epoch(8);
      const dr = right.epoch(8);
      if (rand() < 0.5) {
        g.push(l, chunk(dl.rows, dl.weights));
        g.push(r, chunk(dr.rows, dr.weights));
      } else {
        g.push(r, chunk(dr.rows, dr.weights));
        g.push(l, chunk(dl.rows, dl.weights));
      }
      g.barrier();
      const pairs: Row[] = [];
      const matchedLeft = new Set<number>();
      const matchedRight = new Set<number>();
      left.live.forEach((a, i) => {
        right.live.forEach((b, j) => {
          const joined = [...a, ...b];
          if (a[0] !== null && a[0] === b[0] && residual(joined) === true) {
            pairs.push(joined);
            matchedLeft.add(i);
            matchedRight.add(j);
          }
        });
      });
      const leftPad = left.live.filter((_, i) => !matchedLeft.has(i)).map((a) => [...a, null, null]);
      const rightPad = right.live.filter((_, j) => !matchedRight.has(j)).map((b) => [null, null, ...b]);
      const expected = {
        inner: pairs,
        left: [...pairs, ...leftPad],
        full: [...pairs, ...leftPad, ...rightPad],
      };
      for (const { type, view } of views) {
        assert.deepEqual(view.rows(), sorted(expected[type]), `seed ${seed} epoch ${epoch}: ${type} join`);
      }
    }
  }
});
