// Streaming engine hot path: rows through tumble → GROUP BY aggregate (count, min, max, avg,
// count distinct, percentile_cont) over ~1000 groups per window, with a barrier every 50k
// rows. Baseline, same run: the same rows only counted into a Map by user.
import { type Chunk, chunk } from '../src/stream/chunk.ts';
import { Dataflow } from '../src/stream/graph.ts';
import { Aggregate } from '../src/stream/operators/aggregate.ts';
import { Materialize } from '../src/stream/operators/materialize.ts';
import { Tumble } from '../src/stream/operators/tumble.ts';
import type { Row, Value } from '../src/stream/value.ts';
import { bestOf, formatRate, report } from './measure.ts';

const N = 400_000;
const USERS = 1000;
const CHUNK = 1024;
const EPOCH_ROWS = 50_000;
const MINUTE = 60_000_000;

let seed = 42;
function rand(): number {
  seed = (seed * 1103515245 + 12345) & 0x7fffffff;
  return seed / 0x80000000;
}

const users = Array.from({ length: USERS }, (_, i) => `user_${i}`);
const ips = Array.from({ length: 300 }, (_, i) => `10.0.${i >> 8}.${i & 255}`);
const t0 = Date.UTC(2024, 0, 25, 12, 0) * 1000;
const rows: Row[] = [];
for (let i = 0; i < N; i++) {
  // four minutes of traffic, time-ordered: ~1000 user groups per window
  const ts = t0 + Math.floor((i / N) * 4 * MINUTE);
  rows.push([
    ts,
    users[Math.floor(rand() * USERS)] as string,
    ips[Math.floor(rand() * ips.length)] as string,
    20 + Math.floor(rand() * 1500),
  ]);
}
const chunks: Chunk[] = [];
for (let i = 0; i < N; i += CHUNK) chunks.push(chunk(rows.slice(i, i + CHUNK)));

function pipeline(): number {
  const g = new Dataflow();
  const src = g.source('logs', 4);
  const t = g.add(new Tumble({ timeColumn: 0, size: MINUTE, width: 4 }), src);
  const rt = (r: Row): Value => r[3] as Value;
  const agg = g.add(
    new Aggregate({
      groupBy: (r) => [r[1] as Value, r[4] as Value, r[5] as Value],
      calls: [
        { kind: 'count' },
        { kind: 'min', arg: rt },
        { kind: 'max', arg: rt },
        { kind: 'avg', arg: rt },
        { kind: 'count', arg: (r) => r[2] as Value, distinct: true },
        { kind: 'percentile_cont', arg: rt, fraction: 0.5 },
      ],
    }),
    t,
  );
  const mv = g.add(new Materialize('website_user_metrics'), agg);
  let sinceBarrier = 0;
  for (const c of chunks) {
    g.push(src, c);
    sinceBarrier += c.rows.length;
    if (sinceBarrier >= EPOCH_ROWS) {
      g.barrier();
      sinceBarrier = 0;
    }
  }
  g.barrier();
  return mv.size;
}

function baseline(): number {
  const counts = new Map<string, number>();
  for (const c of chunks) {
    for (const r of c.rows) {
      const u = r[1] as string;
      counts.set(u, (counts.get(u) ?? 0) + 1);
    }
  }
  return counts.size;
}

const groups = pipeline();
const base = await bestOf(5, N, baseline);
const engine = await bestOf(5, N, pipeline);
console.log(`stream: ${N.toLocaleString('en-US')} rows, ${groups} groups in the view`);
report([
  ['baseline (count into a Map)', formatRate(base.perSecond)],
  ['tumble → aggregate (6 calls)', formatRate(engine.perSecond)],
  ['engine / baseline', `${((engine.perSecond / base.perSecond) * 100).toFixed(1)}%`],
]);
