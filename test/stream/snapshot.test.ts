/**
 * Checkpoints: a dataflow snapshot taken right after a barrier, written with `v8.serialize`
 * and restored into a dataflow rebuilt by the same constructor calls, carries on exactly as
 * the original. Each scenario runs dataflow A without interruption and dataflow B with
 * "crashes" (B is replaced by a fresh build restored from B's serialized snapshot) on the
 * same random inserts, retractions and watermarks; after every barrier each view of B must
 * equal A's (rows and last delta), and so must every operator's counters and state.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import v8 from 'node:v8';
import {
  type AggregateCall,
  createAccumulator,
  valueMultiset,
} from '../../src/stream/aggregates/accumulator.ts';
import { type Chunk, chunk } from '../../src/stream/chunk.ts';
import { Dataflow, type StateRecord } from '../../src/stream/graph.ts';
import type { Operator } from '../../src/stream/operator.ts';
import { Aggregate } from '../../src/stream/operators/aggregate.ts';
import { EmitOnWindowClose } from '../../src/stream/operators/emit-on-window-close.ts';
import { Expire } from '../../src/stream/operators/expire.ts';
import { Filter } from '../../src/stream/operators/filter.ts';
import { Join, type JoinType } from '../../src/stream/operators/join.ts';
import { Materialize } from '../../src/stream/operators/materialize.ts';
import { OverWindow } from '../../src/stream/operators/over-window.ts';
import { Project } from '../../src/stream/operators/project.ts';
import { TopN } from '../../src/stream/operators/top-n.ts';
import { Tumble } from '../../src/stream/operators/tumble.ts';
import { Union } from '../../src/stream/operators/union.ts';
import type { Row, Value } from '../../src/stream/value.ts';
import { int, Probe, pick, prng, RandomStream } from './helpers.ts';
import { buildReferenceViews, ReferenceTraffic } from './reference-dataflow.ts';

const col =
  (i: number) =>
  (r: Row): Value =>
    r[i] as Value;

const W = 100; // window size
const LAG = 60; // how far event time lags behind "now"

function sqlError(message: string, sqlstate: string): Error {
  return Object.assign(new Error(message), { sqlstate });
}

// --- the harness ----------------------------------------------------------------------

type Step =
  | { readonly kind: 'push'; readonly source: string; readonly rows: Row[]; readonly weights: number[] }
  | { readonly kind: 'watermark'; readonly source: string; readonly column: number; readonly value: Value };

interface Epoch {
  readonly steps: Step[];
  /** Processing time of the barrier. */
  readonly time: number;
}

function play(g: Dataflow, e: Epoch): void {
  for (const s of e.steps) {
    if (s.kind === 'push') g.push(s.source, chunk(s.rows, s.weights));
    else g.watermark(s.source, s.column, s.value);
  }
  g.barrier(e.time);
}

function views(g: Dataflow): Materialize[] {
  return g.operators.filter((op): op is Materialize => op instanceof Materialize);
}

/** A crash and restart: a fresh build restored from `from`'s snapshot, through v8.serialize. */
function restart(build: () => Dataflow, from: Dataflow): Dataflow {
  const saved = v8.serialize(from.snapshot());
  const g = build();
  g.restore(v8.deserialize(saved));
  return g;
}

function assertSame(a: Dataflow, b: Dataflow, what: string): void {
  assert.equal(b.epoch, a.epoch, `${what}: epoch`);
  const va = views(a);
  const vb = views(b);
  assert.equal(vb.length, va.length);
  for (const [i, v] of va.entries()) {
    const w = vb[i] as Materialize;
    assert.deepStrictEqual(w.rows(), v.rows(), `${what}: view ${v.name}`);
    assert.deepStrictEqual(w.lastDelta, v.lastDelta, `${what}: last delta of ${v.name}`);
    assert.equal(w.anomalies, v.anomalies, `${what}: anomalies of ${v.name}`);
  }
  assert.deepStrictEqual(
    b.operators.map((op) => [op.name, op.statsSnapshot()]),
    a.operators.map((op) => [op.name, op.statsSnapshot()]),
    `${what}: operator counters`,
  );
  assert.deepStrictEqual(
    b.operators.map((op) => op.stateSize),
    a.operators.map((op) => op.stateSize),
    `${what}: state sizes`,
  );
  assert.deepStrictEqual(b.snapshot(), a.snapshot(), `${what}: operator state`);
}

/**
 * Runs `epochs` through A (never stopped) and B (restarted from its own snapshot after each
 * epoch index in `crashes`), comparing them after every barrier. Returns A.
 */
function runWithCrashes(what: string, build: () => Dataflow, epochs: readonly Epoch[], crashes: number[]) {
  const a = build();
  let b = build();
  for (const [i, e] of epochs.entries()) {
    play(a, e);
    play(b, e);
    if (crashes.includes(i)) b = restart(build, b);
    assertSame(a, b, `${what}, epoch ${i + 1}${crashes.includes(i) ? ' (just restored)' : ''}`);
  }
  return a;
}

/**
 * As `runWithCrashes`, but B checkpoints incrementally, as `tidewatch start` does: after every
 * epoch the states that changed, whole the first time (and after each restart), else as deltas
 * — an aggregate's changed groups as what their accumulators recorded. Each crash rebuilds B
 * from the last whole state of every operator and the deltas after it, through v8.serialize.
 */
function runWithIncrementalCrashes(
  what: string,
  build: () => Dataflow,
  epochs: readonly Epoch[],
  crashes: number[],
) {
  const a = build();
  const tracked = () => {
    const g = build();
    g.trackStateChanges();
    return g;
  };
  let b = tracked();
  let whole = true;
  let snapshot: unknown;
  const kept = new Map<number, StateRecord[]>();
  let deltas = 0;
  for (const [i, e] of epochs.entries()) {
    play(a, e);
    play(b, e);
    const saved = v8.deserialize(v8.serialize(b.changes(() => whole))) as ReturnType<Dataflow['changes']>;
    whole = false;
    snapshot = saved.snapshot;
    for (const r of saved.records) {
      if (r.kind === 'full') kept.set(r.operator, [r]);
      else {
        kept.get(r.operator)?.push(r);
        deltas++;
      }
    }
    if (crashes.includes(i)) {
      b = tracked();
      b.restore(snapshot, kept);
      whole = true;
    }
    assertSame(a, b, `${what}, epoch ${i + 1}${crashes.includes(i) ? ' (just restored from deltas)' : ''}`);
  }
  assert.ok(deltas > 0, `${what}: deltas were written`);
  return a;
}

/** Epochs of one source with event time: rows at most LAG behind `now`, then a watermark `now − LAG`. */
function timedEpochs(
  rand: () => number,
  source: string,
  make: (ts: number) => Row,
  n: number,
  options: { step?: number; maxChanges?: number; watermarks?: boolean } = {},
): Epoch[] {
  let now = 0;
  const stream = new RandomStream(rand, () => make(int(rand, Math.max(0, now - LAG), now)));
  const out: Epoch[] = [];
  for (let e = 0; e < n; e++) {
    now += options.step ?? 37;
    const { rows, weights } = stream.epoch(options.maxChanges ?? 30);
    const steps: Step[] = [];
    for (let i = 0; i < rows.length; i += 9)
      steps.push({ kind: 'push', source, rows: rows.slice(i, i + 9), weights: weights.slice(i, i + 9) });
    if (options.watermarks !== false) {
      // Sometimes the watermark does not advance (an idle source): it must not be forwarded twice.
      const wm = rand() < 0.2 ? Math.max(0, now - 37 - LAG) : now - LAG;
      steps.push({ kind: 'watermark', source, column: 0, value: wm });
      stream.forget((r) => (r[0] as number) < wm);
    }
    out.push({ steps, time: 1_000_000 + e * 1000 });
  }
  return out;
}

// --- scenarios --------------------------------------------------------------------------

const USERS = ['ann', 'bob', 'cy', 'dee'];
const ACTIONS = ['login', 'logout', 'view', 'scroll', 'submit'];

/** [ts, user, action, status, rt, f, iv, tag] */
function logRow(rand: () => number, ts: number): Row {
  const f = rand();
  return [
    ts,
    pick(rand, USERS),
    pick(rand, ACTIONS),
    pick(rand, [200, 200, 200, 301, 404, 500]),
    rand() < 0.1 ? null : int(rand, 1, 60),
    f < 0.05
      ? null
      : f < 0.07
        ? Number.POSITIVE_INFINITY
        : f < 0.08
          ? Number.NaN
          : f < 0.3
            ? 1e16 + int(rand, 0, 9)
            : int(rand, -500, 500) / 7,
    rand() < 0.1
      ? null
      : { months: int(rand, 0, 1), days: int(rand, 0, 3), micros: int(rand, 0, 5) * 250_000 },
    Uint8Array.of(int(rand, 0, 3)),
  ];
}

/**
 * Every accumulator over tumbling windows closed by the watermark, with EMIT ON WINDOW CLOSE
 * and retention behind it, a global aggregate, and expressions that raise SQL errors.
 */
function buildAggregates(): Dataflow {
  const g = new Dataflow();
  const src = g.source('logs', 8);
  const f = g.add(
    new Filter((r) => {
      if (r[4] === 13) throw sqlError('bad row', '22023');
      return r[3] !== 404;
    }),
    src,
  );
  // [..8 columns, 100 / (rt − 7)]: rt = 7 raises division by zero and skips the row
  const p = g.add(
    new Project(
      (r) => {
        if (r[4] === 7) throw sqlError('division by zero', '22012');
        return [...r, r[4] === null ? null : 100 / ((r[4] as number) - 7)];
      },
      { watermarks: [[0, 0]] },
    ),
    f,
  );
  const t = g.add(new Tumble({ timeColumn: 0, size: W, width: 9 }), p); // ws 9, we 10
  const rt = col(4);
  const fl = col(5);
  const calls: AggregateCall[] = [
    { kind: 'count' },
    { kind: 'count', arg: rt },
    { kind: 'sum', arg: rt },
    { kind: 'avg', arg: rt },
    // min, max and the percentiles share one multiset of rt
    { kind: 'min', arg: rt },
    { kind: 'max', arg: rt },
    { kind: 'percentile_cont', arg: rt, fraction: 0.5 },
    { kind: 'percentile_disc', arg: rt, fraction: 0.25, desc: true },
    { kind: 'approx_percentile', arg: rt, fraction: 0.9 },
    { kind: 'min', arg: rt, filter: (r) => r[3] === 200 },
    { kind: 'sum', arg: fl },
    { kind: 'avg', arg: fl },
    { kind: 'var_samp', arg: fl },
    { kind: 'stddev_pop', arg: rt },
    { kind: 'var_pop', arg: col(8) },
    { kind: 'sum', arg: col(6) },
    { kind: 'count', arg: col(6), distinct: true },
    { kind: 'count', arg: col(7), distinct: true },
    { kind: 'sum', arg: rt, distinct: true },
    { kind: 'max', arg: col(2), distinct: true },
    { kind: 'string_agg', arg: col(2), separator: '|', orderBy: [{ value: col(0), desc: true }] },
    { kind: 'string_agg', arg: col(2), separator: ',' },
    { kind: 'array_agg', arg: rt },
    { kind: 'array_agg', arg: col(7), orderBy: [{ value: col(7) }] },
    { kind: 'jsonb_agg', arg: rt, orderBy: [{ value: col(0) }] },
    { kind: 'jsonb_object_agg', arg: (r) => [String(r[2]), r[4] as Value], orderBy: [{ value: col(0) }] },
    { kind: 'bool_and', arg: (r) => r[3] === 200 },
    { kind: 'bool_or', arg: (r) => (r[4] === null ? null : (r[4] as number) > 50) },
    { kind: 'count', filter: (r) => r[2] === 'login' },
  ];
  const agg = g.add(
    new Aggregate({
      groupBy: (r, k) => {
        k[0] = r[1] as Value;
        k[1] = r[9] as Value;
        k[2] = r[10] as Value;
        return k;
      },
      calls,
      watermarks: [
        [9, 1],
        [10, 2],
      ],
    }),
    t,
  );
  g.add(new Materialize('user_metrics'), agg);
  g.add(new Materialize('user_metrics_eowc'), g.add(new EmitOnWindowClose(1), agg));
  g.add(
    new Materialize('user_metrics_retained'),
    g.add(new Expire({ column: 1, offset: 2 * W, clock: 'watermark' }), agg),
  );
  const total = g.add(
    new Aggregate({
      calls: [
        { kind: 'count' },
        { kind: 'sum', arg: rt },
        { kind: 'max', arg: col(0) },
        { kind: 'string_agg', arg: col(1), distinct: true, separator: ' ', orderBy: [{ value: col(1) }] },
      ],
      name: 'totals',
    }),
    f,
  );
  g.add(new Materialize('totals'), total);
  return g;
}

test('aggregates (every accumulator, shared multisets, DISTINCT, ordered string_agg) survive restarts, with windows closing', () => {
  for (const seed of [1, 2, 3]) {
    const rand = prng(seed);
    const epochs = timedEpochs(rand, 'logs', (ts) => logRow(rand, ts), 32);
    const a = runWithCrashes(`aggregates seed ${seed}`, buildAggregates, epochs, [0, 4, 11, 19, 26]);
    // The scenario did what it is meant to: windows closed, errors counted, EOWC released rows.
    const agg = a.operators.find((op) => op instanceof Aggregate && op.name === 'aggregate') as Aggregate;
    const [metrics, eowc, retained] = views(a);
    assert.ok(agg.groups < (metrics as Materialize).size, 'closed windows dropped their groups');
    assert.ok((eowc as Materialize).size > 0, 'windows were emitted on close');
    assert.ok((retained as Materialize).size < (metrics as Materialize).size, 'retention expired rows');
    assert.ok(a.operators.filter((op) => op.stats.errors > 0).length >= 2, 'SQL errors were counted');
  }
});

test('aggregates restored from whole states and deltas (accumulators recording their changes) go on as the original', () => {
  for (const seed of [4, 5, 6]) {
    const rand = prng(seed);
    const epochs = timedEpochs(rand, 'logs', (ts) => logRow(rand, ts), 32);
    runWithIncrementalCrashes(`aggregates seed ${seed}`, buildAggregates, epochs, [3, 9, 10, 17, 25]);
  }
});

test('over an insert-only input, DISTINCT and min/max deltas carry only what is new, and restore exactly', () => {
  const build = () => {
    const g = new Dataflow();
    const src = g.source('logs', 8);
    const t = g.add(new Tumble({ timeColumn: 0, size: W, width: 8 }), src); // ws 8, we 9
    const calls: AggregateCall[] = [
      { kind: 'count' },
      { kind: 'count', arg: col(1), distinct: true, insertOnly: true },
      { kind: 'count', arg: col(6), distinct: true, insertOnly: true },
      { kind: 'string_agg', arg: col(2), separator: ',', distinct: true, insertOnly: true },
      { kind: 'min', arg: col(4), insertOnly: true },
      { kind: 'max', arg: col(2), insertOnly: true },
    ];
    const byWindowAndStatus = (r: Row): Value[] => [r[8] as Value, r[9] as Value, r[3] as Value];
    g.add(
      new Materialize('per_status'),
      g.add(new Aggregate({ groupBy: byWindowAndStatus, calls, watermarks: [[8, 0]] }), t),
    );
    return g;
  };
  for (const seed of [7, 8]) {
    const rand = prng(seed);
    let now = 0;
    const epochs: Epoch[] = [];
    for (let e = 0; e < 30; e++) {
      now += 37;
      const rows: Row[] = [];
      for (let k = int(rand, 0, 25); k > 0; k--)
        rows.push(logRow(rand, int(rand, Math.max(0, now - LAG), now)));
      epochs.push({
        steps: [
          { kind: 'push', source: 'logs', rows, weights: rows.map(() => 1) },
          { kind: 'watermark', source: 'logs', column: 0, value: now - LAG },
        ],
        time: 1_000_000 + e * 1000,
      });
    }
    runWithIncrementalCrashes(`insert-only seed ${seed}`, build, epochs, [2, 8, 9, 20]);
  }
  // A group that sees only values it has seen writes nothing of its DISTINCT and max calls.
  const g = build();
  g.trackStateChanges();
  const row = (ts: number): Row => [ts, 'ann', 'view', 200, 5, 0.5, null, 'x'];
  g.push('logs', chunk([row(1), row(2)]));
  g.barrier(1);
  g.changes(() => true);
  g.push('logs', chunk([row(3), row(4)]));
  g.barrier(2);
  const agg = g.operators.findIndex((op) => op instanceof Aggregate);
  const delta = g.changes(() => false).records.find((r) => r.operator === agg)?.state as {
    changed: { accs: (unknown[] | null)[] };
  };
  const [count, users, nulls, actions, min, max] = delta.changed.accs.map((a) => a?.[0]);
  assert.equal(count, 4);
  assert.deepEqual(
    [users, nulls, actions],
    [
      [new Map(), null, 1],
      [new Map(), null, 0],
      [new Map(), null, [['view'], [1]]],
    ],
  );
  assert.deepEqual([min, max], [undefined, undefined]);
});

/** Top-N with ties (rank, dense_rank, row_number with offset) and window functions. */
function buildRanking(): Dataflow {
  const g = new Dataflow();
  const src = g.source('s', 4); // [ts, user, score, x]
  const t = g.add(new Tumble({ timeColumn: 0, size: W, width: 4 }), src); // ws 4, we 5
  const score = col(2);
  const x = col(3);
  const byWindow = (r: Row): Value[] => [r[4] as Value, r[5] as Value];
  g.add(
    new Materialize('top_rank'),
    g.add(
      new TopN({
        partitionBy: byWindow,
        orderBy: [{ value: score, desc: true }],
        limit: 2,
        rank: 'rank',
        withRank: true,
        watermarks: [[4, 0]],
      }),
      t,
    ),
  );
  g.add(
    new Materialize('top_row_number'),
    g.add(
      new TopN({
        partitionBy: (r) => [r[4] as Value, r[1] as Value],
        orderBy: [{ value: score }],
        offset: 1,
        limit: 2,
        withRank: true,
        watermarks: [[4, 0]],
      }),
      t,
    ),
  );
  g.add(
    new Materialize('top_dense'),
    g.add(
      new TopN({ orderBy: [{ value: score, desc: true }, { value: x }], limit: 3, rank: 'dense_rank' }),
      t,
    ),
  );
  g.add(
    new Materialize('windowed'),
    g.add(
      new OverWindow({
        partitionBy: byWindow,
        orderBy: [{ value: score }],
        calls: [
          { kind: 'sum', arg: x },
          { kind: 'count' },
          { kind: 'count', arg: x },
          { kind: 'avg', arg: x },
          { kind: 'min', arg: x },
          { kind: 'max', arg: x },
          { kind: 'row_number' },
          { kind: 'rank' },
          { kind: 'dense_rank' },
          { kind: 'percent_rank' },
          { kind: 'cume_dist' },
          { kind: 'lag', arg: x, default: -1 },
          { kind: 'lead', arg: x, offset: 2 },
          { kind: 'first_value', arg: x },
          { kind: 'last_value', arg: x },
        ],
        watermarks: [[4, 0]],
      }),
      t,
    ),
  );
  // status_code_analysis_summary's shape: an aggregate, then cumulative and total sums
  const counts = g.add(
    new Aggregate({
      groupBy: (r) => [r[2] as Value, r[4] as Value, r[5] as Value],
      calls: [{ kind: 'count' }],
      watermarks: [[4, 1]],
    }),
    t,
  );
  const cumulative = g.add(
    new OverWindow({
      partitionBy: (r) => [r[1] as Value, r[2] as Value],
      orderBy: [{ value: col(0) }],
      calls: [{ kind: 'sum', arg: col(3) }],
      watermarks: [[1, 0]],
    }),
    counts,
  );
  const totals = g.add(
    new OverWindow({
      partitionBy: (r) => [r[1] as Value, r[2] as Value],
      calls: [{ kind: 'sum', arg: col(3) }],
      watermarks: [[1, 0]],
    }),
    cumulative,
  );
  g.add(new Materialize('cumulative'), totals);
  return g;
}

test('top-N with ties and over-window cumulative sums survive restarts', () => {
  for (const seed of [11, 12, 13]) {
    const rand = prng(seed);
    const epochs = timedEpochs(
      rand,
      's',
      (ts) => [ts, pick(rand, USERS), int(rand, 0, 4), rand() < 0.1 ? null : int(rand, 1, 9)],
      30,
    );
    const a = runWithCrashes(`ranking seed ${seed}`, buildRanking, epochs, [2, 9, 17, 24]);
    const top = a.operators.find((op) => op instanceof TopN) as TopN;
    assert.ok(top.partitions < 5, 'closed windows dropped their partitions');
  }
});

/** Joins of every type, with and without state closed by the watermark, and a union. */
function buildJoins(): Dataflow {
  const g = new Dataflow();
  const l = g.source('l', 3); // [ts, k, v]
  const r = g.source('r', 3); // [ts, k, w]
  const tl = g.add(new Tumble({ timeColumn: 0, size: W, width: 3 }), l); // ws 3, we 4
  const tr = g.add(new Tumble({ timeColumn: 0, size: W, width: 3 }), r);
  const key = (x: Row): Value[] => [x[3] as Value, x[1] as Value];
  for (const type of ['inner', 'left', 'right', 'full'] as JoinType[]) {
    const j = g.add(
      new Join({
        type,
        leftKey: key,
        rightKey: key,
        leftWidth: 5,
        rightWidth: 5,
        residual: (x) => (x[2] as number) <= (x[7] as number) + 3,
        watermarkKeys: [[3, 3, 0]],
        name: `${type} join`,
      }),
      tl,
      tr,
    );
    g.add(new Materialize(type), j);
  }
  const plain = g.add(
    new Join({
      type: 'left',
      leftKey: (x) => [x[1] as Value],
      rightKey: (x) => [x[1] as Value],
      leftWidth: 3,
      rightWidth: 3,
      name: 'left join on k',
    }),
    l,
    r,
  );
  g.add(new Materialize('left on k'), plain);
  const u = g.add(new Union(2), tl, tr);
  const agg = g.add(
    new Aggregate({
      groupBy: (x) => [x[3] as Value, x[4] as Value, x[1] as Value],
      calls: [{ kind: 'count' }, { kind: 'sum', arg: col(2) }],
      watermarks: [[3, 0]],
    }),
    u,
  );
  g.add(new Materialize('union counts'), agg);
  return g;
}

test('left, right, full and inner joins and a union survive restarts, with the watermark closing join state', () => {
  for (const seed of [21, 22, 23]) {
    const rand = prng(seed);
    const make = (ts: number): Row => [ts, pick(rand, [1, 2, 3, null]), int(rand, 0, 9)];
    const left = timedEpochs(rand, 'l', make, 30, { maxChanges: 12 });
    // The right side's watermark lags further and sometimes stays put: the join and union
    // forward the minimum of both.
    const right = timedEpochs(rand, 'r', make, 30, { maxChanges: 12 }).map((e) => ({
      ...e,
      steps: e.steps.map((s) =>
        s.kind === 'watermark' ? { ...s, value: Math.max(0, (s.value as number) - 30) } : s,
      ),
    }));
    const epochs = left.map((e, i) => ({
      time: e.time,
      steps:
        rand() < 0.5
          ? [...e.steps, ...(right[i] as Epoch).steps]
          : [...(right[i] as Epoch).steps, ...e.steps],
    }));
    const a = runWithCrashes(`joins seed ${seed}`, buildJoins, epochs, [1, 8, 15, 22]);
    const join = a.operators.find((op) => op instanceof Join) as Join;
    const plain = a.operators.find((op) => op.name === 'left join on k') as Join;
    assert.ok(join.stateSize < plain.stateSize, 'the watermark closed join state');
  }
});

/** Temporal filters (processing time) and retention (watermark), inclusive or not. */
function buildExpire(): Dataflow {
  const g = new Dataflow();
  const s = g.source('p', 2); // [ts, v]
  g.add(new Materialize('recent'), g.add(new Expire({ column: 0, offset: 50, clock: 'processing-time' }), s));
  g.add(
    new Materialize('recent_inclusive'),
    g.add(new Expire({ column: 0, offset: 40, clock: 'processing-time', inclusive: true, name: 'incl' }), s),
  );
  g.add(new Materialize('retained'), g.add(new Expire({ column: 0, offset: 30, clock: 'watermark' }), s));
  return g;
}

test('Expire in both clock modes survives restarts', () => {
  for (const seed of [31, 32, 33]) {
    const rand = prng(seed);
    let now = 0;
    const stream = new RandomStream(rand, () => [now - int(rand, 0, 80), int(rand, 0, 3)]);
    const epochs: Epoch[] = [];
    for (let e = 0; e < 30; e++) {
      now += 10;
      const { rows, weights } = stream.epoch(10);
      const steps: Step[] = [{ kind: 'push', source: 'p', rows, weights }];
      if (rand() < 0.7) steps.push({ kind: 'watermark', source: 'p', column: 0, value: now - 40 });
      epochs.push({ steps, time: now });
    }
    const a = runWithCrashes(`expire seed ${seed}`, buildExpire, epochs, [3, 10, 20]);
    const [recent, , retained] = views(a);
    assert.ok((recent as Materialize).size < (retained as Materialize).size + 100);
  }
});

test('the reference views (aggregate → top-N, window functions, join with an aggregate of an aggregate) survive restarts', () => {
  for (const seed of [2024, 7]) {
    const traffic = new ReferenceTraffic(prng(seed));
    const epochs: Epoch[] = [];
    for (let e = 0; e < 14; e++) {
      const { rows, weights } = traffic.epoch();
      epochs.push({ steps: [{ kind: 'push', source: 'website_logs_source', rows, weights }], time: e });
    }
    runWithCrashes(`reference seed ${seed}`, () => buildReferenceViews().g, epochs, [0, 3, 7, 12]);
  }
});

// --- watermarks after a restart -------------------------------------------------------

test('an operator does not forward again, after a restore, a watermark it forwarded before', () => {
  const build = () => {
    const g = new Dataflow();
    const s = g.source('s', 2);
    const s2 = g.source('s2', 2);
    const agg = g.add(
      new Aggregate({ groupBy: (r) => [r[0] as Value], calls: [{ kind: 'count' }], watermarks: [[0, 0]] }),
      s,
    );
    const top = g.add(
      new TopN({ partitionBy: (r) => [r[0] as Value], orderBy: [], limit: 1, watermarks: [[0, 0]] }),
      s,
    );
    const join = g.add(
      new Join({
        type: 'inner',
        leftKey: (r) => [r[0] as Value],
        rightKey: (r) => [r[0] as Value],
        leftWidth: 2,
        rightWidth: 2,
        watermarkKeys: [[0, 0, 0]],
      }),
      s,
      s2,
    );
    const union = g.add(new Union(2), s, s2);
    const probes = [agg, top, join, union].map((op) => g.add(new Probe(`probe ${op.name}`), op));
    return { g, probes };
  };
  const a = build();
  a.g.push('s', [[10, 1]]);
  a.g.watermark('s', 0, 25);
  a.g.watermark('s2', 0, 30);
  a.g.barrier(1);
  const before = a.probes.map((p) => p.seen.length);
  assert.deepEqual(
    a.probes.map((p) => p.seen),
    [
      [[0, 25]],
      [[0, 25]],
      [
        [0, 25],
        [2, 25],
      ],
      [[0, 25]],
    ],
  );
  const restored = build();
  restored.g.restore(v8.deserialize(v8.serialize(a.g.snapshot())));
  for (const { g } of [a, restored]) {
    g.watermark('s', 0, 25); // no advance
    g.watermark('s2', 0, 20); // behind s2's own
    g.barrier(2);
    g.watermark('s', 0, 40);
    g.watermark('s2', 0, 45);
    g.barrier(3);
  }
  const after = a.probes.map((p, i) => p.seen.slice(before[i]));
  assert.deepEqual(
    restored.probes.map((p) => p.seen),
    after,
  );
  // join and union: min(40, 30) once `s` advances, then 40 once `s2` passes it
  assert.deepEqual(after, [
    [[0, 40]],
    [[0, 40]],
    [
      [0, 30],
      [2, 30],
      [0, 40],
      [2, 40],
    ],
    [
      [0, 30],
      [0, 40],
    ],
  ]);
});

// --- accumulators one by one ------------------------------------------------------------

test('every accumulator continues after snapshot → v8 → restore with the same results', () => {
  const num = (r: Row) => r[0] as Value;
  const txt = (r: Row) => r[1] as Value;
  const calls: AggregateCall[] = [
    { kind: 'count' },
    { kind: 'count', arg: num },
    { kind: 'sum', arg: num },
    { kind: 'avg', arg: num },
    { kind: 'min', arg: num },
    { kind: 'max', arg: txt },
    { kind: 'percentile_cont', arg: num, fraction: 0.3 },
    { kind: 'percentile_disc', arg: num, fraction: 0.7, desc: true },
    { kind: 'string_agg', arg: txt, separator: ';', orderBy: [{ value: num, desc: true }] },
    { kind: 'string_agg', arg: txt, separator: ';' },
    { kind: 'array_agg', arg: num },
    { kind: 'array_agg', arg: num, orderBy: [{ value: txt }] },
    { kind: 'jsonb_agg', arg: num },
    { kind: 'jsonb_object_agg', arg: (r) => [String(r[1]), r[0] as Value], orderBy: [{ value: num }] },
    { kind: 'bool_and', arg: (r) => (r[0] === null ? null : (r[0] as number) > 0) },
    { kind: 'bool_or', arg: (r) => (r[0] === null ? null : (r[0] as number) > 2) },
    { kind: 'var_samp', arg: num },
    { kind: 'stddev_samp', arg: num },
    { kind: 'count', arg: num, distinct: true },
    { kind: 'sum', arg: num, distinct: true },
    { kind: 'array_agg', arg: (r) => [r[1] as Value], distinct: true },
    { kind: 'sum', arg: (r) => ({ months: 0, days: 1, micros: (r[0] as number | null) ?? 0.5 }) },
  ];
  for (const [ci, call] of calls.entries()) {
    const rand = prng(100 + ci);
    const stream = new RandomStream(rand, () => [
      rand() < 0.1 ? null : pick(rand, [0.1, 0.2, 0.3, -1, 3, 1e17, 2.5, Number.POSITIVE_INFINITY]),
      pick(rand, ['a', 'b', 'c']),
    ]);
    let acc = createAccumulator(call);
    const original = createAccumulator(call);
    for (let e = 0; e < 40; e++) {
      const { rows, weights } = stream.epoch(6);
      for (const [i, row] of rows.entries()) {
        const sortKey = call.orderBy?.map((s) => s.value(row));
        for (const x of [acc, original]) x.add(call.arg?.(row) ?? null, weights[i] as number, sortKey);
      }
      if (e % 5 === 2) {
        const restored = createAccumulator(call);
        restored.restore(v8.deserialize(v8.serialize(acc.snapshot())));
        acc = restored;
      }
      assert.deepStrictEqual(acc.result(), original.result(), `${call.kind} #${ci} after epoch ${e}`);
    }
  }
});

test('a restored multiset is the one its sharing accumulators read', () => {
  const arg = (r: Row) => r[0] as Value;
  const min = createAccumulator({ kind: 'min', arg });
  const max = createAccumulator({ kind: 'max', arg }, valueMultiset(min));
  for (const v of [3, 1, 4, 1, 5]) min.add(v, 1);
  const min2 = createAccumulator({ kind: 'min', arg });
  const max2 = createAccumulator({ kind: 'max', arg }, valueMultiset(min2));
  min2.restore(v8.deserialize(v8.serialize(min.snapshot())));
  assert.deepEqual([min2.result(), max2.result()], [min.result(), max.result()]);
  assert.deepEqual([min2.result(), max2.result()], [1, 5]);
});

// --- refusals -----------------------------------------------------------------------------

test('restoring into a dataflow that does not match fails with a clear message', () => {
  const a = buildAggregates();
  play(a, timedEpochs(prng(5), 'logs', (ts) => logRow(prng(ts), ts), 1)[0] as Epoch);
  const saved = v8.deserialize(v8.serialize(a.snapshot()));

  assert.throws(
    () => buildRanking().restore(saved),
    /restore: the snapshot has \d+ operators, this dataflow \d+/,
  );

  // Same count, another name in the middle.
  const renamed = new Dataflow();
  const ops = a.operators;
  for (const op of ops) {
    if (op.arity === 0) renamed.source(op.name);
    else {
      const inputs = op.upstream.map((up) => renamed.operators[ops.indexOf(up)] as Operator);
      renamed.add(new Union(op.arity, op === ops[3] ? 'other' : op.name), ...inputs);
    }
  }
  assert.throws(
    () => renamed.restore(saved),
    /restore: operator 3 is "tumble" in the snapshot but "other" in this dataflow/,
  );

  // Same names and count, other operators: each refuses the state it is given.
  const unions = new Dataflow();
  for (const op of ops) {
    if (op.arity === 0) unions.source(op.name);
    else {
      const inputs = op.upstream.map((up) => unions.operators[ops.indexOf(up)] as Operator);
      unions.add(new Union(op.arity, op.name), ...inputs);
    }
  }
  assert.throws(() => unions.restore(saved), /filter: expected a snapshot of kind "union", got no state/);
  const aggregateState = (saved as { state: unknown }[])[5]?.state;
  assert.throws(
    () => new Union(1, 'aggregate').restore(aggregateState),
    /aggregate: expected a snapshot of kind "union", got a snapshot of kind "aggregate"/,
  );

  // An aggregate with other calls.
  const other = () => {
    const g = new Dataflow();
    const s = g.source('s', 2);
    const agg = g.add(
      new Aggregate({
        groupBy: (r) => [r[0] as Value],
        calls: [{ kind: 'count' }, { kind: 'max', arg: col(1) }],
      }),
      s,
    );
    g.add(new Materialize('v'), agg);
    return g;
  };
  const g1 = other();
  g1.push('s', [[1, 2]]);
  g1.barrier(1);
  const snap = v8.deserialize(v8.serialize(g1.snapshot())) as { state: { calls: string[] } }[];
  (snap[2] as { state: { calls: string[] } }).state.calls[1] = 'min';
  assert.throws(
    () => other().restore(snap),
    /aggregate: the snapshot's calls \(count\(\*\), min; .*\) differ from this aggregate's \(count\(\*\), max;/,
  );

  // Not a snapshot at all; a stateless operator given state.
  assert.throws(() => other().restore({}), /a dataflow snapshot is an array/);
  assert.throws(() => other().restore([{ kind: 'other' }]), /not a dataflow snapshot/);
  assert.throws(
    () => new Filter(() => true).restore({ kind: 'join' }),
    /filter keeps no state, but the snapshot holds a snapshot of kind "join"/,
  );
});

test('a snapshot is refused while operators hold changes or watermarks of an open epoch', () => {
  const g = buildAggregates();
  g.barrier(1);
  g.push('logs', [[5, 'ann', 'login', 200, 20, 1.5, null, Uint8Array.of(1)]]);
  assert.throws(
    () => g.snapshot(),
    /aggregate: cannot snapshot with 1 changed groups of an open epoch; snapshot right after a barrier/,
  );
  g.barrier(2);
  g.watermark('logs', 0, 50);
  assert.throws(() => g.snapshot(), /aggregate: cannot snapshot with 2 held watermarks of an open epoch/);
  g.barrier(3);
  assert.doesNotThrow(() => g.snapshot());

  const m = new Dataflow();
  const s = m.source('s', 1);
  const v = m.add(new Materialize('v'), s);
  m.push(s, [[1]]);
  assert.throws(() => m.snapshot(), /v: cannot snapshot with 1 changes of an open epoch/);
  m.barrier(1);
  m.add(new Materialize('late'), v);
  assert.throws(() => m.snapshot(), /snapshot: late has not seen barrier 1 yet/);
});

test('counters, last error included, survive a restore', () => {
  const g = buildAggregates();
  const rows = Array.from({ length: 50 }, (_, i) => logRow(prng(i), i));
  rows.push([1, 'ann', 'login', 200, 7, 0, null, Uint8Array.of(1)]);
  g.push('logs', rows);
  g.barrier(1);
  const h = buildAggregates();
  h.restore(v8.deserialize(v8.serialize(g.snapshot())));
  const project = h.operators.find((op) => op instanceof Project) as Project;
  assert.ok(project.stats.errors > 0);
  assert.equal(project.stats.lastError?.message, 'division by zero');
  assert.equal(project.stats.lastError?.sqlstate, '22012');
  assert.deepEqual(
    h.operators.map((op) => op.stats.rowsIn),
    g.operators.map((op) => op.stats.rowsIn),
  );
  assert.equal(h.epoch, 1);
});

test('an append-only Materialize keeps insertions as they come, survives a snapshot, and counts a retraction as an anomaly', () => {
  const build = () => {
    const g = new Dataflow();
    const src = g.source('in', 1);
    const mat = g.add(new Materialize('table t', { appendOnly: true }), src);
    return { g, mat };
  };
  const { g, mat } = build();
  const deltas: Chunk[] = [];
  mat.onCommit((d) => deltas.push(d));
  g.push('in', chunk([[1], [2], [1]], [1, 1, 1]));
  g.barrier();
  g.push('in', chunk([[3]], [1]));
  g.barrier();
  assert.deepEqual(mat.rows(), [[1], [1], [2], [3]]);
  assert.deepEqual(
    deltas.map((d) => d.rows),
    [[[1], [2], [1]], [[3]]],
  );
  const restored = build();
  restored.g.restore(v8.deserialize(v8.serialize(g.snapshot())));
  assert.deepEqual(restored.mat.rows(), [[1], [1], [2], [3]]);
  restored.g.push('in', chunk([[3]], [-1]));
  restored.g.barrier();
  assert.equal(restored.mat.anomalies, 1);
});

test('min/max over an insert-only input keep the extreme alone, restore it from either form, and refuse a retraction', () => {
  for (const kind of ['min', 'max'] as const) {
    const rand = prng(kind === 'min' ? 7 : 8);
    const insertOnly = createAccumulator({ kind, arg: (r) => r[0] as Value, insertOnly: true });
    const retractable = createAccumulator({ kind, arg: (r) => r[0] as Value });
    let restored = createAccumulator({ kind, arg: (r) => r[0] as Value, insertOnly: true });
    assert.equal(insertOnly.result(), null);
    for (let i = 0; i < 500; i++) {
      const v = rand() < 0.1 ? null : pick(rand, ['m', 'a', 'zz', 'b', '', 'ü', 'Z']);
      for (const acc of [insertOnly, retractable, restored]) acc.add(v, 1);
      assert.equal(insertOnly.result(), retractable.result(), `${kind} after ${i + 1} values`);
      if (i % 50 === 7) {
        // from its own snapshot, or from the multiset a retractable min/max saved (an older checkpoint)
        const from = i % 100 === 7 ? insertOnly : retractable;
        restored = createAccumulator({ kind, arg: (r) => r[0] as Value, insertOnly: true });
        restored.restore(v8.deserialize(v8.serialize(from.snapshot())));
      }
      assert.equal(restored.result(), retractable.result(), `${kind} restored, after ${i + 1} values`);
    }
    assert.equal(v8.serialize(insertOnly.snapshot()).length < 16, true, 'one value is the whole state');
    assert.throws(() => insertOnly.add('a', -1), /retraction/);
  }
});
