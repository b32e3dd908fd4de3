import assert from 'node:assert/strict';
import { test } from 'node:test';
import { sourceProgress, storedViewContents, viewRows } from '../../src/cli/http-answers.ts';
import { Engine } from '../../src/engine/engine.ts';
import { HttpError } from '../../src/serve/http.ts';

/** 2024-01-25T12:00:00Z in µs since 1970. */
const NOON = Date.UTC(2024, 0, 25, 12) * 1000;

async function engineWithEvents(): Promise<Engine> {
  const e = new Engine({ autoEpoch: false, idleTimeoutMs: 0 });
  await e.execute(`CREATE SOURCE plain (ts TIMESTAMP, n INT,
      WATERMARK FOR ts AS ts - INTERVAL '5 SECONDS') WITH (connector = 'datagen')`);
  await e.execute(`CREATE SOURCE zoned (ts TIMESTAMPTZ, n INT,
      WATERMARK FOR ts AS ts - INTERVAL '1 SECOND') WITH (connector = 'datagen')`);
  await e.execute('CREATE TABLE untimed (n INT)');
  await e.execute(`CREATE MATERIALIZED VIEW per_second AS
      SELECT window_start, count(*) AS events, max(ts) AS latest
      FROM TUMBLE(plain, ts, INTERVAL '1 SECOND') GROUP BY window_start`);
  e.push('plain', [
    [NOON + 250_123, 1],
    [NOON + 1_500_000, 2],
  ]);
  e.push('zoned', [[NOON + 3_000_000, 3]]);
  e.flush();
  return e;
}

test('sources: event time and watermark as their column writes them, null without one', async () => {
  const e = await engineWithEvents();
  const ingestion = { plain: [{ kind: 'log', state: 'waiting' as const, records: 2, rejected: 0 }] };
  assert.deepEqual(sourceProgress(e, ingestion), [
    {
      name: 'plain',
      rows: 2,
      lateRows: 0,
      maxEventTime: '2024-01-25T12:00:01.500',
      watermark: '2024-01-25T11:59:56.500',
      idle: false,
      ingestion: ingestion.plain,
    },
    { name: 'untimed', rows: 0, lateRows: 0, maxEventTime: null, watermark: null, idle: false },
    {
      name: 'zoned',
      rows: 1,
      lateRows: 0,
      maxEventTime: '2024-01-25T12:00:03.000Z',
      watermark: '2024-01-25T12:00:02.000Z',
      idle: false,
    },
  ]);
  e.close();
});

test('a view: typed columns and its rows with times as ISO 8601, to the microsecond', async () => {
  const e = await engineWithEvents();
  // The engine's committed rows stand in for the store's (`ViewStore.readRows`).
  const answerOf = viewRows((name) => storedViewContents(e.relations(), name, async (view) => e.rows(view)));
  const answer = await answerOf(new URLSearchParams('name=per_second'));
  assert.deepEqual(answer, {
    name: 'per_second',
    columns: [
      { name: 'window_start', type: 'timestamp without time zone' },
      { name: 'events', type: 'bigint' },
      { name: 'latest', type: 'timestamp without time zone' },
    ],
    rows: [
      ['2024-01-25T12:00:00.000', 1, '2024-01-25T12:00:00.250123'],
      ['2024-01-25T12:00:01.000', 1, '2024-01-25T12:00:01.500'],
    ],
  });
  const status = async (query: string) => {
    try {
      await answerOf(new URLSearchParams(query));
    } catch (error) {
      return error instanceof HttpError ? error.status : error;
    }
  };
  assert.equal(
    ((await answerOf(new URLSearchParams('name=Per_Second'))) as { name: string }).name,
    'per_second',
    'an unquoted name in any case',
  );
  assert.equal(await status(''), 400);
  assert.equal(await status('name=untimed'), 404, 'a table is not a view');
  assert.equal(await status('name=nope'), 404);
  e.close();
});
