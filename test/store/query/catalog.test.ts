/**
 * The PostgreSQL catalog of an ad-hoc session, as Grafana's PostgreSQL data source and psql
 * 15 introspect it: version checks, schema/table/column pickers (materialized views
 * included, as RisingWave lists them), `\l`, `\dt`, `\dm`, `\d`, `\d name` (every query psql
 * sends must run); the catalog follows tidewatch's relations as they change, and each
 * session keeps its catalog to itself, outside the data file.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { type TestContext, test } from 'node:test';
import { arrayOf, T } from '../../../src/sql/types.ts';
import {
  AdHocSession,
  type SourceIngestion,
  type StoredRelation,
} from '../../../src/store/query/ad-hoc-session.ts';
import { SharedCatalog } from '../../../src/store/query/catalog-tables.ts';
import { ViewStore } from '../../../src/store/view-store.ts';
import { tempDir } from '../helpers.ts';
import {
  grafanaColumns,
  grafanaSchemas,
  grafanaTables,
  grafanaTablesOf,
  grafanaTimescale,
  grafanaVersion,
} from './grafana-queries.ts';
import {
  psqlDescribeByOid,
  psqlDescribeLookup,
  psqlList,
  psqlMaterializedViews,
  psqlRelations,
  psqlSchemas,
  psqlTables,
  psqlViews,
} from './psql-queries.ts';

const metrics: StoredRelation = {
  name: 'website_user_metrics',
  kind: 'materialized view',
  columns: [
    { name: 'username', type: T.varchar },
    { name: 'total_requests', type: T.int8 },
    { name: 'avg_response_time', type: T.numeric },
    { name: 'window_start', type: T.timestamp },
    { name: 'tags', type: arrayOf(T.text) },
  ],
  definition: 'CREATE MATERIALIZED VIEW website_user_metrics AS SELECT …',
};
const blocklist: StoredRelation = {
  name: 'blocklist',
  kind: 'table',
  columns: [
    { name: 'ip_address', type: T.varchar },
    { name: 'added_at', type: T.timestamptz },
  ],
};
const source: StoredRelation = {
  name: 'website_logs_source',
  kind: 'source',
  columns: [
    { name: 'request_timestamp', type: T.timestamp },
    { name: 'ip_address', type: T.varchar },
    { name: 'status_code', type: T.int4 },
  ],
  definition:
    "CREATE SOURCE website_logs_source (…) WITH (connector = 'kafka', topic = 'logs') FORMAT PLAIN ENCODE JSON",
  source: {
    options: { connector: 'kafka', topic: 'logs', 'properties.bootstrap.server': 'localhost:9092' },
    format: { format: 'PLAIN', encode: 'JSON', options: {} },
  },
};

async function setup(
  t: TestContext,
  settings: (name: string) => string | undefined = () => undefined,
  ingestion: () => readonly SourceIngestion[] = () => [],
) {
  const store = await ViewStore.open(join(tempDir(t, 'tidewatch-catalog-'), 'views.duckdb'));
  for (const r of [metrics, blocklist]) await store.defineView(r.name, r.columns);
  const relations: StoredRelation[] = [metrics, blocklist, source];
  const sessions: AdHocSession[] = [];
  t.after(async () => {
    for (const s of sessions) s.close();
    await store.close();
  });
  // As the endpoint does: the sessions of one store share the catalog tables.
  const shared = new SharedCatalog();
  const open = async () => {
    const s = await AdHocSession.open(await store.connectReader(), shared, () => relations, settings, {
      ingestion,
    });
    sessions.push(s);
    return s;
  };
  return { store, relations, session: await open(), open };
}

const column = (rows: readonly unknown[][], i = 0) => rows.map((r) => r[i]);
/** The rw_catalog relations tidewatch has, by name. */
const rwCatalogTables = [
  'rw_kafka_source_metrics',
  'rw_sinks',
  'rw_sources',
  'rw_users',
  'tidewatch_sinks',
  'tidewatch_source_ingestion',
  'tidewatch_view_errors',
];

test('Grafana: version, TimescaleDB and search_path checks', async (t) => {
  const { session } = await setup(t);
  const version = await session.query(grafanaVersion);
  assert.deepEqual(version.columns, [{ name: 'version', type: T.int4 }]);
  assert.deepEqual(version.rows, [[1300]]);
  const timescale = await session.query(grafanaTimescale);
  assert.deepEqual(
    timescale.columns.map((c) => c.name),
    ['extversion'],
  );
  assert.deepEqual(timescale.rows, []);
  const s = await session.query(
    "SELECT current_setting('search_path'), current_setting('TimeZone'), current_setting('server_version')",
  );
  assert.deepEqual(s.rows, [['"$user", public', 'UTC', '13.14.0']]);
});

test('settings come from the callback first', async (t) => {
  const { session } = await setup(t, (name) => (name === 'server_version_num' ? '150004' : undefined));
  assert.deepEqual((await session.query(grafanaVersion)).rows, [[1500]]);
  const row = await session.query("SELECT setting FROM pg_settings WHERE name = 'server_version_num'");
  assert.deepEqual(row.rows, [['150004']]);
  await assert.rejects(session.query("SELECT current_setting('no_such_thing')"), { sqlstate: '42704' });
  assert.deepEqual((await session.query("SELECT current_setting('no_such_thing', true)")).rows, [[null]]);
});

test('Grafana: schema, table and column pickers list tables, views and sources', async (t) => {
  const { session } = await setup(t);
  assert.deepEqual((await session.query(grafanaSchemas)).rows, [['public'], ['rw_catalog']]);
  const expected = [['blocklist'], ['website_logs_source'], ['website_user_metrics']];
  assert.deepEqual((await session.query(grafanaTablesOf('public'))).rows, expected);
  const tables = await session.query(grafanaTables);
  assert.deepEqual(tables.columns, [{ name: 'table', type: T.text }]);
  // rw_catalog is not on search_path: Grafana qualifies its relations and lists them last.
  assert.deepEqual(tables.rows, [...expected, ...rwCatalogTables.map((name) => [`rw_catalog.${name}`])]);
  for (const name of ['website_user_metrics', 'public.website_user_metrics']) {
    const cols = await session.query(grafanaColumns(name));
    assert.deepEqual(
      cols.columns.map((c) => c.name),
      ['column', 'type'],
    );
    assert.deepEqual(cols.rows, [
      ['username', 'character varying'],
      ['total_requests', 'bigint'],
      ['avg_response_time', 'numeric'],
      ['window_start', 'timestamp without time zone'],
      ['tags', 'ARRAY'],
    ]);
  }
  const types = await session.query(
    `SELECT table_name, table_type, is_insertable_into FROM information_schema.tables
     WHERE table_schema = 'public' ORDER BY table_name`,
  );
  assert.deepEqual(types.rows, [
    ['blocklist', 'BASE TABLE', 'YES'],
    ['website_logs_source', 'BASE TABLE', 'NO'],
    ['website_user_metrics', 'MATERIALIZED VIEW', 'NO'],
  ]);
  const views = await session.query('SELECT table_name, view_definition FROM information_schema.views');
  assert.deepEqual(views.rows, [['website_user_metrics', metrics.definition]]);
  const udt = await session.query(
    `SELECT column_name, udt_name, ordinal_position, numeric_precision FROM information_schema.columns
     WHERE table_name = 'blocklist' ORDER BY ordinal_position`,
  );
  assert.deepEqual(udt.rows, [
    ['ip_address', 'varchar', 1, null],
    ['added_at', 'timestamptz', 2, null],
  ]);
});

test('psql: \\l, \\dt, \\dm, \\dv, \\d and \\dn', async (t) => {
  const { session } = await setup(t);
  const list = await session.query(psqlList);
  assert.deepEqual(
    list.columns.map((c) => c.name),
    ['Name', 'Owner', 'Encoding', 'Collate', 'Ctype', 'ICU Locale', 'Locale Provider', 'Access privileges'],
  );
  assert.deepEqual(list.rows, [['dev', 'root', 'UTF8', 'C', 'C.UTF-8', null, 'libc', null]]);
  // RisingWave's search path ends in rw_catalog: its relations are visible, as RisingWave's \d shows them.
  assert.deepEqual((await session.query(psqlTables)).rows, [
    ['public', 'blocklist', 'table', 'root'],
    ['public', 'website_logs_source', 'table', 'root'],
    ...rwCatalogTables.map((name) => ['rw_catalog', name, 'table', 'root']),
  ]);
  assert.deepEqual((await session.query(psqlMaterializedViews)).rows, [
    ['public', 'website_user_metrics', 'materialized view', 'root'],
  ]);
  assert.deepEqual((await session.query(psqlViews)).rows, []);
  assert.deepEqual(column((await session.query(psqlRelations)).rows, 1), [
    'blocklist',
    'website_logs_source',
    'website_user_metrics',
    ...rwCatalogTables,
  ]);
  assert.deepEqual((await session.query(psqlSchemas)).rows, [
    ['public', 'root'],
    ['rw_catalog', 'root'],
  ]);
});

test('psql: \\d name runs every query psql sends and shows the columns', async (t) => {
  const { session } = await setup(t);
  const lookup = await session.query(psqlDescribeLookup('website_user_metrics'));
  assert.equal(lookup.rows.length, 1);
  const [oid, schema, name] = lookup.rows[0] as [number, string, string];
  assert.deepEqual([schema, name], ['public', 'website_user_metrics']);
  const results = [];
  for (const sql of psqlDescribeByOid) results.push(await session.query(sql.replaceAll(':oid', String(oid))));
  const [relation, attributes] = results;
  assert.deepEqual(relation?.rows[0]?.slice(0, 2), [0, 'm']);
  assert.deepEqual(
    attributes?.rows.map((r) => r.slice(0, 2)),
    [
      ['username', 'character varying'],
      ['total_requests', 'bigint'],
      ['avg_response_time', 'numeric'],
      ['window_start', 'timestamp without time zone'],
      ['tags', 'text[]'],
    ],
  );
  const viewdef = results.find((r) => r.columns[0]?.name === 'pg_get_viewdef');
  assert.deepEqual(viewdef?.rows, [[metrics.definition]]);
  const again = await session.query(psqlDescribeLookup('website_user_metrics'));
  assert.deepEqual(again.rows[0]?.[0], oid, 'the OID is stable');
  assert.deepEqual((await session.query(psqlDescribeLookup('nothing_like_this'))).rows, []);
  const table = await session.query(psqlDescribeLookup('blocklist'));
  const tableOid = table.rows[0]?.[0] as number;
  const kind = await session.query(psqlDescribeByOid[0]?.replaceAll(':oid', String(tableOid)) ?? '');
  assert.equal(kind.rows[0]?.[1], 'r');
});

test('catalog functions answer as PostgreSQL does', async (t) => {
  const { session } = await setup(t);
  const r =
    await session.query(`SELECT version() LIKE 'PostgreSQL 13.14.0%', current_database(), current_schema(),
      current_schemas(true), current_user, user, quote_ident('Web Logs'), quote_ident('select'), quote_ident('ok_1'),
      parse_ident('public."My Table"'), format_type(1184, NULL), format_type(1007, NULL), pg_typeof(42),
      'website_user_metrics'::regclass::oid = (SELECT oid FROM pg_class WHERE relname = 'website_user_metrics'),
      obj_description(1, 'pg_class'), pg_get_userbyid(10), pg_table_is_visible(1), array_length(ARRAY[1, 2, 3], 1),
      array_lower(ARRAY['a'], 1), array_upper(ARRAY['a', 'b'], 1), array_length(string_to_array('', ','), 1)`);
  assert.deepEqual(r.rows, [
    [
      true,
      'dev',
      'public',
      ['pg_catalog', 'public'],
      'root',
      'root',
      '"Web Logs"',
      '"select"',
      'ok_1',
      ['public', 'My Table'],
      'timestamp with time zone',
      'integer[]',
      'integer',
      true,
      null,
      'root',
      true,
      3,
      1,
      2,
      null,
    ],
  ]);
  const names = await session.query(
    `SELECT c.oid::regclass AS name, a.attname FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid
     WHERE c.relname = 'blocklist' ORDER BY a.attnum`,
  );
  assert.deepEqual(names.rows, [
    ['blocklist', 'ip_address'],
    ['blocklist', 'added_at'],
  ]);
  await assert.rejects(session.query("SELECT 'no_such_relation'::regclass"), { sqlstate: '42P01' });
});

test('the catalog follows tidewatch’s relations in every session, and none of it is in the data file', async (t) => {
  const { session, relations, open, store } = await setup(t);
  const other = await open();
  const count = "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'";
  assert.deepEqual((await session.query(count)).rows, [[3]]);
  await store.defineView('late_view', [{ name: 'x', type: T.int4 }]);
  relations.push({ name: 'late_view', kind: 'materialized view', columns: [{ name: 'x', type: T.int4 }] });
  assert.deepEqual((await session.query(count)).rows, [[4]]);
  assert.deepEqual((await session.query('SELECT * FROM late_view')).rows, []);
  assert.deepEqual((await other.query(count)).rows, [[4]]);
  relations.splice(relations.length - 1, 1);
  assert.deepEqual((await other.query(count)).rows, [[3]]);
  await assert.rejects(other.query('SELECT * FROM late_view'), { sqlstate: '42P01' });
  const conn = await store.connectReader();
  try {
    const tables = await conn.runAndReadAll(
      "SELECT table_name FROM duckdb_tables() WHERE database_name = current_database() AND table_name LIKE 'tw\\_\\_%' ESCAPE '\\'",
    );
    assert.deepEqual(tables.getRows(), [], 'no catalog table in the data file');
  } finally {
    conn.closeSync();
  }
});

test('rw_catalog.rw_sources: RisingWave’s columns, a source’s id its pg_class OID, unqualified too', async (t) => {
  const { session, relations } = await setup(t);
  relations.push({
    name: 'posted_logs',
    kind: 'source',
    columns: [{ name: 'line', type: T.varchar }],
    definition: 'CREATE SOURCE posted_logs (line VARCHAR)',
    source: { options: {} },
  });
  const all = await session.query('SELECT * FROM rw_catalog.rw_sources ORDER BY name');
  assert.deepEqual(
    all.columns.map((c) => `${c.name} ${c.type.name}`),
    [
      'id int4',
      'name varchar',
      'schema_id int4',
      'owner int4',
      'connector varchar',
      'columns array',
      'format varchar',
      'row_encode varchar',
      'append_only boolean',
      'associated_table_id int4',
      'connection_id int4',
      'definition varchar',
      'acl array',
      'initialized_at timestamptz',
      'created_at timestamptz',
      'initialized_at_cluster_version varchar',
      'created_at_cluster_version varchar',
      'is_shared boolean',
      'connector_props jsonb',
      'format_encode_options jsonb',
    ],
  );
  const shown = await session.query(
    `SELECT name, connector, columns, format, row_encode, append_only, definition, is_shared,
       connector_props, owner = (SELECT relowner FROM pg_class WHERE relname = name),
       schema_id = (SELECT oid FROM pg_namespace WHERE nspname = 'public')
     FROM rw_sources ORDER BY name`,
  );
  assert.deepEqual(shown.rows, [
    [
      'posted_logs',
      null,
      ['line'],
      null,
      null,
      true,
      'CREATE SOURCE posted_logs (line VARCHAR)',
      true,
      {},
      true,
      true,
    ],
    [
      'website_logs_source',
      'KAFKA',
      ['request_timestamp', 'ip_address', 'status_code'],
      'FORMAT_TYPE_PLAIN',
      'ENCODE_TYPE_JSON',
      true,
      source.definition,
      true,
      {
        connector: { type: 'plaintext', value: 'kafka' },
        topic: { type: 'plaintext', value: 'logs' },
        'properties.bootstrap.server': { type: 'plaintext', value: 'localhost:9092' },
      },
      true,
      true,
    ],
  ]);
  const ids = await session.query(
    `SELECT s.name, s.id = c.oid, 'website_logs_source'::regclass::oid = c.oid
     FROM rw_sources s JOIN pg_class c ON c.relname = s.name ORDER BY 1`,
  );
  assert.deepEqual(ids.rows, [
    ['posted_logs', true, false],
    ['website_logs_source', true, true],
  ]);
  assert.deepEqual(
    (await session.query("SELECT count(*)::int FROM rw_sources WHERE name = 'blocklist'")).rows,
    [[0]],
    'tables and views are no sources',
  );
  const schema = await session.query(
    `SELECT n.nspname, c.relkind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE c.relname = 'rw_sources'`,
  );
  assert.deepEqual(schema.rows, [['rw_catalog', 'r']]);
  const info = await session.query(
    `SELECT data_type FROM information_schema.columns
     WHERE table_schema = 'rw_catalog' AND table_name = 'rw_sources' AND column_name = 'columns'`,
  );
  assert.deepEqual(info.rows, [['ARRAY']]);
  await assert.rejects(session.query('SELECT * FROM public.rw_sources'), { sqlstate: '42P01' });
  await assert.rejects(session.query('SELECT * FROM rw_catalog.website_logs_source'), { sqlstate: '42P01' });
});

test('a tidewatch relation named like a rw_catalog one comes first, unqualified', async (t) => {
  const { session, relations, store } = await setup(t);
  await store.defineView('rw_sources', [{ name: 'mine', type: T.int4 }]);
  relations.push({
    name: 'rw_sources',
    kind: 'materialized view',
    columns: [{ name: 'mine', type: T.int4 }],
  });
  const own = await session.query('SELECT * FROM rw_sources');
  assert.deepEqual(
    own.columns.map((c) => c.name),
    ['mine'],
  );
  const system = await session.query('SELECT name FROM rw_catalog.rw_sources');
  assert.deepEqual(system.rows, [['website_logs_source']]);
});

test('rw_kafka_source_metrics and tidewatch_source_ingestion show the ingestion of the moment at every query', async (t) => {
  const partitions = [
    { partition: 0, position: 0, highWatermark: 0 },
    { partition: 1, position: 3, highWatermark: 5 },
    { partition: 2, position: null, highWatermark: null },
  ];
  let ingestion: SourceIngestion[] = [
    {
      source: 'website_logs_source',
      kind: 'kafka',
      state: 'reading',
      records: 3,
      rejected: 0,
      lag: 2,
      partitions,
    },
    { source: 'website_logs_source', kind: 'log', state: 'waiting', records: 7, rejected: 1, lag: 0 },
  ];
  let asked = 0;
  const { session, open } = await setup(t, undefined, () => {
    asked++;
    return ingestion;
  });
  const metrics = `SELECT s.name, m.partition_id, m.high_watermark, m.latest_offset,
      m.high_watermark - m.latest_offset - 1 AS lag
    FROM rw_kafka_source_metrics m JOIN rw_sources s ON s.id = m.source_id ORDER BY m.partition_id`;
  const first = await session.query(metrics);
  assert.deepEqual(
    first.columns.map((c) => `${c.name} ${c.type.name}`),
    ['name varchar', 'partition_id varchar', 'high_watermark int8', 'latest_offset int8', 'lag int8'],
  );
  assert.deepEqual(first.rows, [
    ['website_logs_source', '0', 0, null, null],
    ['website_logs_source', '1', 5, 2, 2],
    ['website_logs_source', '2', null, null, null],
  ]);
  const fed = `SELECT source_name, kind, state, records, rejected, lag, bytes_behind, error,
      source_id = (SELECT oid FROM pg_class WHERE relname = source_name) AS same_id
    FROM tidewatch_source_ingestion ORDER BY kind`;
  assert.deepEqual((await session.query(fed)).rows, [
    ['website_logs_source', 'kafka', 'reading', 3, 0, 2, null, null, true],
    ['website_logs_source', 'log', 'waiting', 7, 1, 0, null, null, true],
  ]);
  const before = asked;
  await session.query('SELECT * FROM blocklist');
  await session.query('SELECT * FROM rw_sources');
  assert.equal(asked, before, 'queries not reading them do not ask');

  ingestion = [
    {
      source: 'website_logs_source',
      kind: 'kafka',
      state: 'retrying',
      records: 5,
      rejected: 1,
      lag: 0,
      error: 'connect ECONNREFUSED',
      partitions: [
        { partition: 0, position: 1, highWatermark: 1 },
        { partition: 1, position: 5, highWatermark: 5 },
      ],
    },
    {
      source: 'website_logs_source',
      kind: 'file',
      state: 'reading',
      records: 9,
      rejected: 2,
      bytesBehind: 120,
    },
  ];
  assert.deepEqual((await session.query(metrics)).rows, [
    ['website_logs_source', '0', 1, 0, 0],
    ['website_logs_source', '1', 5, 4, 0],
  ]);
  const other = await open();
  for (const s of [session, other])
    assert.deepEqual((await s.query(fed)).rows, [
      ['website_logs_source', 'file', 'reading', 9, 2, null, 120, null, true],
      ['website_logs_source', 'kafka', 'retrying', 5, 1, 0, null, 'connect ECONNREFUSED', true],
    ]);
  ingestion = [];
  assert.deepEqual(
    (await session.query('SELECT count(*)::int FROM rw_catalog.rw_kafka_source_metrics')).rows,
    [[0]],
  );
  assert.deepEqual(
    (await session.query('SELECT count(*)::int FROM rw_catalog.tidewatch_source_ingestion')).rows,
    [[0]],
  );
});
