/**
 * COPY FROM STDIN at the protocol level, against PostgreSQL 15 itself: the same frontend
 * messages go to tidewatch's endpoint and to a real server, and the backend messages that
 * come back must be the same (type by type, with the SQLSTATE, message, hint and CONTEXT of
 * each error), and so must the rows the table holds after. CopyInResponse, data cut anywhere,
 * Flush and Sync ignored in copy mode, CopyFail, bad data before CopyDone, the rest of a
 * simple Query discarded after an error, the extended protocol with and without a Sync sent
 * ahead, a message that has no place in copy mode, the end-of-data marker, binary format, a
 * cancel, random data; and a client that disconnects mid-COPY applies nothing.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { encodeBinary } from '../../../src/serve/pgwire/binary-values.ts';
import { T } from '../../../src/sql/types.ts';
import { startPostgres, type TestPostgres } from '../../helpers/postgres.ts';
import { prng } from '../../helpers/random.ts';
import {
  type BackendMessage,
  bind,
  cancelRequest,
  copyResponseOf,
  cstring,
  describe,
  errorFieldsOf,
  execute,
  flush,
  int16,
  int32,
  message,
  parse,
  query,
  RawClient,
  startupMessage,
  sync,
} from './raw-client.ts';
import { startTestServer, type TestServer } from './test-server.ts';

let ts: TestServer;
let pg: TestPostgres;
before(async () => {
  [ts, pg] = await Promise.all([startTestServer(), startPostgres()]);
});
after(async () => {
  assert.deepEqual(ts.unexpected, []);
  await Promise.all([ts.close(), pg.stop()]);
});

const copyData = (text: string | Buffer): Buffer =>
  message('d', typeof text === 'string' ? Buffer.from(text, 'utf8') : text);
const copyDone = (): Buffer => message('c');
const copyFail = (why: string): Buffer => message('f', cstring(why));

/** A message as the comparison sees it: the type, and for errors every field that matters. */
function show(m: BackendMessage): string {
  switch (m.type) {
    case 'E':
    case 'N': {
      const f = errorFieldsOf(m);
      return `${m.type}:${f.V} ${f.C} ${f.M}${f.H ? ` HINT ${f.H}` : ''}${f.W ? ` CONTEXT ${f.W}` : ''}`;
    }
    case 'C':
    case 'Z':
      return `${m.type}:${m.body.subarray(0, m.type === 'C' ? -1 : undefined).toString('utf8')}`;
    case 'G': {
      const r = copyResponseOf(m);
      return `G:${r.format}/${r.columnFormats.join(',')}`;
    }
    default:
      return m.type;
  }
}

interface Side {
  readonly name: string;
  connect(): Promise<{ client: RawClient; key: Buffer }>;
  exec(sql: string): Promise<void>;
  rows(table: string): Promise<string[]>;
  cancel(key: Buffer): Promise<void>;
}

/** Connects, returning the client and its BackendKeyData body. */
async function open(
  port: number,
  params: Record<string, string>,
): Promise<{ client: RawClient; key: Buffer }> {
  const client = await RawClient.connect(port);
  client.send(startupMessage(params));
  const greeting = await client.readUntil('Z');
  const key = greeting.find((m) => m.type === 'K')?.body as Buffer;
  return { client, key };
}

async function sendCancel(port: number, key: Buffer): Promise<void> {
  const c = await RawClient.connect(port);
  c.send(cancelRequest(key.readInt32BE(0), key.readInt32BE(4)));
  await c.readToEnd(2000);
}

const sides = (): Side[] => [
  {
    name: 'tidewatch',
    connect: () => open(ts.port, { user: 'root', database: 'dev' }),
    exec: async (sql) => {
      await ts.engine.execute(sql);
    },
    rows: async (table) => {
      ts.engine.flush();
      const [r] = await ts.engine.execute(`SELECT * FROM ${table}`);
      return (r?.rows ?? []).map((row) => JSON.stringify(row)).sort();
    },
    cancel: (key) => sendCancel(ts.port, key),
  },
  {
    name: 'PostgreSQL',
    connect: () => open(pg.port, { user: 'postgres', database: 'postgres' }),
    exec: async (sql) => {
      await pg.client.query(sql);
    },
    rows: async (table) => {
      const r = await pg.client.query({ text: `SELECT * FROM ${table}`, rowMode: 'array' });
      return r.rows.map((row: unknown[]) => JSON.stringify(row)).sort();
    },
    cancel: (key) => sendCancel(pg.port, key),
  },
];

let tables = 0;

/**
 * Runs `script` on both servers against a fresh table `(a int, b varchar)` and asserts the
 * same messages came back at each step and the table holds the same rows after. `script`
 * returns the steps' messages, shown.
 */
async function same(
  script: (c: RawClient, table: string, side: Side, key: Buffer) => Promise<string[][]>,
  columns = 'a int, b varchar',
): Promise<string[][]> {
  const table = `copy_in_${++tables}`;
  const results: { steps: string[][]; rows: string[] }[] = [];
  for (const side of sides()) {
    await side.exec(`CREATE TABLE ${table} (${columns})`);
    const { client, key } = await side.connect();
    try {
      const steps = await script(client, table, side, key);
      results.push({ steps, rows: await side.rows(table) });
    } finally {
      client.end();
    }
  }
  const [ours, theirs] = results as [(typeof results)[0], (typeof results)[0]];
  assert.deepEqual(ours.steps, theirs.steps, 'the messages');
  assert.deepEqual(ours.rows, theirs.rows, 'the rows');
  return ours.steps;
}

const upTo = async (c: RawClient, type: string): Promise<string[]> => (await c.readUntil(type)).map(show);

test('simple protocol: CopyInResponse, data in any cuts, Flush and Sync ignored, COPY n', async () => {
  const steps = await same(async (c, t) => {
    c.send(query(`COPY ${t} FROM STDIN`));
    const start = await upTo(c, 'G');
    c.send(copyData('1\tone\n2\t'), flush(), copyData('tw'), sync(), copyData('o\n3\t\\N\n'), copyDone());
    return [start, await upTo(c, 'Z')];
  });
  assert.deepEqual(steps, [['G:0/0,0'], ['C:COPY 3', 'Z:I']]);
  // A column list: CopyInResponse counts its columns; the others are NULL.
  await same(async (c, t) => {
    c.send(query(`COPY ${t} (b) FROM STDIN WITH (FORMAT csv, HEADER)`));
    const start = await upTo(c, 'G');
    c.send(copyData('b\nx\n"y,z"\n'), copyDone());
    return [start, await upTo(c, 'Z')];
  });
});

test('a COPY among other statements of a simple Query, and the rest discarded after its error', async () => {
  await same(async (c, t) => {
    c.send(query(`SELECT 1; COPY ${t} FROM STDIN; SELECT 2`));
    const start = await upTo(c, 'G');
    c.send(copyData('1\ta\n'), copyDone());
    return [start, await upTo(c, 'Z')];
  });
  await same(async (c, t) => {
    c.send(query(`COPY ${t} FROM STDIN; SELECT 2`));
    const start = await upTo(c, 'G');
    // The error comes at once, before CopyDone; what the client still sends is dropped.
    c.send(copyData('1\ta\nx\tb\n'));
    const failed = await upTo(c, 'Z');
    c.send(copyData('3\tc\n'), copyDone(), copyFail('late'), query('SELECT 3'));
    return [start, failed, await upTo(c, 'Z')];
  });
});

test('CopyFail: 57014 with the client message, nothing applied, the session goes on', async () => {
  await same(async (c, t) => {
    c.send(query(`COPY ${t} FROM STDIN`));
    const start = await upTo(c, 'G');
    c.send(copyData('1\tone\n'), copyFail('the user pressed ^C'));
    const failed = await upTo(c, 'Z');
    c.send(copyData('2\ttwo\n'), copyDone(), query(`COPY ${t} FROM STDIN`));
    const again = await upTo(c, 'G');
    c.send(copyData('3\tthree\n'), copyDone());
    return [start, failed, again, await upTo(c, 'Z')];
  });
});

test('bad data: the error, its line and column, before CopyDone; nothing applied', async () => {
  const cases: [string, string][] = [
    ['1\ta\n2\tb\nx\tc\n', 'a bad integer on line 3'],
    ['1\ta\n2\n', 'a missing column'],
    ['1\ta\textra\n', 'an extra column'],
    ['1\ta\\\n', 'a backslash before the line end, then the end'],
    ['1\ta\r\n2\tb\n', 'mixed line ends'],
    ['1\t\\xff\n', 'an escape that is not UTF-8'],
    [`1\t${'é'.repeat(80)}\textra\n`, 'a long line, cut in the context'],
    ['99999999999\ta\n', 'an integer out of range'],
  ];
  for (const [data, what] of cases)
    await same(async (c, t) => {
      c.send(query(`COPY ${t} FROM STDIN`));
      await upTo(c, 'G');
      c.send(copyData(data), copyDone());
      return [[what], await upTo(c, 'Z')];
    });
  const csv: [string, string][] = [
    ['1,"a\n2,b\n', 'an unterminated quote'],
    ['a,b\n1,x\n', 'HEADER MATCH, matching'],
    ['a,c\n1,x\n', 'HEADER MATCH, not matching'],
    ['a\n1,x\n', 'HEADER MATCH, too few fields'],
  ];
  for (const [data, what] of csv)
    await same(async (c, t) => {
      c.send(
        query(`COPY ${t} FROM STDIN WITH (FORMAT csv${what.startsWith('HEADER') ? ', HEADER match' : ''})`),
      );
      await upTo(c, 'G');
      c.send(copyData(data), copyDone());
      return [[what], await upTo(c, 'Z')];
    });
});

test('the end-of-data marker: what follows it is ignored, but a CopyFail still fails the COPY', async () => {
  await same(async (c, t) => {
    c.send(query(`COPY ${t} FROM STDIN`));
    await upTo(c, 'G');
    c.send(copyData('1\ta\n\\.\n'), copyData('not\tread\n'), copyDone());
    return [await upTo(c, 'Z')];
  });
  await same(async (c, t) => {
    c.send(query(`COPY ${t} FROM STDIN`));
    await upTo(c, 'G');
    c.send(copyData('1\ta\n\\.\n'), copyFail('changed my mind'));
    return [await upTo(c, 'Z')];
  });
});

test('extended protocol: a Sync sent ahead is ignored in copy mode; errors skip to the next Sync', async () => {
  // As libpq does: Parse, Bind, Describe, Execute, Sync at once, then the data, then Sync.
  await same(async (c, t) => {
    c.send(parse('', `COPY ${t} FROM STDIN`), bind('', ''), describe('P', ''), execute(''), sync());
    const start = await upTo(c, 'G');
    c.send(copyData('1\ta\n'), copyDone(), sync());
    return [start, await upTo(c, 'Z')];
  });
  await same(async (c, t) => {
    c.send(parse('', `COPY ${t} FROM STDIN`), bind('', ''), execute(''));
    const start = await upTo(c, 'G');
    c.send(copyData('1\ta\nbad\tb\n'));
    const failed = await upTo(c, 'E');
    c.send(copyData('2\tc\n'), copyDone(), bind('', ''), execute(''), sync(), query('SELECT 1'));
    return [start, failed, await upTo(c, 'Z'), await upTo(c, 'Z')];
  });
  await same(async (c, t) => {
    c.send(parse('', `COPY ${t} FROM STDIN`), bind('', ''), execute(''), sync());
    const start = await upTo(c, 'G');
    c.send(copyFail('no'), sync());
    return [start, await upTo(c, 'Z')];
  });
});

test('a message with no place in copy mode is a protocol violation that ends the connection', async () => {
  await same(async (c, t) => {
    c.send(query(`COPY ${t} FROM STDIN`));
    await upTo(c, 'G');
    c.send(copyData('1\ta\n'), query('SELECT 1'));
    return [(await c.readToEnd()).map(show), [String(c.ended)]];
  });
});

test('binary format: CopyInResponse says so; PGCOPY header, tuples, NULLs, trailer', async () => {
  const header = Buffer.concat([Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1'), int32(0), int32(0)]);
  const tuple = (a: number | null, b: string | null): Buffer =>
    Buffer.concat([
      int16(2),
      ...[a === null ? null : encodeBinary(a, T.int4), b === null ? null : encodeBinary(b, T.varchar)].map(
        (v) => (v === null ? int32(-1) : Buffer.concat([int32(v.length), v])),
      ),
    ]);
  const data = Buffer.concat([header, tuple(1, 'one'), tuple(null, 'ünï'), tuple(3, null), int16(-1)]);
  const steps = await same(async (c, t) => {
    c.send(query(`COPY ${t} FROM STDIN WITH (FORMAT binary)`));
    const start = await upTo(c, 'G');
    // Cut everywhere: the header, a length, a value.
    for (let at = 0; at < data.length; at += 5) c.send(copyData(data.subarray(at, at + 5)));
    c.send(copyDone());
    return [start, await upTo(c, 'Z')];
  });
  assert.deepEqual(steps[0], ['G:1/1,1']);
  const bad: [Buffer, string][] = [
    [Buffer.from('PGCOPX\n\xff\r\n\0', 'latin1'), 'a wrong signature'],
    [Buffer.concat([header.subarray(0, 11), int32(1 << 16), int32(0)]), 'WITH OIDS'],
    [Buffer.concat([header, int16(3)]), 'a wrong field count'],
    [Buffer.concat([header, int16(2), int32(4), Buffer.from([0, 0])]), 'a field cut short'],
    [Buffer.concat([header, int16(2), int32(3), Buffer.from([0, 0, 1]), int32(-1)]), 'a bad int4'],
    [Buffer.concat([header, int16(-1), Buffer.from('x')]), 'data after the trailer'],
    [Buffer.concat([header, int16(2), int32(-2)]), 'a bad field size'],
    [
      Buffer.concat([header, int16(2), int32(-1), int32(3), Buffer.from([0x41, 0xc3, 0x28])]),
      'text not UTF-8',
    ],
    [Buffer.concat([header, int16(2), int32(-1), int32(2), Buffer.from([0x41, 0x00])]), 'text with a NUL'],
  ];
  for (const [bytes, what] of bad)
    await same(async (c, t) => {
      c.send(query(`COPY ${t} FROM STDIN WITH (FORMAT binary)`));
      await upTo(c, 'G');
      c.send(copyData(bytes), copyDone());
      return [[what], await upTo(c, 'Z')];
    });
});

test('a CancelRequest during a COPY fails it when the next message comes', async () => {
  await same(async (c, t, side, key) => {
    c.send(query(`COPY ${t} FROM STDIN`));
    await upTo(c, 'G');
    c.send(copyData('1\ta\n'));
    await new Promise((r) => setTimeout(r, 100));
    await side.cancel(key);
    await new Promise((r) => setTimeout(r, 300));
    c.send(copyData('2\tb\n'), copyDone());
    return [await upTo(c, 'Z')];
  });
});

test('statement errors come before copy mode; a view or source takes no rows, as INSERT', async () => {
  for (const sql of ['COPY nosuch FROM STDIN', 'COPY %t (a, zz) FROM STDIN', 'COPY %t (a, a) FROM STDIN'])
    await same(async (c, t) => {
      c.send(query(sql.replace('%t', t)));
      return [await upTo(c, 'Z')];
    });
  await ts.engine.execute(
    'CREATE MATERIALIZED VIEW copy_in_view AS SELECT a FROM t; CREATE SOURCE copy_in_source (a int)',
  );
  const { client } = await open(ts.port, { user: 'root', database: 'dev' });
  for (const [relation, kind] of [
    ['copy_in_view', 'materialized view'],
    ['copy_in_source', 'source'],
  ]) {
    client.send(query(`INSERT INTO ${relation} VALUES (1)`));
    const insert = (await client.readUntil('Z'))[0] as BackendMessage;
    client.send(query(`COPY ${relation} FROM STDIN`));
    const copy = await client.readUntil('Z');
    assert.deepEqual(
      copy.map((m) => m.type),
      ['E', 'Z'],
    );
    assert.deepEqual(errorFieldsOf(copy[0] as BackendMessage), errorFieldsOf(insert));
    assert.equal(errorFieldsOf(insert).M, `cannot insert into ${kind} "${relation}"`);
  }
  client.end();
});

test('a client that disconnects mid-COPY applies nothing', async () => {
  for (const side of sides()) {
    const table = `copy_in_${++tables}`;
    await side.exec(`CREATE TABLE ${table} (a int, b varchar)`);
    const { client } = await side.connect();
    client.send(query(`COPY ${table} FROM STDIN`));
    await client.readUntil('G');
    client.send(copyData('1\ta\n2\tb\n'));
    await new Promise((r) => setTimeout(r, 100));
    client.end();
    await new Promise((r) => setTimeout(r, 200));
    assert.deepEqual(await side.rows(table), [], side.name);
  }
});

test('random text and CSV data, cut at random: the same rows or the same error as PostgreSQL', async () => {
  const rand = prng(2024);
  const alphabet = ['\t', ',', '"', "'", '\\', '\r', '\n', '\n', '.', 'N', 'a', 'b', '1', 'é', ' ', 'x'];
  const pick = () => alphabet[Math.floor(rand() * alphabet.length)] as string;
  for (let i = 0; i < 160; i++) {
    const csv = i % 2 === 1;
    const length = 1 + Math.floor(rand() * 24);
    let data = '';
    for (let k = 0; k < length; k++) data += pick();
    const bytes = Buffer.from(data, 'utf8');
    const cut = Math.floor(rand() * (bytes.length + 1));
    await same(async (c, t) => {
      c.send(query(`COPY ${t} FROM STDIN${csv ? " WITH (FORMAT csv, QUOTE '''', ESCAPE '\\')" : ''}`));
      await upTo(c, 'G');
      c.send(copyData(bytes.subarray(0, cut)), copyData(bytes.subarray(cut)), copyDone());
      return [[JSON.stringify(data)], await upTo(c, 'Z')];
    }, 'a text, b text, c text');
  }
});
