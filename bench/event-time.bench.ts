// Memory over a long run: the five reference views (5 s watermark) over 30 simulated minutes
// of generator traffic at a constant 200 events/s, one epoch per simulated second. Prints, per
// minute, the engine heap after a GC, the operator state entries (groups, partition rows,
// join rows) and the view rows. With windows closed by the watermark, state stays flat and
// the heap grows only by the view rows, which views keep; the same-run baseline is minute 5.
import { readFileSync } from 'node:fs';
import { toSourceRecord } from '../src/connectors/generator-source.ts';
import { Engine } from '../src/engine/engine.ts';
import { TrafficGenerator } from '../src/generator/traffic.ts';
import { report } from './measure.ts';

const MINUTES = 30;
const RATE = 200;
const pipeline = readFileSync(new URL('../pipelines/website-security.sql', import.meta.url), 'utf8');
const generator = new TrafficGenerator({ seed: 1, rate: RATE, startMs: Date.parse('2024-01-25T00:00:00Z') });

const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(2)} MiB`;
globalThis.gc?.();
const heapBefore = process.memoryUsage().heapUsed;
const engine = new Engine({ autoEpoch: false, idleTimeoutMs: 0 });
await engine.execute(pipeline);

interface Sample {
  readonly minute: number;
  readonly heap: number;
  readonly state: number;
  readonly viewRows: number;
}
const samples: Sample[] = [];
const started = performance.now();
for (let minute = 1; minute <= MINUTES; minute++) {
  for (let second = 0; second < 60; second++) {
    engine.push(
      'website_logs_source',
      Array.from({ length: RATE }, () => toSourceRecord(generator.next())),
    );
    engine.flush();
  }
  globalThis.gc?.();
  samples.push({
    minute,
    heap: process.memoryUsage().heapUsed - heapBefore,
    state: engine.operatorStats().reduce((n, o) => n + o.stateSize, 0),
    viewRows: engine.viewStats().reduce((n, v) => n + v.rows, 0),
  });
}
const seconds = (performance.now() - started) / 1000;

console.log(
  `event time: ${MINUTES} simulated minutes at ${RATE} events/s, 5 reference views, a 5 s watermark, an epoch per simulated second`,
);
console.log('  minute  engine heap   state entries  view rows');
for (const s of samples.filter((s) => s.minute <= 3 || s.minute % 5 === 0))
  console.log(
    `  ${String(s.minute).padStart(6)}  ${mib(s.heap).padStart(11)}  ${String(s.state).padStart(13)}  ${String(s.viewRows).padStart(9)}`,
  );
const at = (m: number) => samples[m - 1] as Sample;
const late = engine.sourceStats()[0]?.lateRows ?? 0;
engine.close();
const perRow = (at(MINUTES).heap - at(5).heap) / (at(MINUTES).viewRows - at(5).viewRows);
report([
  ['state entries, minute 30 / minute 5 (flat = 1)', (at(MINUTES).state / at(5).state).toFixed(2)],
  ['engine heap, minute 30 / minute 5', (at(MINUTES).heap / at(5).heap).toFixed(2)],
  ['heap growth per minute after minute 5', mib((at(MINUTES).heap - at(5).heap) / (MINUTES - 5))],
  ['heap growth per view row added after minute 5', `${Math.round(perRow)} bytes`],
  ['late rows', String(late)],
  [
    'events/s over the run (one epoch per 200 events)',
    `${Math.round((MINUTES * 60 * RATE) / seconds).toLocaleString('en-US')}/s`,
  ],
]);
