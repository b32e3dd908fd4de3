// Generator throughput on one core: records/s made and written as NDJSON to /dev/null,
// against a same-run baseline that serialises one fixed record (no generation logic).
import { drive } from '../src/generator/drive.ts';
import { ndjsonFile } from '../src/generator/outputs.ts';
import { type LogRecord, toJsonLine } from '../src/generator/record.ts';
import { SCENARIOS, TrafficGenerator } from '../src/generator/traffic.ts';
import { bestOf, formatRate, report } from './measure.ts';

const N = 1_000_000;
const start = Date.parse('2024-01-25T00:00:00Z');
const traffic = { seed: 1, rate: 200, startMs: start };
const withAttacks = { ...traffic, attacks: SCENARIOS.map((scenario) => ({ scenario })) };

const fixed: LogRecord = new TrafficGenerator(traffic).next();
let sink = 0;
const baseline = await bestOf(3, N, () => {
  for (let i = 0; i < N; i++) sink += toJsonLine(fixed).length;
});
const generateOnly = await bestOf(3, N, () => {
  const g = new TrafficGenerator(withAttacks);
  for (let i = 0; i < N; i++) sink += toJsonLine(g.next()).length;
});
const toDevNull = await bestOf(2, N, () =>
  drive({ traffic: withAttacks, speedup: 'max', count: N }, ndjsonFile('/dev/null')),
);

console.log(`generator: ${N.toLocaleString('en-US')} records, all attack scenarios on, best of rounds`);
report([
  ['baseline: serialise one fixed record', formatRate(baseline.perSecond)],
  [
    'generate + serialise (next + toJsonLine)',
    `${formatRate(generateOnly.perSecond)}  (${(generateOnly.perSecond / baseline.perSecond).toFixed(2)}× baseline)`,
  ],
  [
    'tidewatch generate → /dev/null (drive)',
    `${formatRate(toDevNull.perSecond)}  (${(toDevNull.perSecond / baseline.perSecond).toFixed(2)}× baseline)`,
  ],
]);
if (sink === 0) console.log('');
