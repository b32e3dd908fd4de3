/**
 * The bulk-load INSERT read without the parser: what it accepts it reads exactly (compared
 * with what the general path makes of the same statement, in the engine), and everything
 * else it leaves to the general path.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Engine } from '../../src/engine/engine.ts';
import {
  type ConvertedInsertValues,
  readInsertRows,
  tableShape,
} from '../../src/engine/insert-values-rows.ts';
import { type InsertLiteral, readInsertInto, readInsertTable } from '../../src/sql/insert-values.ts';

/** What the reader hands its sink, kept: the table, the column list and each row's literals. */
function readInsertValues(text: string) {
  let head: { table: string; columns: readonly string[] | undefined } | undefined;
  const rows: InsertLiteral[][] = [];
  let row: InsertLiteral[] = [];
  const read = readInsertInto(text, {
    begin: (table, columns) => {
      head = { table, columns };
      return true;
    },
    literal: (_, literal) => {
      row.push({ ...literal }); // handed over only for the call
      return true;
    },
    endRow: () => {
      rows.push(row);
      row = [];
      return true;
    },
  });
  return read && head !== undefined ? { ...head, rows, text } : undefined;
}

test('reads the bulk-load form: names, column lists, literals, comments', () => {
  const text = `  insert /* a /* nested */ comment */ INTO Public."My ""T"" able" (a, "B", c_1) -- cols
     VALUES (1, -2.5e3, 'it''s \\n'), (NULL, TRUE, '2024-01-25T12:00:00Z'::TIMESTAMP) ;  -- done
    `;
  const r = readInsertValues(text);
  assert.deepEqual(r, {
    text,
    table: 'My "T" able',
    columns: ['a', 'B', 'c_1'],
    rows: [
      [
        { kind: 'number', text: '1', integer: true },
        { kind: 'number', text: '-2.5e3', integer: false },
        { kind: 'string', value: "it's \\n", cast: undefined },
      ],
      [
        { kind: 'null' },
        { kind: 'boolean', value: true },
        { kind: 'string', value: '2024-01-25T12:00:00Z', cast: 'timestamp' },
      ],
    ],
  });
  assert.deepEqual(readInsertValues('INSERT INTO t VALUES (.5, 5., +3)')?.rows, [
    [
      { kind: 'number', text: '.5', integer: false },
      { kind: 'number', text: '5.', integer: false },
      { kind: 'number', text: '+3', integer: true },
    ],
  ]);
});

test('anything else is left to the general path', () => {
  for (const sql of [
    'INSERT INTO t SELECT 1',
    'INSERT INTO t VALUES (1) RETURNING *',
    'INSERT INTO t VALUES (1) ON CONFLICT DO NOTHING',
    'INSERT INTO t VALUES (1); INSERT INTO t VALUES (2)',
    'INSERT INTO t VALUES (1 + 1)',
    'INSERT INTO t VALUES (- 1)',
    'INSERT INTO t VALUES (DEFAULT)',
    "INSERT INTO t VALUES (E'a\\nb')",
    'INSERT INTO t VALUES ($$a$$)',
    "INSERT INTO t VALUES (U&'a')",
    "INSERT INTO t VALUES ('a'\n'b')",
    "INSERT INTO t VALUES ('a'::varchar(3))",
    "INSERT INTO t VALUES ('a'::text[])",
    "INSERT INTO t VALUES (TIMESTAMP '2024-01-01')",
    'INSERT INTO t VALUES (1::int)',
    'INSERT INTO t VALUES (123abc)',
    'INSERT INTO t VALUES ($1)',
    'INSERT INTO other.t VALUES (1)',
    'INSERT INTO values VALUES (1)',
    'INSERT INTO t VALUES (1',
    "INSERT INTO t VALUES ('unterminated)",
    'INSERT INTO t VALUES (1) /* unterminated',
    'insert into t',
    'SELECT 1',
    'UPDATE t SET a = 1',
    '',
  ])
    assert.equal(readInsertValues(sql), undefined, sql);
});

const SCHEMA = `CREATE TABLE t (
  i2 SMALLINT, i4 INT, i8 BIGINT, n NUMERIC, f4 REAL, f8 DOUBLE PRECISION, b BOOLEAN, s VARCHAR,
  x TEXT, d DATE, ts TIMESTAMP, tz TIMESTAMPTZ, iv INTERVAL, j JSONB, by BYTEA, m NUMERIC(6, 2))`;

const STATEMENTS = [
  "INSERT INTO t VALUES (1, 2, 3, 4.50, 1.5, 2.25, true, 'a', 'b', '2024-01-25', '2024-01-25T12:30:45.678Z', '2024-01-25 12:00:00+02', '1 day 2 hours', '{\"a\": [1, 2]}', '\\xdeadbeef', 3.14159)",
  "INSERT INTO t (s, i4) VALUES ('only two', -7), (NULL, NULL), ('x''y', +8)",
  "INSERT INTO t (i2, i4, i8, n, f4, f8) VALUES ('1', '2', '9007199254740991', '1.50', '1e3', '-0.5')",
  'INSERT INTO t (i4, n, f8) VALUES (2.5, 10, 3), (-2.5, -1e2, 1e-3), (1e2, .5, 5.)', // decimal → int rounds: general path
  "INSERT INTO t (ts, d, b, x) VALUES ('2024-01-25 12:00:00'::timestamp, '2024-02-29'::date, 'yes', 'a\\b')",
  "INSERT INTO t (b, s) VALUES (false, 'f'), ('t'::boolean, 'g')",
  "INSERT INTO t (m, n, i8) VALUES (1.555, 1.555, 9007199254740993), ('-2.5', '1.50', -9223372036854775808)",
];

/** A statement read into rows with a copy of the catalog, as the serving thread does; undefined where it leaves it. */
function convertedElsewhere(e: Engine, sql: string): ConvertedInsertValues | undefined {
  const catalog = structuredClone(e.relations());
  const read = readInsertRows(
    sql,
    (name) => catalog.find((r) => r.name === name && r.kind === 'table')?.columns,
  );
  if (read === undefined) return undefined;
  return structuredClone({ table: read.table, shape: tableShape(read.columns), rows: read.rows, text: sql });
}

for (const [where, bulkOf] of [
  ['read by the engine', (_e: Engine, sql: string) => sql],
  ['read into rows with a copy of the catalog and cloned across', convertedElsewhere],
] as const)
  test(`the bulk path (${where}) gives exactly what the general path gives, and leaves it what it does not convert`, async () => {
    const fast = new Engine({ autoEpoch: false });
    const general = new Engine({ autoEpoch: false });
    await fast.execute(SCHEMA);
    await general.execute(SCHEMA);
    let taken = 0;
    for (const sql of STATEMENTS) {
      const bulk = bulkOf(fast, sql);
      const result = bulk === undefined ? undefined : fast.insertValues(bulk);
      if (result !== undefined) taken++;
      else await fast.execute(sql);
      // The general path alone: a script of two statements is never read as a bulk INSERT.
      await general.execute(`${sql}; SELECT 1`);
    }
    fast.flush();
    general.flush();
    assert.deepEqual(fast.rows('t'), general.rows('t'));
    assert.equal(taken, STATEMENTS.length - 1, 'all but the decimal-into-integer statement');
  });

test('rows converted for columns the table no longer has are refused, and nothing is applied', async () => {
  const e = new Engine({ autoEpoch: false });
  await e.execute('CREATE TABLE t (k INT, m NUMERIC(6, 2))');
  const sql = "INSERT INTO t VALUES (1, '1.555')";
  const before = convertedElsewhere(e, sql);
  assert.ok(before !== undefined);
  for (const ddl of [
    'DROP TABLE t; CREATE TABLE t (k INT, m NUMERIC(6, 1))', // the typmod alone rounds otherwise
    'DROP TABLE t; CREATE TABLE t (k TEXT, m NUMERIC(6, 2))',
    'DROP TABLE t; CREATE TABLE t (m NUMERIC(6, 2), k INT)',
    'DROP TABLE t; CREATE TABLE t (k INT, m NUMERIC(6, 2), extra INT)',
  ]) {
    await e.execute(ddl);
    assert.notEqual(convertedElsewhere(e, sql)?.shape, before.shape, ddl);
    assert.equal(e.insertValues(before), undefined, ddl);
    e.flush();
    assert.deepEqual(e.rows('t'), [], ddl);
  }
  await e.execute('DROP TABLE t; CREATE TABLE t (k INT, m NUMERIC(6, 2))');
  assert.deepEqual(e.insertValues(before), { tag: 'INSERT', rowCount: 1 }, 'the same columns again');
  e.flush();
  assert.equal(e.rows('t').length, 1);
});

test('errors come from the general path, with their positions; nothing of a failing statement is applied', async () => {
  const e = new Engine({ autoEpoch: false });
  await e.execute(SCHEMA);
  const bad = [
    ["INSERT INTO t (i4) VALUES (1), ('x')", /invalid input syntax for type integer: "x"/],
    ['INSERT INTO t (i2) VALUES (1), (70000)', /smallint out of range/],
    ['INSERT INTO t (m) VALUES (1), (12345.6)', /numeric field overflow/],
    ['INSERT INTO t (i4) VALUES (1, 2)', /INSERT has more expressions than target columns/],
    ['INSERT INTO missing VALUES (1)', /relation "missing" does not exist/],
    ['INSERT INTO t (nope) VALUES (1)', /column "nope" .*does not exist/],
  ] as const;
  for (const [sql, message] of bad) {
    assert.ok(readInsertValues(sql) !== undefined && e.insertValues(sql) === undefined, sql);
    assert.equal(convertedElsewhere(e, sql), undefined, sql);
    await assert.rejects(e.execute(sql), message, sql);
  }
  e.flush();
  assert.deepEqual(e.rows('t'), []);
});

test('the table of a statement that begins as a bulk load, read without its rows', () => {
  assert.equal(readInsertTable('INSERT INTO public.Logs (a, b) VALUES (1, 2)'), 'logs');
  assert.equal(
    readInsertTable('insert into "Mixed" values (1 + 1)'),
    'Mixed',
    'the rows are not its to judge',
  );
  assert.equal(readInsertTable('INSERT INTO t SELECT 1'), undefined);
  assert.equal(readInsertTable('INSERT INTO other.t VALUES (1)'), undefined);
  assert.equal(readInsertTable('SELECT 1'), undefined);
});
