// An epoch's raw events into DuckDB (src/store/view-store.ts, a source's retained raw events —
// the same path as an APPEND ONLY table's rows): main-thread and whole-process CPU per event,
// written as a CSV file that DuckDB's reader loads on its own threads (csv-load.ts) against the
// same-run baseline of an appender call per value (the store's path for small epochs).
//
// The workload: 200,000 generator records (12 columns: a timestamp, two integers, nine strings)
// committed as epochs of 20,000 (EPOCH_EVENTS=N for others) to a file-backed store, best of
// three rounds after a warm-up.
// "Main thread" is the event loop's own CPU (process.threadCpuUsage): the time a commit takes
// from the engine and the endpoint's clients; "all threads" adds DuckDB's workers.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { toSourceRecord } from '../src/connectors/generator-source.ts';
import { LOG_RECORD_COLUMNS } from '../src/generator/record.ts';
import { TrafficGenerator } from '../src/generator/traffic.ts';
import { T } from '../src/sql/types.ts';
import { ViewStore } from '../src/store/view-store.ts';
import type { Row } from '../src/stream/value.ts';
import { report } from './measure.ts';

const EVENTS = 200_000;
const EPOCH_EVENTS = Number(process.env.EPOCH_EVENTS ?? 20_000);
const ROUNDS = 3;

const typeOf = (name: string) =>
  name === 'TIMESTAMP' ? T.timestamp : name === 'INTEGER' ? T.int4 : T.varchar;
const columns = LOG_RECORD_COLUMNS.map(([name, type]) => ({ name, type: typeOf(type) }));
const generator = new TrafficGenerator({ seed: 1, rate: 400, startMs: Date.parse('2024-01-25T12:00:00Z') });
const rows: Row[] = Array.from({ length: EVENTS }, () => {
  const record = toSourceRecord(generator.next());
  return columns.map((c) => (record[c.name] ?? null) as Row[number]);
});

const cpuMicros = (usage: NodeJS.CpuUsage) => usage.user + usage.system;

/** CPU µs per event of committing every row in epochs, on the main thread and in all. */
async function commitAll(csvLoadMinRows: number): Promise<{ main: number; all: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'tw-raw-append-'));
  const store = await ViewStore.open(join(dir, 'raw.duckdb'), { csvLoadMinRows });
  try {
    await store.defineSource('website_logs_source', columns);
    const main0 = process.threadCpuUsage();
    const all0 = process.cpuUsage();
    for (let i = 0, epoch = 1; i < rows.length; i += EPOCH_EVENTS, epoch++)
      await store.commit(
        epoch,
        new Map(),
        undefined,
        new Map([['website_logs_source', [rows.slice(i, i + EPOCH_EVENTS)]]]),
      );
    return {
      main: cpuMicros(process.threadCpuUsage(main0)) / EVENTS,
      all: cpuMicros(process.cpuUsage(all0)) / EVENTS,
    };
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function best(csvLoadMinRows: number): Promise<{ main: number; all: number }> {
  await commitAll(csvLoadMinRows);
  const runs = [];
  for (let r = 0; r < ROUNDS; r++) runs.push(await commitAll(csvLoadMinRows));
  return {
    main: Math.min(...runs.map((r) => r.main)),
    all: Math.min(...runs.map((r) => r.all)),
  };
}

const appended = await best(Number.POSITIVE_INFINITY);
const loaded = await best(0);
const us = (x: number) => `${x.toFixed(2)} µs`;
console.log(
  `raw events into DuckDB: ${EVENTS.toLocaleString('en-US')} generator records in epochs of ${EPOCH_EVENTS.toLocaleString('en-US')}, CPU per event (best of ${ROUNDS})`,
);
report([
  ['baseline: appender, main thread', us(appended.main)],
  ['baseline: appender, all threads', us(appended.all)],
  [
    'CSV load, main thread',
    `${us(loaded.main)}   ${(loaded.main / appended.main).toFixed(2)}× the appender's`,
  ],
  ['CSV load, all threads', `${us(loaded.all)}   ${(loaded.all / appended.all).toFixed(2)}× the appender's`],
]);
