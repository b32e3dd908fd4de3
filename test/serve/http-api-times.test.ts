/**
 * The HTTP API as a person reads it, from the real `tidewatch start` over a known stream:
 * `/api/views` answers columns with their PostgreSQL type names and timestamps as ISO 8601
 * text; `/api/status` the sources' event time and watermark as ISO 8601 too, its counters as
 * numbers. Times are read back with `micros` (a parser of the tests' own) and compared with the
 * stream's known answers.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import {
  type Endpoint,
  type KnownAnswers,
  knownAnswers,
  micros,
  STREAM,
  startEndpoint,
} from './endpoint-helpers.ts';

/** A timestamp without time zone: no zone, milliseconds and, when there are any, microseconds. */
const TIMESTAMP = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}(\d{3})?$/;

let endpoint: Endpoint | undefined;
let known: KnownAnswers;

before(async () => {
  known = await knownAnswers(STREAM);
  endpoint = await startEndpoint(STREAM, known);
});

after(async () => {
  await endpoint?.stop();
});

async function get(path: string): Promise<unknown> {
  const response = await fetch(`${endpoint?.httpUrl}${path}`);
  assert.equal(response.status, 200, `GET ${path}`);
  return response.json();
}

test('/api/views: columns with their PostgreSQL types, timestamps as ISO 8601 text', async () => {
  const view = (await get('/api/views?name=top_user_actions')) as {
    name: string;
    columns: { name: string; type: string }[];
    rows: unknown[][];
  };
  assert.equal(view.name, 'top_user_actions');
  assert.deepEqual(view.columns, [
    { name: 'user_action', type: 'character varying' },
    { name: 'count_user_activity', type: 'bigint' },
    { name: 'window_start', type: 'timestamp without time zone' },
    { name: 'window_end', type: 'timestamp without time zone' },
  ]);
  const expected = known.views.top_user_actions ?? [];
  assert.equal(view.rows.length, expected.length);
  assert.ok(view.rows.length > 0, 'the view holds rows');
  view.rows.forEach((row, i) => {
    const [action, count, start, end] = row;
    const [knownAction, knownCount, knownStart, knownEnd] = expected[i] ?? [];
    assert.equal(action, knownAction);
    assert.equal(count, knownCount, 'a count stays a JSON number');
    for (const [text, us] of [
      [start, knownStart],
      [end, knownEnd],
    ]) {
      assert.match(String(text), TIMESTAMP);
      assert.equal(micros(String(text)), us);
    }
  });
  assert.deepEqual([...new Set(view.rows.map((r) => r[2]))].sort(), [
    '2024-01-25T12:00:00.000',
    '2024-01-25T12:01:00.000',
    '2024-01-25T12:02:00.000',
  ]);
});

test('/api/status: event time and watermark as ISO 8601, counters as numbers', async () => {
  const status = (await get('/api/status')) as Record<string, unknown> & {
    sources: Record<string, unknown>[];
  };
  assert.match(String(status.started_at), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  for (const counter of ['uptime_seconds', 'events_total', 'events_per_second', 'epoch', 'committed_epoch'])
    assert.equal(typeof status[counter], 'number', counter);
  const logs = status.sources.find((s) => s.name === 'website_logs_source');
  assert.ok(logs !== undefined, JSON.stringify(status.sources));
  assert.equal(logs.rows, STREAM.events);
  assert.equal(logs.lateRows, 0);
  assert.match(String(logs.maxEventTime), TIMESTAMP);
  assert.match(String(logs.watermark), TIMESTAMP);
  const newest = known.events.at(-1)?.at;
  assert.equal(micros(String(logs.maxEventTime)), newest, 'the newest event time');
  // The reference pipeline's WATERMARK is the event time less 5 seconds.
  assert.equal(micros(String(logs.watermark)), (newest ?? 0) - 5_000_000, 'the watermark');
});
