import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { lineColumn, SqlError } from '../../src/sql/errors.ts';
import { formatInterval, parseInterval } from '../../src/sql/literals.ts';
import { parseScript, parseStatement, splitScript } from '../../src/sql/parse.ts';
import type { Statement } from '../../src/sql/statement.ts';

function one<K extends Statement['kind']>(sql: string, kind: K): Extract<Statement, { kind: K }> {
  const s = parseStatement(sql);
  assert.equal(s.kind, kind);
  return s as Extract<Statement, { kind: K }>;
}

function sqlError(f: () => unknown, sqlstate: string): SqlError {
  try {
    f();
  } catch (e) {
    assert.ok(e instanceof SqlError, `expected SqlError, got ${String(e)}`);
    assert.equal(e.sqlstate, sqlstate, e.message);
    return e;
  }
  assert.fail(`expected ${sqlstate}`);
}

describe('splitScript', () => {
  test('splits at top-level semicolons, keeping offsets', () => {
    const script = "-- header\nSELECT 'a;b';\n/* c; */ SELECT $$x;y$$ ;;\n  FLUSH";
    const parts = splitScript(script);
    assert.deepEqual(
      parts.map((p) => p.text),
      ["SELECT 'a;b'", 'SELECT $$x;y$$', 'FLUSH'],
    );
    for (const p of parts) assert.equal(script.slice(p.offset, p.end), p.text);
  });

  test('comment-only script has no statements', () => {
    assert.deepEqual(splitScript('-- ping'), []);
    assert.deepEqual(parseScript('  /* nothing */ ; '), []);
  });

  test('unterminated string is a syntax error with a position', () => {
    const e = sqlError(() => splitScript("SELECT 1; SELECT 'oops"), '42601');
    assert.equal(e.position, 18);
  });
});

describe('RisingWave clauses', () => {
  const source = `CREATE SOURCE IF NOT EXISTS logs (
  ts TIMESTAMP,
  ip VARCHAR,
  WATERMARK FOR ts AS ts - INTERVAL '5 SECONDS'
) INCLUDE key AS msg_key WITH (
  connector = 'kafka', topic = 'website_logs',
  properties.bootstrap.server = 'localhost:9092', scan.startup.mode = 'earliest'
) FORMAT PLAIN ENCODE JSON`;

  test('CREATE SOURCE: columns, watermark, options, format', () => {
    const s = one(source, 'CreateSource');
    assert.equal(s.name, 'logs');
    assert.equal(s.ifNotExists, true);
    assert.deepEqual(
      s.columns.map((c) => [c.name, c.type.name]),
      [
        ['ts', 'timestamp'],
        ['ip', 'varchar'],
      ],
    );
    assert.equal(s.watermark?.column, 'ts');
    assert.equal(s.watermark?.expr.text, "ts - INTERVAL '5 SECONDS'");
    assert.equal(s.watermark?.expr.offset, source.indexOf("ts - INTERVAL '5"));
    assert.deepEqual(s.watermark?.delay, { months: 0, days: 0, micros: 5_000_000 });
    assert.equal(s.options.get('properties.bootstrap.server'), 'localhost:9092');
    assert.equal(s.options.get('scan.startup.mode'), 'earliest');
    assert.equal(s.options.get('connector'), 'kafka');
    assert.equal(s.format?.format, 'PLAIN');
    assert.equal(s.format?.encode, 'JSON');
    assert.deepEqual(s.includes, [{ what: 'key', inner: undefined, alias: 'msg_key' }]);
    // Column offsets point into the original text.
    assert.equal(s.columns[1]?.offset, source.indexOf('ip VARCHAR'));
  });

  test('FORMAT PLAIN ENCODE ACCESS_LOG and ENCODE JSON keep the options after ENCODE', () => {
    const access = one(
      `CREATE SOURCE logs (ip_address VARCHAR, status_code INT) WITH (connector = 'file', path = '/var/log/nginx/access.log')
       FORMAT PLAIN ENCODE ACCESS_LOG (log_format = 'combined')`,
      'CreateSource',
    );
    assert.equal(access.options.get('connector'), 'file');
    assert.equal(access.format?.format, 'PLAIN');
    assert.equal(access.format?.encode, 'ACCESS_LOG');
    assert.deepEqual([...(access.format?.options ?? [])], [['log_format', 'combined']]);
    // format strings as the servers write them: quotes, backslashes and $ kept; keys lower-cased
    const nginx = one(
      `CREATE SOURCE logs (url TEXT) WITH (connector = 'kafka') FORMAT PLAIN ENCODE ACCESS_LOG (
         log_format = '$remote_addr - $remote_user [$time_local] "$request" $status ''$http_referer''',
         LOG_FORMAT_STYLE = 'nginx')`,
      'CreateSource',
    );
    assert.deepEqual(
      [...(nginx.format?.options ?? [])],
      [
        ['log_format', `$remote_addr - $remote_user [$time_local] "$request" $status '$http_referer'`],
        ['log_format_style', 'nginx'],
      ],
    );
    const apache = one(
      `CREATE SOURCE logs (url TEXT) FORMAT PLAIN ENCODE ACCESS_LOG (log_format = '%h %l %u %t \\"%r\\" %>s %b')`,
      'CreateSource',
    );
    assert.equal(apache.format?.options.get('log_format'), '%h %l %u %t \\"%r\\" %>s %b');
    const dollar = one(
      `CREATE SOURCE logs (url TEXT) FORMAT PLAIN ENCODE ACCESS_LOG (log_format = $f$%h "%r" '%{Referer}i'$f$)`,
      'CreateSource',
    );
    assert.equal(dollar.format?.options.get('log_format'), `%h "%r" '%{Referer}i'`);
    const json = one(
      "CREATE SOURCE j (a INT) WITH (connector = 'kafka') FORMAT PLAIN ENCODE JSON (timestamptz.handling.mode = 'milli')",
      'CreateSource',
    );
    assert.equal(json.format?.encode, 'JSON');
    assert.equal(json.format?.options.get('timestamptz.handling.mode'), 'milli');
    const bare = one(
      "CREATE SOURCE j (a INT) WITH (connector = 'kafka') FORMAT PLAIN ENCODE JSON",
      'CreateSource',
    );
    assert.equal(bare.format?.options.size, 0);
  });

  test('syntax errors after cutting still point into the original text', () => {
    const sql = "CREATE SOURCE s (a INT, b INTEGR) WITH (connector = 'kafka') FORMAT PLAIN ENCODE JSON";
    const e = sqlError(() => parseStatement(sql), '42704');
    assert.equal(e.position, sql.indexOf('INTEGR') + 1);
    const sql2 = "CREATE SOURCE s (a INT,, b INT) WITH (connector = 'kafka')";
    const e2 = sqlError(() => parseStatement(sql2), '42601');
    assert.equal(e2.position, sql2.indexOf(',,') + 2);
    const sql3 = "SELECT 1;\nCREATE SOURCE s (a INT) WITH (connector 'kafka')";
    const e3 = sqlError(() => parseScript(sql3), '42601');
    assert.equal(e3.position, sql3.indexOf("'kafka'") + 1);
    assert.deepEqual(lineColumn(sql3, e3.position ?? 0), { line: 2, column: 41 });
  });

  test('positions survive non-ASCII text', () => {
    const sql = "SELECT 'café'; SELECT x FROM WHERE";
    const e = sqlError(() => parseScript(sql), '42601');
    assert.equal(e.position, sql.indexOf('WHERE') + 1);
  });

  test('CREATE TABLE with watermark, primary key, APPEND ONLY and connector', () => {
    const t = one(
      "CREATE TABLE t (id INT PRIMARY KEY, ts TIMESTAMPTZ NOT NULL, tags TEXT[], WATERMARK FOR ts AS ts - INTERVAL '1' MINUTE) APPEND ONLY WITH (connector = 'datagen')",
      'CreateTable',
    );
    assert.deepEqual(t.primaryKey, ['id']);
    assert.equal(t.appendOnly, true);
    assert.equal(t.columns[1]?.notNull, true);
    assert.equal(t.columns[1]?.type.name, 'timestamptz');
    assert.equal(t.columns[2]?.type.name, 'array');
    assert.deepEqual(t.watermark?.delay, { months: 0, days: 0, micros: 60_000_000 });
    assert.equal(t.options.get('connector'), 'datagen');
    const t2 = one('CREATE TABLE u (a INT, b TEXT, PRIMARY KEY (a, b))', 'CreateTable');
    assert.deepEqual(t2.primaryKey, ['a', 'b']);
    assert.equal(t2.appendOnly, false);
  });

  test('CREATE MATERIALIZED VIEW with options and EMIT ON WINDOW CLOSE', () => {
    const sql =
      'CREATE MATERIALIZED VIEW IF NOT EXISTS v WITH (retention_seconds = 3600) AS SELECT 1 AS x FROM t EMIT ON WINDOW CLOSE';
    const v = one(sql, 'CreateMaterializedView');
    assert.equal(v.name, 'v');
    assert.equal(v.ifNotExists, true);
    assert.equal(v.emitOnWindowClose, true);
    assert.equal(v.options.get('retention_seconds'), '3600');
    assert.equal(v.query.text, 'SELECT 1 AS x FROM t');
    assert.equal(v.query.offset, sql.indexOf('SELECT'));
    const plain = one('CREATE MATERIALIZED VIEW w AS SELECT 1', 'CreateMaterializedView');
    assert.equal(plain.emitOnWindowClose, false);
    assert.equal(plain.options.size, 0);
  });

  test('CREATE SINK FROM and AS query', () => {
    const a = one(
      "CREATE SINK alerts FROM blocked_ips WITH (connector = 'webhook', url = 'http://x/y') FORMAT PLAIN ENCODE JSON (force_append_only = 'true')",
      'CreateSink',
    );
    assert.equal(a.from, 'blocked_ips');
    assert.equal(a.options.get('url'), 'http://x/y');
    assert.equal(a.format?.options.get('force_append_only'), 'true');
    const b = one(
      "CREATE SINK s AS WITH x AS (SELECT 1 AS a) SELECT a FROM x WITH (connector = 'blackhole')",
      'CreateSink',
    );
    assert.equal(b.query?.text, 'WITH x AS (SELECT 1 AS a) SELECT a FROM x');
    assert.equal(b.options.get('connector'), 'blackhole');
  });

  test('FLUSH, SHOW, DESCRIBE, EXPLAIN', () => {
    one('FLUSH', 'Flush');
    assert.equal(one('SHOW SOURCES', 'ShowObjects').objects, 'sources');
    assert.equal(one('show materialized views', 'ShowObjects').objects, 'materialized views');
    assert.equal(one('SHOW TABLES', 'ShowObjects').objects, 'tables');
    assert.equal(one('SHOW SINKS', 'ShowObjects').objects, 'sinks');
    assert.equal(one('SHOW search_path', 'ShowVariable').name, 'search_path');
    assert.equal(one('DESCRIBE website_user_metrics', 'Describe').name, 'website_user_metrics');
    const ex = one('EXPLAIN CREATE MATERIALIZED VIEW v AS SELECT 1 EMIT ON WINDOW CLOSE', 'Explain');
    assert.equal(ex.statement.kind, 'CreateMaterializedView');
    assert.equal(one('EXPLAIN (VERBOSE) SELECT 1', 'Explain').verbose, true);
    assert.equal(one('EXPLAIN (TRACE) SELECT 1', 'Explain').trace, true);
    assert.equal(one('EXPLAIN SELECT 1', 'Explain').trace, false);
  });
});

describe('PostgreSQL statements', () => {
  test('INSERT with VALUES rows and with a query', () => {
    const i = one("INSERT INTO t (a, b) VALUES (1, 'x'), (2, 'y')", 'Insert');
    assert.equal(i.table, 't');
    assert.deepEqual(i.columns, ['a', 'b']);
    assert.equal(i.values?.length, 2);
    const q = one('INSERT INTO t SELECT * FROM u', 'Insert');
    assert.equal(q.values, undefined);
    assert.equal(q.query.text, 'SELECT * FROM u');
  });

  test('UPDATE, DELETE', () => {
    const u = one("UPDATE t SET a = a + 1, b = 'z' WHERE id = 3", 'Update');
    assert.deepEqual(
      u.assignments.map((a) => a.column),
      ['a', 'b'],
    );
    assert.ok(u.where !== undefined);
    const d = one('DELETE FROM t WHERE id = 3', 'Delete');
    assert.equal(d.table, 't');
    assert.ok(d.where !== undefined);
    assert.equal(one('DELETE FROM t', 'Delete').where, undefined);
  });

  test('DROP of every kind', () => {
    const cases: [string, string][] = [
      ['DROP TABLE IF EXISTS a, b CASCADE', 'table'],
      ['DROP MATERIALIZED VIEW v', 'materialized view'],
      ['DROP VIEW v', 'view'],
      ['DROP SOURCE s', 'source'],
      ['DROP SINK k', 'sink'],
    ];
    for (const [sql, kind] of cases) assert.equal(one(sql, 'Drop').objectKind, kind, sql);
    const d = one('DROP TABLE IF EXISTS a, b CASCADE', 'Drop');
    assert.deepEqual(d.names, ['a', 'b']);
    assert.equal(d.ifExists, true);
    assert.equal(d.cascade, true);
    assert.equal(one('DROP SOURCE IF EXISTS s', 'Drop').ifExists, true);
  });

  test('SET, transactions, SELECT, CREATE VIEW', () => {
    const s = one("SET application_name TO 'psql'", 'SetVariable');
    assert.deepEqual(s.values, ['psql']);
    assert.equal(one('RESET search_path', 'SetVariable').reset, true);
    assert.equal(one('BEGIN', 'Transaction').action, 'begin');
    assert.equal(one('COMMIT', 'Transaction').action, 'commit');
    assert.equal(one('SELECT 1', 'Select').query.text, 'SELECT 1');
    assert.equal(one('CREATE VIEW v AS SELECT 1', 'CreateView').name, 'v');
  });

  test('unsupported statements are 0A000 naming the statement', () => {
    const e = sqlError(() => parseStatement('CREATE INDEX i ON t (a)'), '0A000');
    assert.match(e.message, /CREATE INDEX is not supported at line 1, column 1/);
    const e2 = sqlError(() => parseStatement('SELECT 1;\n  GRANT SELECT ON t TO bob'), '42601');
    assert.match(e2.message, /multiple commands/);
    const e3 = sqlError(() => parseScript('SELECT 1;\n  GRANT SELECT ON t TO bob'), '0A000');
    assert.match(e3.message, /GRANT is not supported at line 2, column 3/);
    assert.equal(e3.position, 13);
    sqlError(() => parseStatement('CREATE SUBSCRIPTION s FROM v'), '0A000');
  });
});

describe('interval literals', () => {
  test('every spelling of the reference', () => {
    const minute = { months: 0, days: 0, micros: 60_000_000 };
    assert.deepEqual(parseInterval('1 MINUTES'), minute);
    assert.deepEqual(parseInterval('1 minute'), minute);
    assert.deepEqual(parseInterval('1', 1 << 11), minute);
    assert.deepEqual(parseInterval('60 seconds'), minute);
    assert.deepEqual(parseInterval('00:01:00'), minute);
    assert.deepEqual(parseInterval('30 seconds'), { months: 0, days: 0, micros: 30_000_000 });
    assert.deepEqual(parseInterval('5 SECONDS'), { months: 0, days: 0, micros: 5_000_000 });
    assert.deepEqual(parseInterval('1 hour 30 mins'), { months: 0, days: 0, micros: 5_400_000_000 });
    assert.deepEqual(parseInterval('1 day 02:00:00'), { months: 0, days: 1, micros: 7_200_000_000 });
    assert.deepEqual(parseInterval('2 days ago'), { months: 0, days: -2, micros: 0 });
    assert.deepEqual(parseInterval('1 mon'), { months: 1, days: 0, micros: 0 });
    assert.equal(parseInterval('1 fortnight'), undefined);
    assert.equal(formatInterval({ months: 0, days: 0, micros: 60_000_000 }), '00:01:00');
    assert.equal(formatInterval({ months: 14, days: 1, micros: 0 }), '1 year 2 mons 1 day');
  });

  test('typed interval literals in watermarks', () => {
    for (const [text, micros] of [
      ["INTERVAL '1 MINUTES'", 60_000_000],
      ["INTERVAL '1' MINUTE", 60_000_000],
      ["INTERVAL '30 seconds'", 30_000_000],
      ["'10 seconds'::interval", 10_000_000],
    ] as const) {
      const s = one(
        `CREATE SOURCE s (ts TIMESTAMP, WATERMARK FOR ts AS ts - ${text}) WITH (connector = 'x')`,
        'CreateSource',
      );
      assert.deepEqual(s.watermark?.delay, { months: 0, days: 0, micros }, text);
    }
  });
});

test('a short script is split once: asked again, the same slices come back, not scanned again', () => {
  const sql = 'SELECT id FROM fresh_seen; SELECT 2';
  const first = splitScript(sql);
  assert.deepEqual(
    first.map((s) => s.text),
    ['SELECT id FROM fresh_seen', 'SELECT 2'],
  );
  assert.equal(splitScript(sql), first);
  assert.ok(Object.isFrozen(first));
  assert.notEqual(splitScript(`${sql};`), first);
  assert.deepEqual(
    splitScript(`${sql};`).map((s) => s.text),
    ['SELECT id FROM fresh_seen', 'SELECT 2'],
  );
  // A long one (a bulk INSERT) is split afresh each time.
  const long = `INSERT INTO t VALUES ${Array.from({ length: 1_000 }, (_, i) => `(${i})`).join(', ')}`;
  assert.notEqual(splitScript(long), splitScript(long));
  assert.equal(splitScript(long)[0]?.text, long);
});
