// Checkpoint cost of the five reference views (pipelines/website-security.sql) after 2 minutes
// of generator traffic, one epoch per simulated second, a 5 s watermark: Dataflow.snapshot(),
// v8.serialize of it (time and bytes), and v8.deserialize + restore into a fresh build; the
// same-run baseline is v8.serialize of the views' rows alone (what a checkpoint cannot avoid).
//
// The Engine keeps its Dataflow private, so the dataflow is wired here by hand as
// test/stream/reference-pipeline.test.ts does, on the full source schema; the same traffic also
// runs through the Engine, and the hand-wired views are checked to hold the Engine's rows.

import { readFileSync } from 'node:fs';
import v8 from 'node:v8';
import { toSourceRecord } from '../src/connectors/generator-source.ts';
import { Engine } from '../src/engine/engine.ts';
import { TrafficGenerator } from '../src/generator/traffic.ts';
import { Dataflow } from '../src/stream/graph.ts';
import { Aggregate } from '../src/stream/operators/aggregate.ts';
import { Join } from '../src/stream/operators/join.ts';
import { Materialize } from '../src/stream/operators/materialize.ts';
import { OverWindow } from '../src/stream/operators/over-window.ts';
import { Project } from '../src/stream/operators/project.ts';
import { TopN } from '../src/stream/operators/top-n.ts';
import { Tumble } from '../src/stream/operators/tumble.ts';
import { compareRows, type Row, type Value } from '../src/stream/value.ts';
import { bestOf, report } from './measure.ts';

const MINUTES = 2;
const RATES = [200, 2000];
/** Timings are the best of this many rounds, after a warm-up round. */
const ROUNDS = 20;
const MIN = 60_000_000;
const DELAY = 5_000_000; // WATERMARK … - INTERVAL '5 SECONDS'
const pipeline = readFileSync(new URL('../pipelines/website-security.sql', import.meta.url), 'utf8');
const COLUMNS = [
  'request_timestamp',
  'ip_address',
  'user_agent',
  'url',
  'http_method',
  'status_code',
  'response_time',
  'referrer',
  'user_id',
  'username',
  'user_action',
  'security_level',
] as const;
// Column positions in COLUMNS.
const TS = 0;
const IP = 1;
const STATUS = 5;
const RT = 6;
const REFERRER = 7;
const USERNAME = 9;
const ACTION = 10;
const LEVEL = 11;
const WS = COLUMNS.length; // tumble appends window_start, window_end
const WE = WS + 1;

const col =
  (i: number) =>
  (r: Row): Value =>
    r[i] as Value;
const when =
  (p: (r: Row) => boolean) =>
  (r: Row): Value =>
    p(r) ? 1 : 0;
const among = (i: number, values: readonly string[]) => when((r) => values.includes(r[i] as string));
/** Group keys that carry the window's watermarks at key positions 1 and 2. */
const windowed = (key: number): { groupBy: (r: Row) => Value[]; watermarks: [number, number][] } => ({
  groupBy: (r) => [r[key] as Value, r[WS] as Value, r[WE] as Value],
  watermarks: [
    [WS, 1],
    [WE, 2],
  ],
});

/** The five views, wired as the compile step wires them. */
function buildViews(): { g: Dataflow; views: Map<string, Materialize> } {
  const g = new Dataflow();
  const src = g.source('website_logs_source', COLUMNS.length);
  const t = g.add(new Tumble({ timeColumn: TS, size: MIN, width: COLUMNS.length }), src);
  const views = new Map<string, Materialize>();
  const view = (name: string, op: Parameters<Dataflow['add']>[1]) =>
    views.set(name, g.add(new Materialize(`view ${name}`), op));
  const rt = col(RT);
  const byWindow = (r: Row): Value[] => [r[1] as Value, r[2] as Value];
  const windowKeys: [number, number][] = [
    [1, 0],
    [2, 1],
  ];

  // [username, ws, we, total, min, max, avg, median, errors, logins, logouts, ips]
  const metrics = g.add(
    new Aggregate({
      ...windowed(USERNAME),
      calls: [
        { kind: 'count' },
        { kind: 'min', arg: rt },
        { kind: 'max', arg: rt },
        { kind: 'avg', arg: rt },
        { kind: 'percentile_cont', arg: rt, fraction: 0.5 },
        { kind: 'sum', arg: when((r) => (r[STATUS] as number) >= 400) },
        { kind: 'sum', arg: when((r) => r[ACTION] === 'login') },
        { kind: 'sum', arg: when((r) => r[ACTION] === 'logout') },
        { kind: 'count', arg: col(IP), distinct: true },
      ],
    }),
    t,
  );
  view(
    'website_user_metrics',
    g.add(
      new Project((r) => [r[0], ...r.slice(3), r[1], r[2]] as Value[], {
        watermarks: [
          [1, 10],
          [2, 11],
        ],
      }),
      metrics,
    ),
  );

  // [action, ws, we, count] → top 5 per window
  const actions = g.add(
    new Aggregate({ ...windowed(ACTION), calls: [{ kind: 'count', arg: col(ACTION) }] }),
    t,
  );
  const top = g.add(
    new TopN({
      partitionBy: byWindow,
      orderBy: [{ value: col(3), desc: true }],
      limit: 5,
      watermarks: windowKeys,
    }),
    actions,
  );
  view('top_user_actions', g.add(new Project((r) => [r[0], r[3], r[1], r[2]] as Value[]), top));

  const referrers = g.add(
    new Aggregate({
      ...windowed(REFERRER),
      calls: [
        { kind: 'count' },
        { kind: 'sum', arg: among(ACTION, ['view_page', 'navigate_page']) },
        { kind: 'sum', arg: among(ACTION, ['submit_form', 'login', 'logout']) },
        { kind: 'sum', arg: among(ACTION, ['scroll_page', 'download_file', 'upload_file']) },
        { kind: 'sum', arg: among(ACTION, ['close_window', 'open_new_tab']) },
      ],
    }),
    t,
  );
  view(
    'referrer_activity_summary',
    g.add(new Project((r) => [r[0], ...r.slice(3), r[1], r[2]] as Value[]), referrers),
  );

  // [status, ws, we, count, avg] → cumulative → total
  const statuses = g.add(
    new Aggregate({
      ...windowed(STATUS),
      calls: [
        { kind: 'count', arg: col(STATUS) },
        { kind: 'avg', arg: rt },
      ],
    }),
    t,
  );
  const cumulative = g.add(
    new OverWindow({
      partitionBy: byWindow,
      orderBy: [{ value: col(0) }],
      calls: [{ kind: 'sum', arg: col(3) }],
      watermarks: windowKeys,
    }),
    statuses,
  );
  const totals = g.add(
    new OverWindow({ partitionBy: byWindow, calls: [{ kind: 'sum', arg: col(3) }], watermarks: windowKeys }),
    cumulative,
  );
  view(
    'status_code_analysis_summary',
    g.add(
      new Project(
        (r) => [r[0], r[3], r[4], r[5], ((r[5] as number) * 100.0) / (r[6] as number), r[1], r[2]] as Value[],
      ),
      totals,
    ),
  );

  // [level, ws, we, count, avg] joined with [ws, we, median]
  const levels = g.add(
    new Aggregate({
      ...windowed(LEVEL),
      calls: [{ kind: 'count' }, { kind: 'avg', arg: rt }],
    }),
    t,
  );
  const medians = g.add(
    new Aggregate({
      groupBy: byWindow,
      calls: [{ kind: 'percentile_cont', arg: col(3), fraction: 0.5 }],
      watermarks: [
        [1, 0],
        [2, 1],
      ],
    }),
    levels,
  );
  const joined = g.add(
    new Join({
      type: 'inner',
      leftKey: byWindow,
      rightKey: (r) => [r[0] as Value, r[1] as Value],
      leftWidth: 5,
      rightWidth: 3,
      watermarkKeys: [
        [1, 0, 0],
        [2, 1, 1],
      ],
    }),
    levels,
    medians,
  );
  view(
    'security_level_analysis_summary',
    g.add(new Project((r) => [r[0], r[3], r[4], r[7], r[1], r[2]] as Value[]), joined),
  );
  return { g, views };
}

/** Generator traffic, one epoch per simulated second, through the hand-wired views and the Engine. */
async function run(rate: number) {
  const generator = new TrafficGenerator({ seed: 1, rate, startMs: Date.parse('2024-01-25T00:00:00Z') });
  const { g, views } = buildViews();
  const engine = new Engine({ autoEpoch: false, idleTimeoutMs: 0 });
  await engine.execute(pipeline);
  let max = Number.NEGATIVE_INFINITY;
  let wm = Number.NEGATIVE_INFINITY;
  for (let second = 0; second < MINUTES * 60; second++) {
    const records = Array.from({ length: rate }, () => toSourceRecord(generator.next()));
    engine.push('website_logs_source', records);
    engine.flush();
    // As the Engine admits them: rows behind the watermark are late and dropped.
    const rows: Row[] = [];
    for (const rec of records) {
      const row = COLUMNS.map((c) => (rec[c] ?? null) as Value);
      const ts = row[TS] as number;
      if (!(ts >= wm)) continue;
      if (ts > max) max = ts;
      rows.push(row);
    }
    g.push('website_logs_source', rows);
    if (max - DELAY > wm) {
      wm = max - DELAY;
      g.watermark('website_logs_source', TS, wm);
    }
    g.barrier(second * 1_000_000);
  }
  let matching = 0;
  for (const [name, v] of views) {
    const expected = engine.rows(name);
    const actual = v.rows();
    if (actual.length === expected.length && actual.every((r, i) => compareRows(r, expected[i] as Row) === 0))
      matching++;
  }
  engine.close();
  return { g, views, matching, events: MINUTES * 60 * rate };
}

const kib = (bytes: number) => `${(bytes / 1024).toFixed(1)} KiB`;
const ms = (seconds: number) => `${(seconds * 1000).toFixed(2)} ms`;

for (const rate of RATES) {
  const { g, views, matching, events } = await run(rate);
  const viewRows = [...views.values()].map((v) => [...v.entries()].map((e) => e.row));
  const rowCount = viewRows.reduce((n, rs) => n + rs.length, 0);
  const state = g.stats().reduce((n, o) => n + o.stateSize, 0);

  globalThis.gc?.();
  const baseline = await bestOf(ROUNDS, 1, () => v8.serialize(viewRows));
  const baselineBytes = v8.serialize(viewRows).length;
  const snap = await bestOf(ROUNDS, 1, () => g.snapshot());
  const snapshot = g.snapshot();
  const serialize = await bestOf(ROUNDS, 1, () => v8.serialize(snapshot));
  const bytes = v8.serialize(g.snapshot());
  const both = await bestOf(ROUNDS, 1, () => v8.serialize(g.snapshot()));
  const deserialize = await bestOf(ROUNDS, 1, () => v8.deserialize(bytes));
  const restore = await bestOf(ROUNDS, 1, () => buildViews().g.restore(v8.deserialize(bytes)));
  const restored = buildViews();
  restored.g.restore(v8.deserialize(bytes));
  const same = [...views.keys()].every(
    (name) => JSON.stringify(restored.views.get(name)?.rows()) === JSON.stringify(views.get(name)?.rows()),
  );

  console.log(
    `snapshot: ${MINUTES} simulated minutes at ${rate} events/s (${events.toLocaleString('en-US')} events), ` +
      `5 reference views, 5 s watermark, an epoch per simulated second`,
  );
  report([
    ['hand-wired views holding the Engine rows (of 5)', String(matching)],
    ['view rows / operator state entries', `${rowCount} / ${state}`],
    ['baseline: v8.serialize of the view rows', `${ms(baseline.seconds)}, ${kib(baselineBytes)}`],
    ['Dataflow.snapshot()', ms(snap.seconds)],
    ['v8.serialize of the snapshot', `${ms(serialize.seconds)}, ${kib(bytes.length)}`],
    [
      'snapshot + serialize',
      `${ms(both.seconds)}  (${(both.seconds / baseline.seconds).toFixed(1)}× the baseline's time, ` +
        `${(bytes.length / baselineBytes).toFixed(1)}× its bytes)`,
    ],
    ['v8.deserialize of the snapshot', ms(deserialize.seconds)],
    ['v8.deserialize + build + restore', ms(restore.seconds)],
    ['restored views equal the original', same ? 'yes' : 'NO'],
  ]);
}
