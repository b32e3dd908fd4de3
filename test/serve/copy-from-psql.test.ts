/**
 * COPY FROM STDIN through psql, against the real `tidewatch start` and PostgreSQL 15 side by
 * side: the same `\copy` (from a file and from psql's stdin; text and CSV; DELIMITER, NULL,
 * HEADER, QUOTE, ESCAPE, FORCE_NOT_NULL, FORCE_NULL, a column list, the pre-9.0 options, CRLF
 * files, a file of many rows) must print the same, and the tables must then hold the same rows.
 * Malformed data fails with the same error and CONTEXT, leaves the table as it was, and the
 * next command of the session works; bad options fail with the same errors. A materialized
 * view over a table reflects the rows copied once FLUSH returns.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { startPostgres, type TestPostgres } from '../helpers/postgres.ts';
import { type PsqlRun, psql, tidewatchConnection } from '../helpers/psql.ts';
import { type Running, startEmpty } from './endpoint-helpers.ts';

const COLUMNS =
  'id int, name varchar, note text, score float8, ok boolean, at timestamp, day date, big bigint';
const TABLES = [
  'c_text',
  'c_pipe',
  'c_csv',
  'c_old',
  'c_force',
  'c_crlf',
  'c_cols',
  'c_big',
  'c_err',
  'c_mv',
];
const SCHEMA = `${TABLES.map((t) => `CREATE TABLE ${t} (${COLUMNS});`).join('\n')}\n`;
const VIEW = 'c_mv_counts AS SELECT ok, count(*) AS n, sum(big) AS total FROM c_mv GROUP BY ok';

let dir: string;
let running: Running;
let pg: TestPostgres;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tw-copy-psql-'));
  writeFileSync(join(dir, 'pipeline.sql'), `${SCHEMA}CREATE MATERIALIZED VIEW ${VIEW};\n`);
  [running, pg] = await Promise.all([
    startEmpty(join(dir, 'data'), join(dir, 'pipeline.sql')),
    startPostgres(),
  ]);
  await pg.client.query(`${SCHEMA}CREATE VIEW ${VIEW};`);
});

after(async () => {
  const stopped = await running?.stop();
  await pg?.stop();
  rmSync(dir, { recursive: true, force: true });
  assert.equal(stopped?.code, 0, stopped?.stderr);
  assert.doesNotMatch(stopped?.stdout ?? '', /PostgreSQL endpoint:/, 'no unexpected endpoint errors');
});

const ours = (args: readonly string[], input?: string) =>
  psql(tidewatchConnection(running.port), args, input);
const theirs = (args: readonly string[], input?: string) =>
  psql(['-h', pg.socketDir, '-p', String(pg.port), '-U', 'postgres', '-d', 'postgres'], args, input);

/** The same psql run on both servers must print the same. Returns what it printed. */
async function same(args: readonly string[], input?: string): Promise<PsqlRun> {
  const [a, b] = await Promise.all([ours(args, input), theirs(args, input)]);
  assert.deepEqual(a, b, args.join(' '));
  return a;
}

/** The table's rows, in order, as both print them (tidewatch's once FLUSH has committed them). */
async function sameRows(table: string): Promise<string> {
  const flushed = await ours(['-c', 'FLUSH']);
  assert.equal(flushed.stderr, '');
  return (await same(['-A', '-c', `SELECT * FROM ${table} ORDER BY id, name, note`])).stdout;
}

function file(name: string, content: string): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}

const TEXT = [
  '1\tplain\ta note\t1.5\tt\t2024-01-25 12:00:00\t2024-01-25\t9007199254740991',
  '2\ttab\\there\tback\\\\slash and \\\\N, \\N inside\t-0.25\tf\t2024-01-25 12:00:00.123456\t1999-12-31\t-1',
  '3\t\\N\t\t\\N\t\\N\t\\N\t\\N\t\\N',
  '4\tünïcødé ✓ 😀\tescaped \\x41\\102\\n\\r\\v\\f\\b end\t1000000\ttrue\t2024-02-29T23:59:59\t2024-02-29\t0',
  '5\tline\\\nbreak\tq\t0\toff\t1970-01-01 00:00:00\t1970-01-01\t42',
  '6\tcaf\\xc3\\xa9\tdot\\\\.\t2.5e-3\tyes\t2000-01-01 00:00:00.5\t2000-01-01\t7',
].join('\n');

test('text format from a file: escapes, \\N, unicode, a backslash before a line end', async () => {
  const path = file('text.tsv', `${TEXT}\n`);
  assert.equal((await same(['-c', `\\copy c_text from '${path}'`])).stdout, 'COPY 6\n');
  const rows = await sameRows('c_text');
  assert.match(rows, /\(6 rows\)/);
});

test('text format from stdin with DELIMITER and NULL, and the end-of-data marker', async () => {
  const input = [
    '1|a\\|b|NULL|1|t|2024-01-25 00:00:00|2024-01-25|1',
    '2|NULL|\\NULL|2|f|NULL|NULL|NULL',
    '\\.',
    '',
  ].join('\n');
  const r = await same(['-c', "\\copy c_pipe from stdin with (delimiter '|', null 'NULL')"], input);
  assert.equal(r.stdout, 'COPY 2\n');
  await sameRows('c_pipe');
});

test('CSV from a file: HEADER, quotes, doubled quotes, line ends in quotes, "" against NULL', async () => {
  const csv = [
    'id,name,note,score,ok,at,day,big',
    '1,"a, with comma","she said ""hi""",2.5,t,2024-01-25 00:00:00,2024-01-25,1',
    '2,"multi',
    'line",,,,,,',
    '3,"",  spaced  ,3,f,2024-01-25 01:02:03.5,2024-01-26,-7',
    '4,\\N,"\\.",4,t,2024-01-25 00:00:00,2024-01-25,2',
    '',
  ].join('\n');
  const path = file('data.csv', csv);
  assert.equal(
    (await same(['-c', `\\copy c_csv from '${path}' with (format csv, header true)`])).stdout,
    'COPY 4\n',
  );
  await sameRows('c_csv');
});

test('CSV with the options before 9.0: HEADER, DELIMITER AS, NULL AS, QUOTE AS, ESCAPE AS', async () => {
  const csv = [
    'id;name;note;score;ok;at;day;big',
    "1;'it\\'s';NA;1;t;2024-01-25 00:00:00;2024-01-25;1",
    "2;'a;b';'NA';2;f;2024-01-25 00:00:00;2024-01-25;2",
    "3;'back\\\\slash';'x''y';3;t;2024-01-25 00:00:00;2024-01-25;3",
    '',
  ].join('\n');
  const path = file('old.csv', csv);
  const r = await same([
    '-c',
    `\\copy c_old from '${path}' csv header delimiter as ';' null as 'NA' quote as '''' escape as '\\'`,
  ]);
  assert.equal(r.stdout, 'COPY 3\n');
  await sameRows('c_old');
});

test('CSV with FORCE_NOT_NULL and FORCE_NULL; a column list; CRLF line ends', async () => {
  const force = [
    '1,"",,1,t,2024-01-25 00:00:00,2024-01-25,1',
    '2,x,"",2,t,2024-01-25 00:00:00,2024-01-25,2',
    '',
  ];
  await same(
    ['-c', '\\copy c_force from stdin with (format csv, force_not_null (note), force_null (name))'],
    force.join('\n'),
  );
  await sameRows('c_force');
  await same(['-c', '\\copy c_cols (note, id) from stdin csv'], 'hello,1\n"x,y",2\n,3\n');
  await sameRows('c_cols');
  const path = file(
    'crlf.tsv',
    `${TEXT.replace('line\\\nbreak', 'line break').replaceAll('\n', '\r\n')}\r\n`,
  );
  assert.equal((await same(['-c', `\\copy c_crlf from '${path}'`])).stdout, 'COPY 6\n');
  await sameRows('c_crlf');
});

test('a file of 20,000 rows, which psql sends in many chunks', async () => {
  const lines: string[] = [];
  for (let i = 0; i < 20_000; i++)
    lines.push(
      `${i}\tname ${i % 97}\t${i % 5 === 0 ? '\\N' : `note\\t${i}`}\t${i / 8}\t${i % 2 === 0 ? 't' : 'f'}\t2024-01-25 ${String(i % 24).padStart(2, '0')}:00:0${i % 10}\t2024-01-${String((i % 28) + 1).padStart(2, '0')}\t${i * 1000}`,
    );
  const path = file('big.tsv', `${lines.join('\n')}\n`);
  assert.equal((await same(['-c', `\\copy c_big from '${path}'`])).stdout, 'COPY 20000\n');
  await sameRows('c_big');
});

test('malformed data: the same error and CONTEXT, the table unchanged, the session going on', async () => {
  const row = (id: string) => `${id}\tn\tnote\t1\tt\t2024-01-25 00:00:00\t2024-01-25\t1`;
  const cases: [string, string, string][] = [
    ['missing.tsv', `${row('1')}\n2\ty\n`, ''],
    ['extra.tsv', `${row('1')}\t9\n`, ''],
    ['badint.tsv', `${row('1')}\n${row('2')}\n${row('x')}\n`, ''],
    ['badbool.tsv', row('1').replace('\tt\t', '\tmaybe\t'), ''],
    ['badfloat.tsv', row('1').replace('\t1\tt', '\tabc\tt'), ''],
    ['badts.tsv', row('1').replace('2024-01-25 00:00:00', 'not a time'), ''],
    ['badbig.tsv', row('1').replace(/1$/, '99999999999999999999'), ''],
    ['badescape.tsv', row('1').replace('note', 'no\\xfete'), ''],
    ['crlf.tsv', `${row('1')}\r\n${row('2')}\n`, ''],
    ['quote.csv', '1,"unterminated,1,t,2024-01-25 00:00:00,2024-01-25,1\n', 'csv'],
    ['header.csv', 'id,nom\n', 'with (format csv, header match)'],
  ];
  const args: string[] = [];
  for (const [name, content, options] of cases) {
    const path = file(name, content);
    args.push('-c', `\\copy c_err from '${path}' ${options}`, '-c', `select '${name} done' as next`);
  }
  const r = await same(args);
  assert.equal(r.stderr.match(/^ERROR: /gm)?.length, cases.length, r.stderr);
  assert.equal(r.stderr.match(/^CONTEXT: /gm)?.length, cases.length, r.stderr);
  assert.equal(r.stdout.match(/ done\n/g)?.length, cases.length, 'every next command ran');
  assert.match(
    r.stderr,
    /ERROR: {2}invalid input syntax for type integer: "x"\nCONTEXT: {2}COPY c_err, line 3, column id: "x"\n/,
  );
  assert.match(
    r.stderr,
    /ERROR: {2}missing data for column "note"\nCONTEXT: {2}COPY c_err, line 2: "2\ty"\n/,
  );
  assert.equal(await sameRows('c_err'), 'id|name|note|score|ok|at|day|big\n(0 rows)\n');
});

test('bad options fail with the same errors', async () => {
  const options = [
    '(format xml)',
    "(format 'CSV')",
    '(bogus 1)',
    '(delimiter)',
    '(format csv, format text)',
    'csv csv',
    '(format csv, force_not_null b)',
    '(force_not_null (note))',
    '(format csv, force_not_null (nosuch))',
    '(format csv, force_not_null (note, note))',
    '(format csv, force_quote (note))',
    "(quote '|')",
    "(format csv, quote 'ab')",
    "(format csv, escape '')",
    '(header maybe)',
    '(freeze maybe)',
    "(format binary, delimiter ',')",
    '(format binary, header)',
    "(encoding 'nope')",
    '(delimiter 1)',
    "(delimiter 'é')",
    "(format csv, delimiter ',', quote ',')",
    "(format csv, null 'a\"')",
    "(null E'a\\nb')",
    "(delimiter '|', null 'a|b')",
  ];
  const statements = [
    ...options.map((o) => `COPY c_err FROM STDIN WITH ${o}`),
    'COPY nosuch FROM STDIN',
    'COPY c_err (id, zz) FROM STDIN',
    'COPY c_err (id, id) FROM STDIN',
    'COPY c_err (id) FROM STDIN (FORMAT csv, FORCE_NULL (note))',
  ];
  const args = statements.flatMap((sql) => ['-c', sql, '-c', 'select 1 as ok']);
  // The messages and where they point, then the SQLSTATEs.
  const r = await same(args);
  assert.equal(r.stderr.match(/^ERROR: /gm)?.length, statements.length, r.stderr);
  assert.equal(r.stdout.match(/\(1 row\)/g)?.length, statements.length);
  const codes = await same(['-v', 'VERBOSITY=sqlstate', ...args]);
  assert.equal(codes.stderr.match(/^ERROR: {2}[0-9A-Z]{5}$/gm)?.length, statements.length, codes.stderr);
});

test('a file on the server is refused, pointing at \\copy', async () => {
  const r = await ours(['-c', `COPY c_err FROM '${file('server.tsv', '1\n')}'`, '-c', 'select 1 as ok']);
  assert.equal(
    r.stderr,
    "ERROR:  COPY from a file on the server is not supported\nHINT:  COPY FROM STDIN works, and so does psql's \\copy command, which uses it to read a file on the client.\n",
  );
  assert.match(r.stdout, /\(1 row\)/);
});

test('a materialized view over the table reflects the rows copied once FLUSH returns', async () => {
  const input = [1, 2, 3, 4, 5]
    .map((i) => `${i}\tn${i}\t\\N\t${i}\t${i % 2 === 0 ? 't' : 'f'}\t\\N\t\\N\t${i * 10}\n`)
    .join('');
  await same(['-c', '\\copy c_mv from stdin'], input);
  const flushed = await ours(['-c', 'FLUSH']);
  assert.equal(flushed.stderr, '');
  const view = await same(['-A', '-c', 'SELECT * FROM c_mv_counts ORDER BY ok']);
  assert.equal(view.stdout, 'ok|n|total\nf|3|90\nt|2|60\n(2 rows)\n');
});
