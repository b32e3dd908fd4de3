/**
 * The same data in tidewatch's store and in a throwaway PostgreSQL 15, for the ad-hoc query
 * differential tests: the reference pipeline runs in the engine over generated traffic (most
 * of it on 2024-01-25 from 12:00, the last events in the hours before now, for `now()`
 * filters); its views and a table with duplicate rows are committed to a ViewStore epoch by
 * epoch, the source's raw events go to a DuckDB table as retained events do (`__tw_epoch`
 * last). PostgreSQL gets a plain table per relation with the same rows (duplicates
 * included), so any query must give the same answer in both.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { toSourceRecord } from '../../../src/connectors/generator-source.ts';
import { Engine } from '../../../src/engine/engine.ts';
import { TrafficGenerator } from '../../../src/generator/traffic.ts';
import { formatType, type SqlType, type Value } from '../../../src/sql/types.ts';
import { formatValue } from '../../../src/sql/value-text.ts';
import { AdHocSession, type StoredRelation } from '../../../src/store/query/ad-hoc-session.ts';
import { SharedCatalog } from '../../../src/store/query/catalog-tables.ts';
import { duckTypeOfSql, toDuckValue } from '../../../src/store/query/duck-values.ts';
import {
  PendingDeltas,
  quoteIdent,
  RAW_DATABASE,
  rawTable,
  ViewStore,
} from '../../../src/store/view-store.ts';
import type { Row } from '../../../src/stream/value.ts';
import { startPostgres, type TestPostgres } from '../../helpers/postgres.ts';
import { tempDir } from '../helpers.ts';

const PIPELINE = readFileSync(new URL('../../../pipelines/website-security.sql', import.meta.url), 'utf8');

export const SOURCE = 'website_logs_source';

const EXTRA = `
  CREATE TABLE blocklist (ip_address VARCHAR, reason VARCHAR, added_at TIMESTAMPTZ, hits INT);
  CREATE MATERIALIZED VIEW blocked_hits AS
    SELECT b.reason, COUNT(*) AS hits, MAX(s.request_timestamp) AS last_seen
    FROM website_logs_source AS s JOIN blocklist AS b ON b.ip_address = s.ip_address
    GROUP BY b.reason;
  CREATE TABLE amounts (id INT, label VARCHAR, amount NUMERIC, big BIGINT, ratio DOUBLE PRECISION)`;

export interface Fixture {
  readonly store: ViewStore;
  readonly session: AdHocSession;
  readonly pg: TestPostgres;
  readonly relations: readonly StoredRelation[];
  /** An IP address with events in the last hours. */
  readonly recentIp: string;
  /** Opens another session on the same store. */
  openSession(): Promise<AdHocSession>;
}

function pgLiteralRows(rows: readonly Row[], types: readonly SqlType[]): (string | null)[][] {
  return rows.map((r) => types.map((t, i) => formatValue((r[i] ?? null) as Value, t)));
}

async function loadPostgres(pg: TestPostgres, rel: StoredRelation, rows: readonly Row[]): Promise<void> {
  const cols = rel.columns.map((c) => `${quoteIdent(c.name)} ${formatType(c.type)}`).join(', ');
  await pg.client.query(`CREATE TABLE ${quoteIdent(rel.name)} (${cols})`);
  const texts = pgLiteralRows(
    rows,
    rel.columns.map((c) => c.type),
  );
  const width = rel.columns.length;
  for (let from = 0; from < texts.length; from += 500) {
    const chunk = texts.slice(from, from + 500);
    const tuples = chunk.map((_, r) => `(${rel.columns.map((_c, i) => `$${r * width + i + 1}`).join(', ')})`);
    await pg.client.query(`INSERT INTO ${quoteIdent(rel.name)} VALUES ${tuples.join(', ')}`, chunk.flat());
  }
}

async function loadRawEvents(
  store: ViewStore,
  rel: StoredRelation,
  rows: readonly { epoch: number; row: Row }[],
) {
  const conn = await store.connectReader();
  try {
    const cols = rel.columns.map((c) => `${quoteIdent(c.name)} ${duckTypeOfSql(c.type).toString()}`);
    await conn.run(`CREATE TABLE ${rawTable(rel.name)} (${[...cols, '__tw_epoch BIGINT'].join(', ')})`);
    const a = await conn.createAppender(rel.name, 'main', RAW_DATABASE);
    for (const { epoch, row } of rows) {
      rel.columns.forEach((c, i) => {
        a.appendValue(toDuckValue((row[i] ?? null) as Value, c.type), duckTypeOfSql(c.type));
      });
      a.appendBigInt(BigInt(epoch));
      a.endRow();
    }
    a.closeSync();
  } finally {
    conn.closeSync();
  }
}

export async function openFixture(t: TestContext): Promise<Fixture> {
  const pg = await startPostgres();
  const store = await ViewStore.open(join(tempDir(t, 'tidewatch-query-'), 'views.duckdb'));
  const engine = new Engine({ autoEpoch: false, idleTimeoutMs: 0 });
  const sessions: AdHocSession[] = [];
  t.after(async () => {
    for (const s of sessions) s.close();
    engine.close();
    await store.close();
    await pg.stop();
  });
  await engine.execute(PIPELINE);
  await engine.execute(EXTRA);

  const pending = new PendingDeltas();
  engine.onStoreCommit((rel, delta) => pending.add(rel, delta));
  const raw: { epoch: number; row: Row }[] = [];
  engine.onSourceInput((source, rows) => {
    if (source === SOURCE) for (const row of rows) raw.push({ epoch: engine.epoch + 1, row });
  });
  const stored = () => [...engine.list('table'), ...engine.list('materialized view')];
  const defined = new Set<string>();
  const commit = async () => {
    engine.flush();
    for (const name of stored())
      if (!defined.has(name)) {
        await store.defineView(name, engine.getRelation(name)?.columns ?? []);
        defined.add(name);
      }
    await store.commit(engine.epoch, pending.take());
  };

  const gen = new TrafficGenerator({ seed: 11, rate: 4, startMs: Date.UTC(2024, 0, 25, 12, 0, 0) });
  const records = Array.from({ length: 2400 }, () => toSourceRecord(gen.next()));
  const recent = Array.from({ length: 240 }, (_, i) => ({
    ...toSourceRecord(gen.next()),
    request_timestamp: (Date.now() - (240 - i) * 120_000) * 1000,
  }));
  const ips = [...new Set(records.map((r) => r.ip_address as string))];
  for (let i = 0; i < records.length; i += 400) {
    engine.push(SOURCE, records.slice(i, i + 400));
    if (i === 800) {
      const [a, b, c] = ips as [string, string, string];
      await engine.execute(`INSERT INTO blocklist VALUES
        ('${a}', 'scanner', '2024-01-25 12:30:00+00', 3), ('${a}', 'scanner', '2024-01-25 12:30:00+00', 3),
        ('${b}', 'brute force', '2024-01-25 12:31:00+00', NULL), ('${c}', 'it''s "odd"', NULL, 7),
        ('203.0.113.9', 'never seen', '2024-01-26 00:00:00+00', 0)`);
      await engine.execute(`INSERT INTO amounts VALUES
        (1, 'a', 0.1, 9007199254740993, 0.5), (2, 'a', 0.2, 9223372036854775807, 1.5),
        (3, 'b', 1.50, -9223372036854775807, NULL), (4, 'b', 325, 1, 2.25), (5, 'c', NULL, NULL, 3),
        (6, 'c', 12345678901234567890.123456789, 4611686018427387904, -1), (7, 'd', -0.005, 7, 0),
        (8, 'd', 'NaN', 8, 1e300), (9, 'e', 2.500, 9007199254740993, -0.25), (10, 'e', 100.0, 3, 10),
        (11, 'f', 'Infinity', 0, NULL), (12, 'f', -7.25, -5, 1), (13, 'g', 9007199254740993, 2, 2)`);
    }
    await commit();
  }
  engine.push(SOURCE, recent);
  await commit();

  const relations: StoredRelation[] = stored().map((name) => ({
    name,
    kind: engine.list('table').includes(name) ? 'table' : 'materialized view',
    columns: engine.getRelation(name)?.columns ?? [],
    definition: `CREATE MATERIALIZED VIEW ${name} AS …`,
  }));
  const sourceColumns = engine.getRelation(SOURCE)?.columns ?? [];
  const source: StoredRelation = { name: SOURCE, kind: 'source', columns: sourceColumns, rawEvents: true };
  relations.push(source);
  await loadRawEvents(store, source, raw);
  for (const rel of relations)
    await loadPostgres(pg, rel, rel.kind === 'source' ? raw.map((r) => r.row) : engine.rows(rel.name));

  const shared = new SharedCatalog();
  const openSession = async () => {
    const s = await AdHocSession.open(await store.connectReader(), shared, () => relations);
    sessions.push(s);
    return s;
  };
  return {
    store,
    session: await openSession(),
    pg,
    relations,
    recentIp: (recent[recent.length - 5] as Record<string, unknown>).ip_address as string,
    openSession,
  };
}
