// What the detection pipeline (pipelines/detections.sql) keeps and costs, next to the reference
// pipeline: the generator's traffic with every attack, 200 events per simulated second and an
// epoch per simulated second (as `tidewatch start` ends them), through an in-process engine.
// Every ten simulated minutes: the operators' state by kind — rows held and the bytes of their
// checkpoint (v8.serialize) — and the heap after a GC. Then events/s of both pipelines against
// the reference pipeline alone over the same records (the same run's baseline).
import { readFileSync } from 'node:fs';
import { serialize } from 'node:v8';
import { toSourceRecord } from '../src/connectors/generator-source.ts';
import { Engine } from '../src/engine/engine.ts';
import { SCENARIOS } from '../src/generator/scenarios.ts';
import { TrafficGenerator } from '../src/generator/traffic.ts';
import type { Row } from '../src/stream/value.ts';
import { formatRate, report } from './measure.ts';

const MINUTES = Number(process.env.DETECTION_STATE_MINUTES ?? 40);
const RATE = 200;
const pipeline = (name: string) => readFileSync(new URL(`../pipelines/${name}`, import.meta.url), 'utf8');
const reference = pipeline('website-security.sql');
const detections = pipeline('detections.sql');
const startMs = Date.parse('2024-01-25T00:00:00Z');

const generator = new TrafficGenerator({
  seed: 7,
  rate: RATE,
  startMs,
  attacks: SCENARIOS.map((scenario) => ({ scenario })),
});
const seconds: Row[][] = [];
const records: ReturnType<typeof toSourceRecord>[] = [];
let second: ReturnType<typeof toSourceRecord>[] = [];
let secondEnd = startMs + 1000;
while (generator.peekTime() < startMs + MINUTES * 60_000) {
  if (generator.peekTime() >= secondEnd) {
    seconds.push(second as unknown as Row[]);
    second = [];
    secondEnd += 1000;
  }
  const r = toSourceRecord(generator.next());
  second.push(r);
  records.push(r);
}
seconds.push(second as unknown as Row[]);

interface KindState {
  operators: number;
  rows: number;
  bytes: number;
}

/** State per operator kind (a view's table apart from the operators computing it). */
function stateByKind(engine: Engine): Map<string, KindState> {
  const sizes = new Map(engine.operatorStats().map((s, i) => [i, s.stateSize]));
  const byKind = new Map<string, KindState>();
  const dataflow = engine.checkpoint().dataflow as unknown[];
  const operators = dataflow.slice(1) as { name: string; state: unknown }[];
  operators.forEach((op, i) => {
    const kind = (op.state as { kind?: string } | undefined)?.kind;
    if (kind === undefined) return;
    const k = byKind.get(kind) ?? { operators: 0, rows: 0, bytes: 0 };
    k.operators++;
    k.rows += sizes.get(i) ?? 0;
    k.bytes += serialize(op.state).length;
    byKind.set(kind, k);
  });
  return byKind;
}

const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(2)} MiB`;

async function engineWith(sqls: readonly string[]): Promise<Engine> {
  const engine = new Engine({ autoEpoch: false, idleTimeoutMs: 0 });
  for (const sql of sqls) await engine.execute(sql);
  return engine;
}

globalThis.gc?.();
const heapBefore = process.memoryUsage().heapUsed;
const engine = await engineWith([reference, detections]);
console.log(
  `detection state: ${records.length.toLocaleString('en-US')} generator records, ${RATE} events per simulated second over ${MINUTES} minutes, an epoch per second`,
);
for (let s = 0; s < seconds.length; s++) {
  engine.push('website_logs_source', seconds[s] as Row[]);
  engine.flush();
  const minute = (s + 1) / 60;
  if (minute % 10 !== 0 && s !== seconds.length - 1) continue;
  globalThis.gc?.();
  const heap = process.memoryUsage().heapUsed - heapBefore;
  const kinds = [...stateByKind(engine)].sort(([a], [b]) => (a < b ? -1 : 1));
  console.log(`  after ${minute.toFixed(0)} min: engine heap ${mib(heap)}`);
  report(
    kinds.map(([kind, k]) => [
      `    ${kind} (${k.operators})`,
      `${k.rows.toLocaleString('en-US')} rows, ${mib(k.bytes)}`,
    ]),
  );
}
engine.close();

/** Seconds to push every record through a fresh engine, an epoch per simulated second. */
async function timed(sqls: readonly string[]): Promise<number> {
  const e = await engineWith(sqls);
  const t0 = performance.now();
  for (const rows of seconds) {
    e.push('website_logs_source', rows);
    e.flush();
  }
  const took = (performance.now() - t0) / 1000;
  e.close();
  return took;
}

const runs = { reference: [] as number[], both: [] as number[] };
await timed([reference]);
for (let i = 0; i < 2; i++) {
  runs.reference.push(await timed([reference]));
  runs.both.push(await timed([reference, detections]));
}
const ref = records.length / Math.min(...runs.reference);
const both = records.length / Math.min(...runs.both);
report([
  ['baseline: the reference pipeline alone', formatRate(ref)],
  [
    'reference + detections',
    `${formatRate(both)}  (${(ref / both).toFixed(2)}× the baseline's CPU per event)`,
  ],
]);
