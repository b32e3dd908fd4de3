/**
 * A deterministic stream for `tidewatch start` (a seeded generator on simulated time, a fixed
 * number of events), what an uninterrupted run over it holds, and the check that a data
 * directory's run, once finished, holds exactly that: every view row for row, every raw event
 * retained once.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { attacksFrom, generatorClock } from '../../src/cli/generator-flags.ts';
import { toSourceRecord } from '../../src/connectors/generator-source.ts';
import { Engine } from '../../src/engine/engine.ts';
import { type LogRecord, toJsonLine } from '../../src/generator/record.ts';
import { TrafficGenerator } from '../../src/generator/traffic.ts';
import { jsonRows } from '../../src/serve/json-rows.ts';
import { formatNumeric, isNumericValue } from '../../src/sql/numeric.ts';
import type { SqlType } from '../../src/sql/types.ts';
import { RAW_DATABASE, rawFileOf } from '../../src/store/view-store.ts';
import type { Row } from '../../src/stream/value.ts';
import { collect, spawnCli, waitForOutput } from '../helpers/cli.ts';

const START = '2024-01-25T12:00:00Z';
const PIPELINE = readFileSync(new URL('../../pipelines/website-security.sql', import.meta.url), 'utf8');
/** `start` applies the detections next to the reference pipeline: their views are checked too. */
const DETECTIONS = readFileSync(new URL('../../pipelines/detections.sql', import.meta.url), 'utf8');

export interface StreamSpec {
  readonly events: number;
  /** Events per simulated second. */
  readonly rate: number;
  readonly seed: number;
  /**
   * Attack scenarios mixed in, as `--generator-attacks` / `--attack` take them (default `all`,
   * as `start` does; `generate` injects none unless told).
   */
  readonly attacks?: readonly string[];
  /** `--barrier-interval-ms` (default: the server's). */
  readonly barrierIntervalMs?: number;
  /** `--log-segment-size` in bytes (default: the server's). */
  readonly logSegmentBytes?: number;
}

export interface ViewColumn {
  readonly name: string;
  readonly type: SqlType;
}

/** What an uninterrupted run over the stream holds. */
export interface Expected {
  readonly views: Readonly<Record<string, Row[]>>;
  /** Each view's columns and their types. */
  readonly columns: Readonly<Record<string, readonly ViewColumn[]>>;
  /** Each raw event as a line (`RAW_LINE_SQL`'s form), sorted. */
  readonly raw: readonly string[];
}

/** The arguments of `tidewatch start` that run the stream into `dataDir`. */
export function startArgs(spec: StreamSpec, dataDir: string): string[] {
  return [
    'start',
    '--http-port',
    '0',
    '--pg-port',
    '0',
    '--data-dir',
    dataDir,
    '--generator-rate',
    String(spec.rate),
    '--generator-start',
    START,
    '--generator-seed',
    String(spec.seed),
    '--generator-count',
    String(spec.events),
    '--idle-timeout',
    '0',
    '--status-interval',
    '60',
    ...(spec.attacks === undefined ? [] : ['--generator-attacks', spec.attacks.join(',') || 'none']),
    ...(spec.barrierIntervalMs === undefined
      ? []
      : ['--barrier-interval-ms', String(spec.barrierIntervalMs)]),
    ...(spec.logSegmentBytes === undefined ? [] : ['--log-segment-size', String(spec.logSegmentBytes)]),
  ];
}

function rawLine(r: Record<string, unknown>): string {
  return [r.request_timestamp, r.ip_address, r.url, r.status_code, r.user_agent].join('|');
}

/** Each retained raw event of the reference source as `Expected.raw` has it. */
export const RAW_LINE_SQL = `SELECT concat_ws('|', epoch_us(request_timestamp), ip_address, url, status_code, user_agent)
  FROM website_logs_source`;

/** The stream's records in the order the generator makes them. */
function* streamRecords(spec: StreamSpec): Generator<LogRecord> {
  const clock = generatorClock(String(spec.rate), START, '1');
  const attacks = attacksFrom(spec.attacks ?? ['all']);
  const gen = new TrafficGenerator({ ...clock.traffic, seed: spec.seed, attacks });
  for (let i = 0; i < spec.events; i++) yield gen.next();
}

/** The stream's records as NDJSON lines, in order: what `tidewatch generate` prints for it. */
export function streamLines(spec: StreamSpec): string[] {
  return Array.from(streamRecords(spec), toJsonLine);
}

/** The views and raw events of an uninterrupted run, computed in process. */
export async function expectedRun(spec: StreamSpec): Promise<Expected> {
  const engine = new Engine({ autoEpoch: false, idleTimeoutMs: 0 });
  await engine.execute(PIPELINE);
  await engine.execute(DETECTIONS);
  const raw: string[] = [];
  const records = streamRecords(spec);
  for (let i = 0; i < spec.events; i += 5000) {
    const batch = Array.from({ length: Math.min(5000, spec.events - i) }, () =>
      toSourceRecord(records.next().value as LogRecord),
    );
    for (const r of batch) raw.push(rawLine(r));
    engine.push('website_logs_source', batch);
  }
  engine.flush();
  const names = engine.list('materialized view');
  const views = Object.fromEntries(names.map((v) => [v, engine.rows(v)]));
  const columns = Object.fromEntries(names.map((v) => [v, engine.getRelation(v)?.columns ?? []]));
  engine.close();
  return { views, columns, raw: raw.sort() };
}

async function json(url: string): Promise<unknown> {
  return (await fetch(url)).json();
}

/**
 * A JSON answer of the HTTP API with every number kept as its text, so that numerics and
 * bigints compare exactly (digits and display scale): see `exactRows`.
 */
export async function exactJson(url: string): Promise<unknown> {
  const text = await (await fetch(url)).text();
  return JSON.parse(text, (_key, v: unknown, context?: { source?: string }) =>
    typeof v === 'number' ? context?.source : v,
  );
}

/**
 * Rows as `exactJson` reads them back from `/api/views`: times as the API writes them (ISO 8601
 * text, json-rows.ts), numbers, bigints and numerics as their JSON text.
 */
export function exactRows(rows: readonly Row[], columns: readonly ViewColumn[]): unknown[][] {
  return jsonRows(columns, rows).rows.map((r) =>
    r.map((v) => {
      if (typeof v === 'number') return Number.isFinite(v) ? JSON.stringify(v) : null;
      if (typeof v === 'bigint') return String(v);
      if (isNumericValue(v)) return v.special ?? formatNumeric(v);
      return v;
    }),
  );
}

/**
 * Starts `tidewatch` on `dataDir` and lets it finish the stream; asserts that it resumed from a
 * committed epoch (when `resumes`), that every view equals `expected` and that the retained
 * raw events are the stream's, each once. Returns the banner.
 */
export async function finishAndCheck(
  spec: StreamSpec,
  dataDir: string,
  expected: Expected,
  what: string,
): Promise<string> {
  const child = spawnCli(startArgs(spec, dataDir));
  const done = collect(child, 120_000);
  const banner = await waitForOutput(child, /Press Ctrl-C to stop/, 30_000);
  const url = /HTTP API +(http:\/\/\S+)/.exec(banner)?.[1] as string;
  // Wait until every event is in, then for one more epoch to commit (`/api/views` reads the
  // store's last commit).
  let epoch = Number.POSITIVE_INFINITY;
  for (;;) {
    const status = (await json(`${url}/api/status`)) as {
      epoch: number;
      committed_epoch: number | null;
      sources: { name: string; rows: number }[];
    };
    const logs = status.sources.find((s) => s.name === 'website_logs_source');
    if (logs?.rows === spec.events && epoch === Number.POSITIVE_INFINITY) epoch = status.epoch;
    if ((status.committed_epoch ?? -1) > epoch) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  const status = (await json(`${url}/api/status`)) as {
    sources: { name: string; rows: number; lateRows: number }[];
    views: { name: string; errors: number; lastError?: string }[];
  };
  assert.deepEqual(
    status.sources.filter((s) => s.name === 'website_logs_source').map((s) => [s.rows, s.lateRows]),
    [[spec.events, 0]],
  );
  assert.deepEqual(
    status.views.filter((v) => v.errors > 0),
    [],
    `no view skipped a row for a runtime error ${what}`,
  );
  for (const [name, rows] of Object.entries(expected.views)) {
    const view = (await exactJson(`${url}/api/views?name=${name}`)) as { rows: unknown[][] };
    assert.deepEqual(view.rows, exactRows(rows, expected.columns[name] ?? []), `${name} ${what}`);
  }
  child.kill('SIGINT');
  const result = await done;
  assert.equal(result.code, 0, result.stderr);
  const store = join(dataDir, 'tidewatch.duckdb');
  const instance = await DuckDBInstance.create(store);
  const conn = await instance.connect();
  // The raw events are in a database of their own, attached as tidewatch attaches it.
  await conn.run(
    `ATTACH '${rawFileOf(store)}' AS ${RAW_DATABASE}; SET search_path = 'main,${RAW_DATABASE}.main'`,
  );
  const retained = (await conn.runAndReadAll(RAW_LINE_SQL)).getRows().map((r) => r[0] as string);
  conn.closeSync();
  instance.closeSync();
  assert.equal(retained.length, spec.events, `raw events ${what}`);
  assert.deepEqual(retained.sort(), expected.raw, `raw events retained exactly once ${what}`);
  return banner;
}
