/**
 * COPY statements read off the token stream: what each becomes, both option syntaxes, and
 * PostgreSQL 15's errors for bad options (the messages and SQLSTATEs are its own; the psql
 * test against PostgreSQL itself, test/serve/copy-from-psql.test.ts, compares many more).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  type CopyCommand,
  type CopyFromCommand,
  copyCommand,
  copyFromFormat,
} from '../../src/sql/copy-statement.ts';
import { SqlError } from '../../src/sql/errors.ts';
import { splitScript } from '../../src/sql/parse.ts';

function copy(sql: string): CopyCommand | undefined {
  return copyCommand(sql, splitScript(sql)[0]?.tokens ?? []);
}

function from(sql: string): CopyFromCommand {
  const c = copy(sql);
  assert.equal(c?.kind, 'CopyFrom', sql);
  return c as CopyFromCommand;
}

/** The SQLSTATE, message and position a statement (or its options, for COPY FROM) fails with. */
function failure(sql: string): string {
  try {
    const c = copy(sql);
    if (c?.kind === 'CopyFrom') copyFromFormat(c.options);
  } catch (e) {
    if (!(e instanceof SqlError)) throw e;
    return `${e.sqlstate} ${e.message}${e.position === undefined ? '' : ` @${e.position}`}`;
  }
  return 'ok';
}

test('COPY TO STDOUT still becomes its query', () => {
  assert.deepEqual(copy('COPY t TO STDOUT'), {
    kind: 'CopyTo',
    query: 'SELECT * FROM t',
    queryOffset: undefined,
    copyOut: { format: 'text' },
  });
  assert.deepEqual(copy("COPY (SELECT 1) TO STDOUT WITH (FORMAT csv, HEADER, DELIMITER ';')"), {
    kind: 'CopyTo',
    query: 'SELECT 1',
    queryOffset: 6,
    copyOut: { format: 'csv', header: true, delimiter: ';' },
  });
  assert.deepEqual(copy("copy public.t (a, b) to stdout csv header null as 'x'"), {
    kind: 'CopyTo',
    query: 'SELECT a, b FROM public.t',
    queryOffset: undefined,
    copyOut: { format: 'csv', header: true, null: 'x' },
  });
  assert.equal(copy('SELECT 1'), undefined);
});

test('COPY FROM STDIN: the table, its columns folded, the options as written', () => {
  assert.deepEqual(from('COPY t FROM STDIN'), {
    kind: 'CopyFrom',
    table: 't',
    columns: undefined,
    options: [],
  });
  assert.deepEqual(from('copy Public."Logs" ("A", b) from stdin'), {
    kind: 'CopyFrom',
    table: 'public.Logs',
    columns: ['A', 'b'],
    options: [],
  });
  // The grammar takes STDOUT as well; both mean the client.
  assert.equal(from('COPY t FROM STDOUT').table, 't');
  const generic = from(
    'COPY t FROM STDIN WITH (FORMAT csv, HEADER match, FORCE_NULL (a, "B"), DELIMITER 1, NULL \'\')',
  );
  assert.deepEqual(generic.options, [
    { name: 'format', arg: { kind: 'string', value: 'csv' }, position: 25 },
    { name: 'header', arg: { kind: 'string', value: 'match' }, position: 37 },
    { name: 'force_null', arg: { kind: 'list', items: ['a', 'B'] }, position: 51 },
    { name: 'delimiter', arg: { kind: 'number', value: '1', integer: true }, position: 72 },
    { name: 'null', arg: { kind: 'string', value: '' }, position: 85 },
  ]);
  const old = from(
    "COPY BINARY t FROM STDIN USING DELIMITERS '|' CSV HEADER QUOTE AS '''' ESCAPE E'\\\\' NULL 'n' FORCE NOT NULL a, b FORCE NULL c FREEZE ENCODING 'utf8'",
  );
  assert.deepEqual(
    old.options.map((o) => [o.name, o.arg]),
    [
      ['format', { kind: 'string', value: 'binary' }],
      ['delimiter', { kind: 'string', value: '|' }],
      ['format', { kind: 'string', value: 'csv' }],
      ['header', { kind: 'string', value: 'true' }],
      ['quote', { kind: 'string', value: "'" }],
      ['escape', { kind: 'string', value: '\\' }],
      ['null', { kind: 'string', value: 'n' }],
      ['force_not_null', { kind: 'list', items: ['a', 'b'] }],
      ['force_null', { kind: 'list', items: ['c'] }],
      ['freeze', { kind: 'string', value: 'true' }],
      ['encoding', { kind: 'string', value: 'utf8' }],
    ],
  );
});

test('COPY FROM options checked, PostgreSQL defaults filled in', () => {
  const format = (sql: string) => copyFromFormat(from(sql).options);
  assert.deepEqual(format('COPY t FROM STDIN'), {
    format: 'text',
    header: false,
    delimiter: '\t',
    null: '\\N',
    quote: '',
    escape: '',
    forceNotNull: [],
    forceNull: [],
  });
  assert.deepEqual(format("COPY t FROM STDIN WITH (FORMAT csv, HEADER, QUOTE '''', FORCE_NOT_NULL (a))"), {
    format: 'csv',
    header: true,
    delimiter: ',',
    null: '',
    quote: "'",
    escape: "'",
    forceNotNull: ['a'],
    forceNull: [],
  });
  assert.equal(format('COPY t FROM STDIN (HEADER match)').header, 'match');
  assert.equal(format('COPY t FROM STDIN (HEADER 0, FREEZE off)').header, false);
  assert.equal(format('COPY t FROM STDIN WITH BINARY').format, 'binary');
});

test("bad statements and options fail as PostgreSQL 15's do", () => {
  const cases: [string, string][] = [
    ['COPY (SELECT 1) FROM STDIN', '42601 syntax error at or near "FROM" @17'],
    ['COPY FROM STDIN', '42601 syntax error at or near "FROM" @6'],
    ['COPY t (a b) FROM STDIN', '42601 syntax error at or near "b" @11'],
    ['COPY t () FROM STDIN', '42601 syntax error at or near ")" @9'],
    ['COPY t FROM STDIN (format csv) with', '42601 syntax error at or near "with" @32'],
    ['COPY t FROM STDIN WITH oids', '42601 syntax error at or near "oids" @24'],
    ['COPY t FROM STDIN (force_not_null ())', '42601 syntax error at or near ")" @36'],
    ['COPY t TO STDOUT WHERE a > 1', '42601 WHERE clause not allowed with COPY TO @18'],
    ['COPY t FROM PROGRAM STDIN', '42601 STDIN/STDOUT not allowed with PROGRAM @21'],
    ['COPY t FROM STDIN WITH (format xml)', '22023 COPY format "xml" not recognized @25'],
    ["COPY t FROM STDIN WITH (format 'CSV')", '22023 COPY format "CSV" not recognized @25'],
    ['COPY t FROM STDIN WITH (bogus 1)', '42601 option "bogus" not recognized @25'],
    ['COPY t FROM STDIN WITH (delimiter)', '42601 delimiter requires a parameter'],
    ['COPY t FROM STDIN WITH (format csv, format text)', '42601 conflicting or redundant options @37'],
    ['COPY t FROM STDIN csv csv', '42601 conflicting or redundant options @23'],
    [
      'COPY t FROM STDIN (format csv, force_not_null b)',
      '22023 argument to option "force_not_null" must be a list of column names @32',
    ],
    [
      'COPY t FROM STDIN (format csv, force_null *)',
      '22023 argument to option "force_null" must be a list of column names @32',
    ],
    ['COPY t FROM STDIN (force_not_null (b))', '0A000 COPY force not null available only in CSV mode'],
    [
      'COPY t FROM STDIN (format csv, force_quote (a))',
      '0A000 COPY force quote only available using COPY TO',
    ],
    ["COPY t FROM STDIN (quote '|')", '0A000 COPY quote available only in CSV mode'],
    ["COPY t FROM STDIN (format csv, quote 'ab')", '0A000 COPY quote must be a single one-byte character'],
    ["COPY t FROM STDIN (format csv, escape '')", '0A000 COPY escape must be a single one-byte character'],
    ["COPY t FROM STDIN (format csv, escape 'é')", '0A000 COPY escape must be a single one-byte character'],
    ['COPY t FROM STDIN (header maybe)', '42601 header requires a Boolean value or "match"'],
    ['COPY t FROM STDIN (header 2)', '42601 header requires a Boolean value or "match"'],
    ['COPY t FROM STDIN (freeze maybe)', '42601 freeze requires a Boolean value'],
    ["COPY t FROM STDIN (format binary, delimiter ',')", '42601 cannot specify DELIMITER in BINARY mode'],
    ["COPY t FROM STDIN (format binary, null 'x')", '42601 cannot specify NULL in BINARY mode'],
    ['COPY t FROM STDIN (format binary, header)', '0A000 cannot specify HEADER in BINARY mode'],
    [
      "COPY t FROM STDIN (encoding 'nope')",
      '22023 argument to option "encoding" must be a valid encoding name @20',
    ],
    ['COPY t FROM STDIN (delimiter 1)', '22023 COPY delimiter cannot be "1"'],
    ['COPY t FROM STDIN (delimiter true)', '0A000 COPY delimiter must be a single one-byte character'],
    ["COPY t FROM STDIN (delimiter 'é')", '0A000 COPY delimiter must be a single one-byte character'],
    [
      "COPY t FROM STDIN (format csv, delimiter ',', quote ',')",
      '22023 COPY delimiter and quote must be different',
    ],
    [
      "COPY t FROM STDIN (format csv, null 'a\"')",
      '0A000 CSV quote character must not appear in the NULL specification',
    ],
    [
      "COPY t FROM STDIN (null E'a\\nb')",
      '22023 COPY null representation cannot use newline or carriage return',
    ],
    [
      "COPY t FROM STDIN (delimiter '|', null 'a|b')",
      '0A000 COPY delimiter must not appear in the NULL specification',
    ],
    ['COPY t TO STDOUT (header match)', '0A000 cannot use "match" with HEADER in COPY TO'],
    ['COPY t TO STDOUT (format csv, force_null (a))', '0A000 COPY force null only available using COPY FROM'],
  ];
  for (const [sql, expected] of cases) assert.equal(failure(sql), expected, sql);
  for (const sql of [
    'COPY t FROM STDIN (FORMAT CSV)',
    "COPY t FROM STDIN WITH (encoding 'UTF-8')",
    "COPY t FROM STDIN csv header delimiter as ';' null as 'x' quote as '''' escape as '\\' force not null a, b force null c",
    "COPY t FROM STDIN WITH (FORMAT csv, QUOTE '\"', ESCAPE '''')",
  ])
    assert.equal(failure(sql), 'ok', sql);
});

test('files and programs on the server are refused, WHERE is not supported', () => {
  assert.equal(failure("COPY t FROM '/etc/passwd'"), '0A000 COPY from a file on the server is not supported');
  assert.equal(
    failure("COPY t FROM PROGRAM 'ls'"),
    '0A000 COPY from a program on the server is not supported',
  );
  assert.equal(
    failure("COPY t TO '/tmp/x' WITH (FORMAT csv)"),
    '0A000 COPY to a file on the server is not supported',
  );
  try {
    copy("COPY t FROM '/etc/passwd'");
  } catch (e) {
    assert.match((e as SqlError).hint ?? '', /psql's \\copy/);
  }
  assert.equal(failure('COPY t FROM STDIN WHERE a > 1'), '0A000 COPY FROM … WHERE is not supported @19');
  assert.equal(
    failure("COPY t FROM STDIN (encoding 'latin1')").startsWith('0A000 COPY encoding "latin1"'),
    true,
  );
});
