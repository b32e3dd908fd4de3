/**
 * The relations of the sources' ingestion through the real TidewatchPgBackend and a `pg`
 * client: while the store does not change — so a cached answer would still count as fresh —
 * every query reading them answers what the ingestion is now, whichever way the query names
 * them and however it is sent (simple query, or a prepared statement run again; from two
 * sessions).
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import pg from 'pg';
import type { RelationInfo } from '../../src/engine/engine.ts';
import { TidewatchPgBackend } from '../../src/serve/pg-backend.ts';
import { listenPg } from '../../src/serve/pgwire/server.ts';
import { T } from '../../src/sql/types.ts';
import type { SourceIngestion } from '../../src/store/query/ad-hoc-session.ts';
import { ViewStore } from '../../src/store/view-store.ts';
import { tempDir } from '../store/helpers.ts';

const logs: RelationInfo = {
  name: 'logs',
  kind: 'source',
  columns: [{ name: 'url', type: T.varchar }],
  definition:
    "CREATE SOURCE logs (url VARCHAR) WITH (connector = 'kafka', topic = 'logs') FORMAT PLAIN ENCODE JSON",
  key: undefined,
  appendOnly: false,
  source: {
    options: new Map([
      ['connector', 'kafka'],
      ['topic', 'logs'],
    ]),
    format: { format: 'PLAIN', encode: 'JSON', options: new Map() },
  },
};
const hits: RelationInfo = {
  name: 'hits',
  kind: 'materialized view',
  columns: [{ name: 'n', type: T.int8 }],
  definition: 'CREATE MATERIALIZED VIEW hits AS SELECT count(*) AS n FROM logs',
  key: [],
  appendOnly: false,
};

const fedAt = (records: number): SourceIngestion[] => [
  {
    source: 'logs',
    kind: 'kafka',
    state: 'reading',
    records,
    rejected: 0,
    lag: 10 - records,
    partitions: [{ partition: 0, position: records, highWatermark: 10 }],
  },
];

test('rw_kafka_source_metrics and tidewatch_source_ingestion are never answered from the result cache', async (t) => {
  const store = await ViewStore.open(join(tempDir(t, 'tw-ingestion-catalog-'), 'views.duckdb'));
  await store.defineView('hits', hits.columns);
  await store.commit(1, new Map([['hits', { rows: [[1]], weights: [1] }]]));
  let ingestion = fedAt(1);
  const backend = new TidewatchPgBackend({
    execute: () => Promise.reject(new Error('no engine statements here')),
    flush: () => Promise.reject(new Error('no engine statements here')),
    insertValues: () => Promise.reject(new Error('no engine statements here')),
    describeParams: () => [],
    connectReader: () => store.connectReader(),
    relations: () => [hits, logs],
    insertRows: () => Promise.reject(new Error('no rows copied here')),
    subscriptions: store,
    storeVersion: () => store.version,
    ingestion: () => ingestion,
  });
  const server = await listenPg(backend, { host: '127.0.0.1', port: 0 });
  const clients = [new pg.Client({ host: '127.0.0.1', port: server.port, user: 'root', database: 'dev' })];
  clients.push(new pg.Client({ host: '127.0.0.1', port: server.port, user: 'root', database: 'dev' }));
  t.after(async () => {
    for (const c of clients) await c.end().catch(() => undefined);
    await server.close();
    await backend.close();
    await store.close();
  });
  for (const c of clients) await c.connect();
  const [one, two] = clients as [pg.Client, pg.Client];
  const version = store.version;

  const queries = [
    'SELECT latest_offset FROM rw_kafka_source_metrics',
    'SELECT latest_offset FROM rw_catalog.rw_kafka_source_metrics m JOIN rw_sources s ON s.id = m.source_id',
    'select LATEST_OFFSET + 1 as records from RW_KAFKA_SOURCE_METRICS',
    'SELECT records - 1 FROM tidewatch_source_ingestion',
    'SELECT records - 1 FROM "rw_catalog"."tidewatch_source_ingestion"',
  ];
  for (let records = 1; records <= 4; records++) {
    ingestion = fedAt(records);
    for (const [i, sql] of queries.entries()) {
      const expected = sql.includes('as records') ? records : records - 1;
      for (const client of [one, two]) {
        const simple = await client.query({ text: sql, rowMode: 'array' });
        // A named statement: parsed once, then bound and run again at every round (extended protocol).
        const extended = await client.query({ name: `q${i}`, text: sql, rowMode: 'array' });
        for (const r of [simple, extended])
          assert.equal(Number(r.rows[0]?.[0]), expected, `${sql} at ${records}`);
      }
    }
  }
  assert.equal(store.version, version, 'the store did not change meanwhile');
});
