/**
 * COPY … TO STDOUT. psql's `\copy (query) to stdout` and `COPY t TO STDOUT` print what
 * PostgreSQL 15 prints (the expected bytes were taken from it): text escapes and `\N`, CSV
 * quoting, HEADER, DELIMITER, NULL. Byte by byte in the simple and extended protocols:
 * CopyOutResponse, one CopyData per line, CopyDone, `COPY n`; NoData from Describe; no row
 * limit. Bad options are refused before anything is sent; a cancel ends a copy half-way;
 * stray CopyData / CopyDone / CopyFail are ignored.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';
import type { PgBackend, PgQueryResult, PgSession } from '../../../src/serve/pgwire/backend.ts';
import { T } from '../../../src/sql/types.ts';
import { EngineBackend } from './engine-backend.ts';
import {
  bind,
  cancelRequest,
  copyResponseOf,
  copyTextOf,
  cstring,
  describe,
  execute,
  flush,
  message,
  parameterOidsOf,
  parse,
  query,
  RawClient,
  startupMessage,
  summary,
  sync,
} from './raw-client.ts';
import { SEED, startTestServer, type TestServer } from './test-server.ts';

const execFileAsync = promisify(execFile);

const BIG_ROWS = 200_000;
/** 100 characters a row: 20 MB in all. */
const PAD = 'x'.repeat(100);

/** The engine, except `COPY big TO STDOUT`: BIG_ROWS rows, more than socket buffers hold. */
class BigCopyBackend implements PgBackend {
  readonly inner = new EngineBackend();

  async open(): Promise<PgSession> {
    const session = await this.inner.open();
    const big = (): PgQueryResult => ({
      tag: 'COPY',
      columns: [
        { name: 'n', type: T.int4 },
        { name: 'pad', type: T.text },
      ],
      rows: Array.from({ length: BIG_ROWS }, (_, i) => [i, PAD]),
      copyOut: { format: 'text' },
    });
    return {
      ...session,
      simpleQuery: (sql) =>
        /^copy big/i.test(sql)
          ? {
              async *[Symbol.asyncIterator]() {
                yield big();
              },
            }
          : session.simpleQuery(sql),
    };
  }
}

let ts: TestServer;
const backend = new BigCopyBackend();
before(async () => {
  await backend.inner.engine.execute(SEED);
  await backend.inner.engine.execute(`CREATE TABLE tricky (id int, s text, f float8, ok boolean);
INSERT INTO tricky VALUES (1, E'tab\\there, back\\\\slash\\nnew "line"\\r', NULL, true);
FLUSH`);
  ts = await startTestServer({}, backend);
});
after(async () => {
  assert.deepEqual(ts.unexpected, []);
  await ts.close();
  backend.inner.engine.close();
});

interface PsqlRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

async function psql(...args: string[]): Promise<PsqlRun> {
  const argv = ['-X', '-h', '127.0.0.1', '-p', String(ts.port), '-U', 'root', '-d', 'dev', ...args];
  try {
    const { stdout, stderr } = await execFileAsync('/usr/bin/psql', argv, {
      env: { ...process.env, PGSSLMODE: 'disable', PGCONNECT_TIMEOUT: '5' },
      timeout: 20_000,
      maxBuffer: 64 << 20,
    });
    return { code: 0, stdout, stderr };
  } catch (e) {
    const failed = e as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

/** Values the formats treat specially: a tab, NULL, a backslash, LF, CR, '', quotes, a comma. */
const TRICKY = `select E'a\\tb' as x, null::text as n, 'back\\slash' as b, E'l1\\nl2' as nl, E'cr\\rx' as cr,
 '' as e, 'say "hi"' as q, 'a,b' as c, 1.5::float8 as f, true as t`;

test('\\copy (query) to stdout: text format, NULL as \\N, escapes', async () => {
  const r = await psql('-c', `\\copy (${TRICKY.replace('\n', '')}) to stdout`);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, 'a\\tb\t\\N\tback\\\\slash\tl1\\nl2\tcr\\rx\t\tsay "hi"\ta,b\t1.5\tt\n');
  assert.equal(r.stderr, '');
});

test('\\copy … with (format csv, header): quoting, NULL empty, "" for the empty string', async () => {
  const r = await psql('-c', `\\copy (${TRICKY.replace('\n', '')}) to stdout with (format csv, header)`);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(
    r.stdout,
    'x,n,b,nl,cr,e,q,c,f,t\na\tb,,back\\slash,"l1\nl2","cr\rx","","say ""hi""","a,b",1.5,t\n',
  );
});

test('DELIMITER, NULL and HEADER in text; DELIMITER and NULL in csv', async () => {
  const q = TRICKY.replace('\n', '');
  const text = await psql(
    '-c',
    `\\copy (${q}) to stdout with (format text, header true, delimiter '|', null 'NULL')`,
  );
  assert.equal(
    text.stdout,
    'x|n|b|nl|cr|e|q|c|f|t\na\\tb|NULL|back\\\\slash|l1\\nl2|cr\\rx||say "hi"|a,b|1.5|t\n',
  );
  const csv = await psql('-c', `\\copy (${q}) to stdout with (format csv, delimiter ';', null 'NULL')`);
  assert.equal(csv.stdout, 'a\tb;NULL;back\\slash;"l1\nl2";"cr\rx";;"say ""hi""";a,b;1.5;t\n');
  // A value that reads as the NULL string is quoted; so are `\.` alone on a line and a header name with the delimiter.
  const nulls = await psql(
    '-c',
    `\\copy (select E'\\\\.' as "x y", 'NULL' as z) to stdout with (format csv, header, null 'NULL')`,
  );
  assert.equal(nulls.stdout, 'x y,z\n\\.,"NULL"\n');
  const single = await psql('-c', `\\copy (select E'\\\\.' as "a,b") to stdout with (format csv, header)`);
  assert.equal(single.stdout, '"a,b"\n"\\."\n');
  // The options as written before PostgreSQL 9.0.
  const old = await psql(
    '-c',
    `COPY (select 1 as a, null as b) TO STDOUT CSV HEADER DELIMITER AS '|' NULL AS 'N'`,
  );
  assert.equal(old.stdout, 'a|b\n1|N\n');
});

test('COPY t TO STDOUT and COPY t (columns) TO STDOUT through -c', async () => {
  const r = await psql('-c', 'COPY tricky TO STDOUT');
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, '1\ttab\\there, back\\\\slash\\nnew "line"\\r\t\\N\tt\n');
  const csv = await psql('-c', 'COPY tricky (s, f) TO STDOUT WITH (FORMAT csv)');
  assert.equal(csv.stdout, '"tab\there, back\\slash\nnew ""line""\r",\n');
  const all = await psql('-c', 'COPY t TO STDOUT');
  assert.equal(all.code, 0, all.stderr);
  assert.deepEqual(all.stdout.split('\n').sort(), ['', '1\tone', '2\ttwo', '3\tthree', '4\tfour', '5\tfive']);
  assert.ok(all.stdout.endsWith('\n'));
  const ordered = await psql('-c', '\\copy (select a, b from t where a > 3 order by a desc) to stdout');
  assert.equal(ordered.stdout, '5\tfive\n4\tfour\n');
  const none = await psql('-c', 'COPY (select a from t where a > 10) TO STDOUT');
  assert.equal(none.code, 0, none.stderr);
  assert.equal(none.stdout, '');
});

test('a COPY among other statements of one query; psql goes on after it', async () => {
  const r = await psql('-At', '-c', "COPY (select b from t where a = 2) TO STDOUT; select 'after'");
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, 'two\nafter\n');
});

test('bad options are refused as PostgreSQL refuses them; the session carries on', async () => {
  const cases: [string, string][] = [
    ["delimiter 'ab'", 'COPY delimiter must be a single one-byte character'],
    ["delimiter 'x'", 'COPY delimiter cannot be "x"'],
    ["delimiter '\\'", 'COPY delimiter cannot be "\\"'],
    ["null E'a\\nb'", 'COPY null representation cannot use newline or carriage return'],
    ["delimiter ',', null 'a,b'", 'COPY delimiter must not appear in the NULL specification'],
    ["format csv, null 'a\"b'", 'CSV quote character must not appear in the NULL specification'],
    ["format csv, delimiter '\"'", 'COPY delimiter and quote must be different'],
    ['header match', 'cannot use "match" with HEADER in COPY TO'],
  ];
  // One psql run, each failing \copy followed by a query that must still work.
  const r = await psql(
    ...cases.flatMap(([options]) => [
      '-c',
      `\\copy (select 1) to stdout with (${options})`,
      '-c',
      'select 7',
    ]),
  );
  assert.equal(r.stderr, cases.map(([, message]) => `ERROR:  ${message}\n`).join(''));
  assert.equal(r.stdout, ' ?column? \n----------\n        7\n(1 row)\n\n'.repeat(cases.length));
});

test('simple protocol: CopyOutResponse, a CopyData per line, CopyDone, COPY n', async () => {
  const c = await RawClient.ready(ts.port);
  c.send(
    query('COPY (SELECT a, b FROM t WHERE a < 4 ORDER BY a) TO STDOUT WITH (FORMAT csv, HEADER); SELECT 1'),
  );
  const ms = await c.readUntil('Z');
  assert.equal(summary(ms), 'H d d d d c C:COPY 3 T D C:SELECT 1 Z:I');
  assert.deepEqual(copyResponseOf(ms[0] as never), { format: 0, columnFormats: [0, 0] });
  assert.deepEqual(
    ms.filter((m) => m.type === 'd').map((m) => m.body.toString()),
    ['a,b\n', '1,one\n', '2,two\n', '3,three\n'],
  );
  assert.equal((ms[5] as { body: Buffer }).body.length, 0, 'CopyDone is empty');
  c.send(query('COPY (SELECT a FROM t WHERE a > 10) TO STDOUT'));
  assert.equal(summary(await c.readUntil('Z')), 'H c C:COPY 0 Z:I');
  c.end();
});

test('extended protocol: NoData from Describe, the whole copy whatever the row limit', async () => {
  const c = await RawClient.ready(ts.port);
  c.send(
    parse('cp', 'COPY (SELECT a, b FROM t ORDER BY a) TO STDOUT WITH (FORMAT csv)'),
    describe('S', 'cp'),
    bind('', 'cp', [], [], [1]),
    describe('P', ''),
    execute('', 2),
    sync(),
  );
  const ms = await c.readUntil('Z');
  assert.equal(summary(ms), '1 t n 2 n H d d d d d c C:COPY 5 Z:I');
  assert.deepEqual(parameterOidsOf(ms[1] as never), []);
  assert.deepEqual(copyResponseOf(ms[5] as never), { format: 0, columnFormats: [0, 0] });
  assert.equal(copyTextOf(ms), '1,one\n2,two\n3,three\n4,four\n5,five\n');
  // Text format, with Flush instead of Sync.
  c.send(parse('', 'COPY tricky TO STDOUT'), bind('', ''), execute('', 1), flush());
  const flushed = await c.readUntil('C');
  assert.equal(summary(flushed), '1 2 H d c C:COPY 1');
  assert.equal(copyTextOf(flushed), '1\ttab\\there, back\\\\slash\\nnew "line"\\r\t\\N\tt\n');
  c.send(sync());
  assert.equal(summary(await c.readUntil('Z')), 'Z:I');
  c.end();
});

test('extended protocol: a COPY portal runs once; bad options fail Execute and skip to Sync', async () => {
  const c = await RawClient.ready(ts.port);
  c.send(query('BEGIN'));
  assert.equal(summary(await c.readUntil('Z')), 'C:BEGIN Z:T');
  c.send(
    parse('', 'COPY (SELECT a FROM t WHERE a = 1) TO STDOUT'),
    bind('p', ''),
    execute('p'),
    execute('p'),
    sync(),
  );
  assert.equal(summary(await c.readUntil('Z')), '1 2 H d c C:COPY 1 E:55000 Z:E');
  c.send(query('ROLLBACK'));
  assert.equal(summary(await c.readUntil('Z')), 'C:ROLLBACK Z:I');
  c.send(
    parse('', "COPY t TO STDOUT WITH (DELIMITER 'ab')"),
    bind('', ''),
    execute(''),
    execute(''),
    sync(),
    query('SELECT 1'),
  );
  assert.equal(summary(await c.readUntil('Z')), '1 2 E:0A000 Z:I');
  assert.equal(summary(await c.readUntil('Z')), 'T D C:SELECT 1 Z:I');
  c.end();
});

test('CopyData, CopyDone and CopyFail outside a copy are ignored, before and after one', async () => {
  const c = await RawClient.ready(ts.port);
  const stray = [
    message('d', Buffer.from('1\tx\n')),
    message('c'),
    message('f', cstring('no')),
    message('f'),
  ];
  c.send(...stray, query('COPY (SELECT 1 AS one) TO STDOUT'), ...stray, query('SELECT 2'));
  assert.equal(summary(await c.readUntil('Z')), 'H d c C:COPY 1 Z:I');
  assert.equal(summary(await c.readUntil('Z')), 'T D C:SELECT 1 Z:I');
  // In an extended-protocol batch too, and after an error there.
  c.send(parse('', 'SELECT nosuch'), ...stray, bind('', ''), sync(), parse('', 'SELECT 3'), ...stray);
  c.send(bind('', ''), execute(''), sync());
  assert.equal(summary(await c.readUntil('Z')), 'E:42703 Z:I');
  assert.equal(summary(await c.readUntil('Z')), '1 2 D C:SELECT 1 Z:I');
  c.end();
});

test('a large copy streams out under backpressure, and a cancel ends it with 57014', async () => {
  const whole = await psql('-c', 'COPY big TO STDOUT');
  assert.equal(whole.code, 0, whole.stderr);
  const lines = whole.stdout.split('\n');
  assert.equal(lines.length, BIG_ROWS + 1);
  assert.equal(lines[BIG_ROWS - 1], `${BIG_ROWS - 1}\t${PAD}`);

  const c = await RawClient.connect(ts.port);
  c.send(startupMessage({ user: 'root', database: 'dev' }));
  const key = (await c.readUntil('Z')).find((m) => m.type === 'K');
  assert.ok(key !== undefined);
  c.socket.pause();
  c.send(query('COPY big TO STDOUT'));
  await new Promise((resolve) => setTimeout(resolve, 200));
  const canceler = await RawClient.connect(ts.port);
  canceler.send(cancelRequest(key.body.readInt32BE(0), key.body.readInt32BE(4)));
  assert.deepEqual(await canceler.readToEnd(), []);
  c.socket.resume();
  const ms = await c.readUntil('Z', 20_000);
  const types = ms.map((m) => m.type);
  assert.equal(types[0], 'H');
  assert.ok(!types.includes('c'), 'no CopyDone');
  assert.ok(types.filter((t) => t === 'd').length < BIG_ROWS, 'not all rows');
  assert.equal(summary(ms.slice(-2)), 'E:57014 Z:I');
  c.send(query('SELECT 1'));
  assert.equal(summary(await c.readUntil('Z')), 'T D C:SELECT 1 Z:I');
  c.end();
});
