/**
 * Limits of the PostgreSQL endpoint that a client cannot talk its way past, tried with
 * node-postgres against the real `tidewatch start`: statement_timeout (the server's default
 * from --statement-timeout, a session's own SET) cancels a long query with 57014 and the
 * session goes on; --max-connections refuses one client more with 53300; an expression nested
 * past the stack is 54001, not an internal error.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import pg from 'pg';
import { fromAddress } from '../helpers/local-address.ts';
import { RestartableServer } from '../helpers/restartable-server.ts';

/** A cross join DuckDB needs minutes for. */
const LONG_QUERY = 'SELECT count(*) AS n FROM generate_series(1, 200000000) a, generate_series(1, 1000) b';

let dir: string;
let server: RestartableServer;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tw-limits-'));
  server = new RestartableServer({
    dataDir: join(dir, 'data'),
    args: [
      '--pipeline',
      'none',
      '--no-generator',
      '--status-interval',
      '60',
      '--statement-timeout',
      '1s',
      '--max-connections',
      '4',
    ],
  });
  await server.start();
});

after(async () => {
  await server?.dispose();
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
});

/** Another server, empty and without the generator, with `args`; the test disposes of it. */
async function startQuiet(name: string, args: readonly string[]): Promise<RestartableServer> {
  const server = new RestartableServer({
    dataDir: join(dir, name),
    args: ['--pipeline', 'none', '--no-generator', '--status-interval', '60', ...args],
  });
  await server.start();
  return server;
}

async function failure(client: pg.Client, sql: string): Promise<{ code: string; message: string }> {
  try {
    await client.query(sql);
  } catch (e) {
    return e as { code: string; message: string };
  }
  assert.fail(`${sql.slice(0, 60)}… succeeded`);
}

test('statement_timeout cancels a long query with 57014, the server default first, then the session’s own', async () => {
  const client = await server.connect();
  try {
    assert.equal((await client.query('SHOW statement_timeout')).rows[0].statement_timeout, '1s');
    let started = Date.now();
    const byDefault = await failure(client, LONG_QUERY);
    assert.deepEqual(
      [byDefault.code, byDefault.message],
      ['57014', 'canceling statement due to statement timeout'],
    );
    assert.ok(Date.now() - started < 15_000, `canceled after ${Date.now() - started} ms`);
    assert.deepEqual((await client.query('SELECT 1 AS one')).rows, [{ one: 1 }], 'the session goes on');

    await client.query("SET statement_timeout = '300ms'");
    started = Date.now();
    const bySession = await failure(client, LONG_QUERY);
    assert.equal(bySession.code, '57014');
    assert.ok(Date.now() - started < 15_000);
    const bad = await failure(client, "SET statement_timeout = 'soon'");
    assert.equal(bad.code, '22023');
    await client.query('RESET statement_timeout');
    assert.equal((await client.query('SHOW statement_timeout')).rows[0].statement_timeout, '1s');
    // A query within the limit is not disturbed by a timer left over.
    await client.query("SET statement_timeout = '2s'");
    for (let i = 0; i < 5; i++)
      assert.equal(
        (await client.query('SELECT count(*)::int AS n FROM generate_series(1, 1000)')).rows[0].n,
        1000,
      );
  } finally {
    await client.end();
  }
});

test('--max-connections: one client more is refused with 53300, and admitted once another leaves', async () => {
  const clients = await Promise.all(Array.from({ length: 4 }, () => server.connect()));
  try {
    const extra = new pg.Client({ host: '127.0.0.1', port: server.pgPort, user: 'root', database: 'dev' });
    extra.on('error', () => undefined);
    const refused = await extra.connect().then(
      () => assert.fail('a fifth client was admitted'),
      (e: { code: string; message: string }) => e,
    );
    assert.deepEqual([refused.code, refused.message], ['53300', 'sorry, too many clients already']);
    await (clients.pop() as pg.Client).end();
    const again = await server.connect();
    clients.push(again);
    assert.deepEqual((await again.query('SELECT 1 AS one')).rows, [{ one: 1 }]);
  } finally {
    await Promise.all(clients.map((c) => c.end()));
  }
});

test('an expression nested past the stack is 54001, and the session goes on', async () => {
  const client = await server.connect();
  try {
    const deep = await failure(client, `SELECT ${'1+'.repeat(5000)}1 AS n`);
    assert.equal(deep.code, '54001', deep.message);
    assert.deepEqual((await client.query('SELECT 2 AS two')).rows, [{ two: 2 }]);
  } finally {
    await client.end();
  }
});

/** The resident set `rss` reads once it is below `mb`, or after 15 s. */
async function rssBelow(rss: () => number, mb: number): Promise<number> {
  let now = rss();
  for (let i = 0; i < 60 && now >= mb; i++) {
    await new Promise((r) => setTimeout(r, 250));
    now = rss();
  }
  return now;
}

/** The resident set `rss` reads once it holds still (three readings 250 ms apart within 2 MB). */
async function settledRss(rss: () => number): Promise<number> {
  let last = rss();
  let still = 0;
  for (let i = 0; i < 40 && still < 3; i++) {
    await new Promise((r) => setTimeout(r, 250));
    const now = rss();
    still = Math.abs(now - last) < 2 ? still + 1 : 0;
    last = now;
  }
  return last;
}

/** The server's resident set, in MB. */
function rssMb(): number {
  const status = readFileSync(`/proc/${server.pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1]) / 1024;
}

test('a statement past --max-statement-size, huge strings and long expressions fail with limit errors; memory stays; others are served', async () => {
  const client = await server.connect();
  const other = await server.connect();
  try {
    await client.query('SELECT 1');
    const before = rssMb();
    const inList = `SELECT 1 AS x WHERE 5 IN (${Array.from({ length: 700_000 }, (_, i) => i).join(',')})`;
    assert.ok(inList.length > 4_000_000);
    const long = await failure(client, inList);
    assert.equal(long.code, '54000', long.message);
    assert.match(long.message, /statement is too long/);
    // Extended protocol too (node-postgres sends Parse for a query with parameters).
    const parsed = await client.query({ text: `${inList} AND $1::int = 1`, values: [1] }).then(
      () => assert.fail('a long Parse was taken'),
      (e: { code: string }) => e,
    );
    assert.equal(parsed.code, '54000');
    for (const sql of [
      "SELECT length(repeat('abcd', 300000000)) AS n",
      "SELECT length(lpad('x', 1000000000, 'ab')) AS n",
      "SELECT length(rpad('x', 1000000000)) AS n",
    ]) {
      const big = await failure(client, sql);
      assert.deepEqual([big.code, big.message], ['54000', 'requested length too large'], sql);
    }
    // The engine's path (a table's INSERT) holds to the same limit.
    await client.query('CREATE TABLE IF NOT EXISTS texts (t VARCHAR)');
    const inserted = await failure(client, "INSERT INTO texts VALUES (repeat('x', 100000000))");
    assert.equal(inserted.code, '54000', inserted.message);
    // Within the statement limit, 100,000 terms: too complex, not an internal error.
    const terms = await failure(client, `SELECT ${'1+'.repeat(100_000)}1 AS n`);
    assert.equal(terms.code, '54001', terms.message);
    const parens = await failure(client, `SELECT ${'('.repeat(20_000)}1${')'.repeat(20_000)} AS n`);
    assert.ok(['54001', '42601'].includes(parens.code), `${parens.code} ${parens.message}`);
    assert.deepEqual((await client.query("SELECT length(repeat('ab', 1000)) AS n")).rows, [{ n: 2000 }]);
    assert.deepEqual((await other.query('SELECT 2 AS two')).rows, [{ two: 2 }], 'another client is served');
    // What the refused statements cost is given back (garbage collected) within a few seconds.
    let grown = rssMb() - before;
    for (let i = 0; i < 50 && grown >= 50; i++) {
      await new Promise((r) => setTimeout(r, 200));
      grown = rssMb() - before;
    }
    assert.ok(grown < 50, `RSS grew ${grown.toFixed(0)} MB (from ${before.toFixed(0)} MB)`);
  } finally {
    await client.end();
    await other.end();
  }
});

test("--store-memory-limit: DuckDB holds the store's share beside a query's and no more", async () => {
  // About 100 MB of DuckDB working memory: within the defaults (512 MiB + 256 MiB), past 32 + 16 MiB.
  const sql =
    'SELECT sum(cardinality(a))::int8 AS n FROM (SELECT i % 10 AS k, array_agg(i) AS a FROM generate_series(1, 12000000) i GROUP BY k) t';
  const roomy = await server.connect();
  try {
    await roomy.query('SET statement_timeout = 0');
    assert.deepEqual((await roomy.query(sql)).rows, [{ n: '12000000' }]);
  } finally {
    await roomy.end();
  }
  const tight = await startQuiet('tight', ['--store-memory-limit', '32MiB', '--query-memory-limit', '16MiB']);
  const client = await tight.connect();
  try {
    const e = await failure(client, sql);
    assert.equal(e.code, '53200', e.message);
    // The store's own work goes on within its share: a table written, committed and read.
    await client.query('CREATE TABLE t (v int)');
    await client.query('INSERT INTO t SELECT * FROM (VALUES (1), (2), (3)) v(v)');
    await client.query('FLUSH');
    assert.deepEqual((await client.query('SELECT sum(v)::int AS s FROM t')).rows, [{ s: 6 }]);
  } finally {
    await client.end();
    await tight.dispose();
  }
});

test('--query-memory-limit: a query that would hold more fails with 53200 — parsing it, DuckDB working on it, or its result — the memory comes back, and the session goes on', async () => {
  // Past the statement size, so that what stops the IN list is the memory it would take.
  const small = await startQuiet('small', ['--max-statement-size', '16MiB', '--query-memory-limit', '64MiB']);
  const rss = () =>
    Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${small.pid}/status`, 'utf8'))?.[1]) / 1024;
  const client = await small.connect();
  const other = await small.connect();
  const fails = async (sql: string, code: string) => {
    const e = await failure(client, sql);
    // A server that stopped instead says why on its stderr.
    assert.equal(e.code, code, `${sql.slice(0, 80)}: ${e.message}\n${small.stderr.slice(-4000)}`);
    return e;
  };
  try {
    await client.query('SELECT 1');
    // Refused before anything is built: the memory never moves.
    const before = await settledRss(rss);
    const inList = `SELECT 1 AS x WHERE 5 IN (${Array.from({ length: 700_000 }, (_, i) => i).join(',')})`;
    const parsing = await fails(inList, '53200');
    assert.equal(parsing.message, 'out of memory');
    assert.match((parsing as { detail?: string }).detail ?? '', /tokens needs more than the 64 MiB/);
    await fails("SELECT length(repeat('abcd', 300000000)) AS n", '54000');
    // 200 million numbers as one DuckDB list took the server to 13.6 GB.
    await fails('SELECT count(*) AS n FROM (SELECT generate_series(1, 200000000) AS i) t', '54000');
    const refused = (await rssBelow(rss, before + 50)) - before;
    assert.ok(refused < 50, `RSS grew ${refused.toFixed(0)} MB (from ${before.toFixed(0)} MB)`);

    // DuckDB's working memory (100 arrays of a million numbers, 800 MB of aggregate state) fails
    // once it holds the limit, and DuckDB gives it back.
    await fails(
      'SELECT sum(cardinality(a)) AS n FROM (SELECT i % 100 AS k, array_agg(i) AS a FROM generate_series(1, 100000000) i GROUP BY k) t',
      '53200',
    );
    // Of the limit DuckDB held, its allocator keeps some 50 MB for later queries (51–53 MB seen).
    const worked = (await rssBelow(rss, before + 100)) - before;
    assert.ok(worked < 100, `RSS grew ${worked.toFixed(0)} MB (from ${before.toFixed(0)} MB)`);

    // A result of 3 million rows (≈ 400 MB as rows in the heap) fails once its rows hold the
    // limit instead of being gathered whole (it took 1.4 GB). The heap keeps what they took —
    // a few times the limit, as JavaScript holds them — for later queries; again and again,
    // it stays within that.
    const bigResult = "SELECT i, repeat('x', 100) AS s FROM generate_series(1, 3000000) i";
    for (let round = 0; round < 3; round++) {
      const rows = await fails(bigResult, '53200');
      assert.equal(rows.message, 'out of memory');
      const kept = (await rssBelow(rss, before + 50)) - before;
      assert.ok(
        kept < 4 * 64,
        `RSS grew ${kept.toFixed(0)} MB (from ${before.toFixed(0)} MB) after ${round + 1}`,
      );
    }

    // Within the limit, the same kinds of queries answer, and the session goes on.
    assert.deepEqual(
      (
        await client.query(
          `SELECT count(*)::int AS n FROM generate_series(1, 1000) i WHERE i IN (${Array.from({ length: 1000 }, (_, i) => i).join(',')})`,
        )
      ).rows,
      [{ n: 999 }],
    );
    assert.equal(
      (await client.query("SELECT i, repeat('x', 100) AS s FROM generate_series(1, 100000) i")).rows.length,
      100_000,
    );
    assert.deepEqual((await other.query('SELECT 2 AS two')).rows, [{ two: 2 }], 'another client is served');
  } finally {
    await client.end();
    await other.end();
    await small.dispose();
  }
});

test('--max-text-size: every function and operator that builds a text, an array or a jsonb stops at it with 54000, in ad-hoc queries and in the engine; views count the failure', async () => {
  const capped = await startQuiet('capped', ['--max-text-size', '1MiB']);
  const client = await capped.connect();
  try {
    const big = "(SELECT repeat('x', 600000) AS r) t";
    for (const sql of [
      "SELECT length(repeat('x', 2000000)) AS n",
      `SELECT length(r || r) AS n FROM ${big}`,
      `SELECT length(r || 'a' || r) AS n FROM ${big}`,
      `SELECT length(concat(r, r)) AS n FROM ${big}`,
      `SELECT length(concat_ws(',', r, r)) AS n FROM ${big}`,
      `SELECT length(replace(r, 'x', 'yy')) AS n FROM ${big}`,
      `SELECT length(regexp_replace(r, 'x', 'yy', 'g')) AS n FROM ${big}`,
      "SELECT length(string_agg(repeat('x', 1000), ',')) AS n FROM generate_series(1, 2000) i",
      'SELECT cardinality(array_agg(i)) AS n FROM generate_series(1, 2000000) i',
      "SELECT length(jsonb_agg(repeat('x', 1000))::text) AS n FROM generate_series(1, 2000) i",
      "SELECT length(json_agg(repeat('x', 1000))::text) AS n FROM generate_series(1, 2000) i",
      "SELECT length(jsonb_object_agg(i, repeat('x', 1000))::text) AS n FROM generate_series(1, 2000) i",
      "SELECT length(jsonb_agg(repeat('x', 600000)) OVER (ORDER BY i)::text) AS n FROM generate_series(1, 3) i",
      'SELECT cardinality(array_cat(a, a)) AS n FROM (SELECT array_agg(i) AS a FROM generate_series(1, 600000) i) t',
      'SELECT cardinality(a || a) AS n FROM (SELECT array_agg(i) AS a FROM generate_series(1, 600000) i) t',
      // generate_series in a select list, or with a subquery for an argument, is a list in DuckDB.
      'SELECT count(*) AS n FROM (SELECT generate_series(1, 2000000) AS i) t',
      'SELECT count(*) AS n FROM generate_series(1, (SELECT 2000000)) i',
    ]) {
      const e = await failure(client, sql);
      assert.deepEqual([e.code, e.message], ['54000', 'requested length too large'], sql);
    }
    // Within the limit they answer; a series in FROM is streamed, never a list.
    assert.deepEqual(
      (await client.query('SELECT count(*)::int AS n FROM generate_series(1, 2000000) i')).rows,
      [{ n: 2_000_000 }],
    );
    assert.deepEqual(
      (await client.query('SELECT count(*)::int AS n FROM (SELECT generate_series(1, 1000) AS i) t')).rows,
      [{ n: 1000 }],
    );
    assert.deepEqual((await client.query(`SELECT length(r || 'a') AS n FROM ${big}`)).rows, [{ n: 600001 }]);
    assert.deepEqual(
      (
        await client.query(
          "SELECT length(string_agg(repeat('x', 1000), ',')) AS n FROM generate_series(1, 500) i",
        )
      ).rows,
      [{ n: 500 * 1001 - 1 }],
    );

    // The engine: a table's INSERT evaluates its values there…
    await client.query('CREATE TABLE texts (t VARCHAR, k INT)');
    await client.query('CREATE TABLE docs (j JSONB)');
    for (const sql of [
      "INSERT INTO docs VALUES (jsonb_build_array(repeat('x', 600000), repeat('x', 600000)))",
      "INSERT INTO docs VALUES (jsonb_build_object('a', repeat('x', 600000), 'b', repeat('x', 600000)))",
      "INSERT INTO docs VALUES (jsonb_build_array(repeat('x', 600000)) || jsonb_build_array(repeat('x', 600000)))",
      "INSERT INTO texts VALUES (repeat('x', 600000) || repeat('x', 600000), 1)",
      "INSERT INTO texts VALUES (concat(repeat('x', 600000), repeat('x', 600000)), 1)",
      "INSERT INTO texts VALUES (replace(repeat('x', 600000), 'x', 'yy'), 1)",
      "INSERT INTO texts VALUES (regexp_replace(repeat('x', 600000), 'x', 'yy', 'g'), 1)",
    ]) {
      const e = await failure(client, sql);
      assert.deepEqual([e.code, e.message], ['54000', 'requested length too large'], sql);
    }
    // …and a view's aggregate past the limit is NULL, its failure counted as the view's error.
    await client.query(
      "CREATE MATERIALIZED VIEW joined AS SELECT k, string_agg(t, ',') AS s, array_agg(t) AS a FROM texts GROUP BY k",
    );
    await client.query(
      "INSERT INTO texts VALUES (repeat('x', 600000), 1), (repeat('y', 600000), 1), ('z', 2)",
    );
    await client.query('FLUSH');
    assert.deepEqual(
      (await client.query('SELECT k, length(s) AS n, cardinality(a)::int AS m FROM joined ORDER BY k')).rows,
      [
        { k: 1, n: null, m: 2 },
        { k: 2, n: 1, m: 1 },
      ],
    );
    const errors = await client.query(
      "SELECT errors::int AS errors, last_error FROM tidewatch_view_errors WHERE view_name = 'joined'",
    );
    assert.ok(errors.rows[0].errors >= 1, JSON.stringify(errors.rows));
    assert.match(errors.rows[0].last_error, /requested length too large/);
  } finally {
    await client.end();
    await capped.dispose();
  }
});

test('--max-text-size holds string_agg and array_agg as window functions too: 54000, the session goes on, and a window within it answers as PostgreSQL does', async () => {
  const capped = await startQuiet('capped-windows', ['--max-text-size', '1MiB']);
  const client = await capped.connect();
  try {
    // 20 values of 100,000 characters: the running aggregate passes 1 MiB at the 11th row.
    for (const sql of [
      "SELECT max(n) AS n FROM (SELECT length(string_agg(repeat('x', 100000), ',') OVER (ORDER BY i)) AS n FROM generate_series(1, 20) i) t",
      "SELECT length(string_agg(repeat('x', 100000), '') OVER ()) AS n FROM generate_series(1, 20) i LIMIT 1",
      "SELECT length(s) AS n FROM (SELECT string_agg(repeat('x', 100000), ',') OVER w AS s FROM generate_series(1, 20) i WINDOW w AS (ORDER BY i ROWS BETWEEN 15 PRECEDING AND CURRENT ROW)) t",
      'SELECT cardinality(array_agg(i) OVER ()) AS n FROM generate_series(1, 2000000) i LIMIT 1',
    ]) {
      const e = await failure(client, sql);
      assert.deepEqual([e.code, e.message], ['54000', 'requested length too large'], sql);
    }
    // PostgreSQL 15's answer, read from it once.
    const windows = await client.query(`SELECT i, string_agg(i::text, ',') OVER (ORDER BY i) AS running,
        string_agg(i::text, '-') OVER (PARTITION BY i % 2 ORDER BY i DESC) AS parity,
        string_agg(i::text, '') OVER w AS pair, array_agg(i) OVER w AS pairs
      FROM generate_series(1, 5) i WINDOW w AS (ORDER BY i ROWS BETWEEN 1 PRECEDING AND CURRENT ROW) ORDER BY i`);
    assert.deepEqual(windows.rows, [
      { i: 1, running: '1', parity: '5-3-1', pair: '1', pairs: [1] },
      { i: 2, running: '1,2', parity: '4-2', pair: '12', pairs: [1, 2] },
      { i: 3, running: '1,2,3', parity: '5-3', pair: '23', pairs: [2, 3] },
      { i: 4, running: '1,2,3,4', parity: '4', pair: '34', pairs: [3, 4] },
      { i: 5, running: '1,2,3,4,5', parity: '5', pair: '45', pairs: [4, 5] },
    ]);
    const within = await client.query(
      "SELECT max(n) AS n FROM (SELECT length(string_agg(repeat('x', 100000), ',') OVER (ORDER BY i)) AS n FROM generate_series(1, 10) i) t",
    );
    assert.deepEqual(within.rows, [{ n: 10 * 100001 - 1 }]);
  } finally {
    await client.end();
    await capped.dispose();
  }
});

test('wrong passwords slow down their address, not another’s, and each attempt is a line of the audit trail', async () => {
  const guarded = await startQuiet('guarded', ['--password', 'right-one']);
  try {
    const login = async (password: string, localAddress: string): Promise<{ ok: boolean; ms: number }> => {
      const started = Date.now();
      const client = new pg.Client({
        user: 'root',
        database: 'dev',
        password,
        host: '127.0.0.1',
        port: guarded.pgPort,
        stream: () => fromAddress(localAddress),
      });
      client.on('error', () => undefined);
      try {
        await client.connect();
        await client.end();
        return { ok: true, ms: Date.now() - started };
      } catch (e) {
        assert.equal((e as { code?: string }).code, '28P01');
        return { ok: false, ms: Date.now() - started };
      }
    };
    const guesses: number[] = [];
    for (let i = 0; i < 8; i++) guesses.push((await login(`guess-${i}`, '127.0.0.2')).ms);
    // Three free failures, then 100 ms doubling: the fifth guess waits 100 ms, the eighth 800 ms.
    assert.ok((guesses[7] as number) >= 750, `the guesser waits: ${guesses.join(', ')} ms`);
    assert.ok((guesses[7] as number) > (guesses[5] as number), `the wait grows: ${guesses.join(', ')} ms`);
    const other = await login('right-one', '127.0.0.3');
    assert.ok(other.ok && other.ms < 1_000, `another address logs in at once (${other.ms} ms)`);
    const guesser = await login('right-one', '127.0.0.2');
    assert.ok(guesser.ok, 'the right password still works from the guessing address, after its wait');
    const again = await login('right-one', '127.0.0.2');
    assert.ok(again.ms < 1_000, `a success forgets the failures (${again.ms} ms)`);
    const lines = guarded.stderr.split('\n').filter((l) => l.startsWith('tidewatch: login'));
    assert.equal(
      lines.filter((l) => /FAILED: user "root" database "dev" from 127\.0\.0\.2/.test(l)).length,
      8,
    );
    assert.equal(lines.filter((l) => /login ok: .* from 127\.0\.0\.3 \(scram-sha-256\)/.test(l)).length, 1);
  } finally {
    await guarded.dispose();
  }
});
