/**
 * DDL through the PostgreSQL endpoint is durable when it returns and never leaves a data
 * directory that cannot start. On the reference pipeline with the generator feeding it,
 * `DROP SOURCE website_logs_source CASCADE` is acknowledged and tidewatch keeps running; after
 * a SIGKILL the directory starts again without the source and its views. A client creating and
 * dropping tables and materialized views (over tables and over views, dropped with CASCADE)
 * while tidewatch is killed 10 times at seeded-random moments (right after a statement of each
 * kind, and while statements run): every restart succeeds, right after the exit, and holds
 * what the acknowledged statements made, with the views' rows.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type TestContext, test } from 'node:test';
import type pg from 'pg';
import { killMoments, killWhileWriting, RetryingWriter } from '../helpers/kill-while-writing.ts';
import { prng } from '../helpers/random.ts';
import { RestartableServer } from '../helpers/restartable-server.ts';

const EMPTY = ['--pipeline', 'none', '--no-generator', '--status-interval', '600'];

async function newServer(t: TestContext, args: readonly string[]): Promise<RestartableServer> {
  const dir = mkdtempSync(join(tmpdir(), 'tw-ddl-'));
  const server = new RestartableServer({ dataDir: join(dir, 'data'), args });
  t.after(async () => {
    await server.dispose();
    rmSync(dir, { recursive: true, force: true });
  });
  return server;
}

/** The names a `SHOW …` lists, sorted. */
async function names(client: pg.Client, show: string): Promise<string[]> {
  const r = await client.query<unknown[]>({ text: show, rowMode: 'array' });
  return r.rows.map((row) => String(row[0])).sort();
}

interface Status {
  readonly epoch: number;
  readonly committed_epoch: number | null;
  readonly events_total: number;
}

async function status(server: RestartableServer): Promise<Status> {
  const response = await fetch(`${server.httpUrl}/api/status`);
  assert.equal(response.status, 200, `/api/status answered ${response.status}`);
  return (await response.json()) as Status;
}

/** Resolves once `condition` holds, asked every 50 ms; fails after `timeoutMs` or if tidewatch exits. */
async function until(
  server: RestartableServer,
  what: string,
  condition: () => Promise<boolean> | boolean,
  timeoutMs = 20_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const waiting = (async () => {
    while (!(await condition())) {
      if (Date.now() > deadline)
        throw new Error(`${what}: not within ${timeoutMs} ms; tidewatch's stderr: ${server.stderr}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  })();
  await Promise.race([waiting, server.failure]);
}

test('DROP SOURCE website_logs_source CASCADE under the reference views is acknowledged, tidewatch keeps running, and the directory starts again without them', {
  timeout: 120_000,
}, async (t) => {
  const server = await newServer(t, ['--generator-seed', '3', '--status-interval', '600']);
  await server.start();
  await until(server, 'generated events in a committed epoch', async () => {
    const s = await status(server);
    return s.events_total > 0 && (s.committed_epoch ?? 0) >= 2;
  });
  const client = await server.connect();
  try {
    await client.query('DROP SOURCE website_logs_source CASCADE').catch((e: Error) => {
      assert.fail(
        `DROP SOURCE website_logs_source CASCADE was not acknowledged: ${e.message}; tidewatch's stderr: ${server.stderr}`,
      );
    });
    assert.deepEqual(await names(client, 'SHOW MATERIALIZED VIEWS'), [], 'views after the DROP');
    assert.deepEqual(await names(client, 'SHOW SOURCES'), [], 'sources after the DROP');
  } finally {
    await client.end().catch(() => undefined);
  }
  // tidewatch goes on: it commits epochs after the DROP and answers /api/status; the
  // generator's source is gone, and tidewatch says so.
  const dropped = (await status(server)).epoch;
  await until(
    server,
    'two epochs committed after the DROP',
    async () => ((await status(server)).committed_epoch ?? 0) >= dropped + 2,
  );
  await until(server, 'a word on stderr about the dropped source', () =>
    /website_logs_source/.test(server.stderr),
  );
  assert.equal(server.up, true, `tidewatch stopped after the DROP: ${server.stderr}`);
  assert.doesNotMatch(server.stderr, /^\s+at /m, 'a message, not a stack trace');

  // A SIGKILL; without pipelines the data directory holds no source and no view.
  await server.restart(EMPTY);
  const after = await server.connect();
  try {
    assert.deepEqual(
      await names(after, 'SHOW MATERIALIZED VIEWS'),
      [],
      'views after a SIGKILL and a restart',
    );
    assert.deepEqual(await names(after, 'SHOW SOURCES'), [], 'sources after a SIGKILL and a restart');
  } finally {
    await after.end().catch(() => undefined);
  }
  // Another SIGKILL; the command of the first start starts again too.
  await server.restart();
  await status(server);
  await server.stop();
});

/** Tables and materialized views as a model: what the statements acknowledged so far made. */
interface Catalog {
  /** Table → whether its rows were inserted. */
  readonly tables: Map<string, boolean>;
  /** View → the table or view it reads. */
  readonly views: Map<string, string>;
}

/** Each table holds, once filled, the rows (1, k), (2, k), (3, k) with k its number. */
function fill(table: string): string {
  const k = Number(table.slice(1));
  return `INSERT INTO ${table} VALUES (1, ${k}), (2, ${k}), (3, ${k})`;
}

/** The table under a view, through views over views. */
function baseTable(catalog: Catalog, name: string): string {
  let at = name;
  for (let seen = 0; catalog.views.has(at); seen++) {
    assert.ok(seen < 1000, `a cycle of views at ${name}`);
    at = catalog.views.get(at) as string;
  }
  return at;
}

/** A table's or view's rows as `describeCatalog` shows them: `count(*)/sum(x)` of its table. */
function contents(catalog: Catalog, table: string): string {
  return catalog.tables.get(table) ? `3/${3 * Number(table.slice(1))}` : '0/0';
}

/**
 * What a catalog looks like from a client, as text: each table with `count(*)/sum(x)` of its
 * rows, each view with its one row (the same of its table).
 */
function describeCatalog(catalog: Catalog): string {
  const tables = [...catalog.tables.keys()].sort().map((t) => `${t}=${contents(catalog, t)}`);
  const views = [...catalog.views.keys()]
    .sort()
    .map((v) => `${v}=${contents(catalog, baseTable(catalog, v))}`);
  return `tables: ${tables.join(' ')}; views: ${views.join(' ')}`;
}

/** Drops `name` and, transitively, every view over it. */
function dropCascade(catalog: Catalog, name: string): void {
  catalog.tables.delete(name);
  catalog.views.delete(name);
  for (const [view, on] of [...catalog.views])
    if (on === name && catalog.views.has(view)) dropCascade(catalog, view);
}

/**
 * `count` idempotent DDL and DML statements drawn from `random`, and the catalog described after
 * each (`states[i]`: after the first i statements).
 */
function ddlScript(random: () => number, count: number): { statements: string[]; states: string[] } {
  const catalog: Catalog = { tables: new Map(), views: new Map() };
  const statements: string[] = [];
  const states = [describeCatalog(catalog)];
  let tables = 0;
  let views = 0;
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)] as T;
  while (statements.length < count) {
    const r = random();
    const liveTables = [...catalog.tables.keys()];
    const empty = liveTables.filter((n) => catalog.tables.get(n) === false);
    const liveViews = [...catalog.views.keys()];
    if (liveTables.length === 0 || r < 0.2) {
      const name = `t${++tables}`;
      statements.push(`CREATE TABLE IF NOT EXISTS ${name} (id INT PRIMARY KEY, x INT)`);
      catalog.tables.set(name, false);
    } else if (r < 0.35 && empty.length > 0) {
      const name = pick(empty);
      statements.push(fill(name));
      catalog.tables.set(name, true);
    } else if (r < 0.6) {
      const name = `m${++views}`;
      const on = pick(liveTables);
      statements.push(
        `CREATE MATERIALIZED VIEW IF NOT EXISTS ${name} AS SELECT count(*) AS n, coalesce(sum(x), 0) AS s FROM ${on}`,
      );
      catalog.views.set(name, on);
    } else if (r < 0.72 && liveViews.length > 0) {
      const name = `m${++views}`;
      const on = pick(liveViews);
      statements.push(`CREATE MATERIALIZED VIEW IF NOT EXISTS ${name} AS SELECT n, s FROM ${on}`);
      catalog.views.set(name, on);
    } else if (r < 0.86 && liveViews.length > 0) {
      const name = pick(liveViews);
      statements.push(`DROP MATERIALIZED VIEW IF EXISTS ${name} CASCADE`);
      dropCascade(catalog, name);
    } else {
      const name = pick(liveTables);
      statements.push(`DROP TABLE IF EXISTS ${name} CASCADE`);
      dropCascade(catalog, name);
    }
    states.push(describeCatalog(catalog));
  }
  return { statements, states };
}

/** The catalog the server holds, described as `describeCatalog` does. */
async function observedCatalog(server: RestartableServer): Promise<string> {
  const client = await server.connect();
  try {
    await client.query('FLUSH');
    const rows = async (sql: string) => {
      const r = await client.query<unknown[]>({ text: sql, rowMode: 'array' });
      return r.rows.map((row) => row.map(String).join('/')).join(',');
    };
    const tables: string[] = [];
    for (const t of await names(client, 'SHOW TABLES'))
      tables.push(`${t}=${await rows(`SELECT count(*), coalesce(sum(x), 0) FROM ${t}`)}`);
    const views: string[] = [];
    for (const v of await names(client, 'SHOW MATERIALIZED VIEWS'))
      views.push(`${v}=${await rows(`SELECT n, s FROM ${v}`)}`);
    return `tables: ${tables.join(' ')}; views: ${views.join(' ')}`;
  } finally {
    await client.end().catch(() => undefined);
  }
}

const DDL_STATEMENTS = 60;
/** The kinds of statement of the script, by how they begin. */
const KINDS = [
  'CREATE TABLE',
  'INSERT',
  'CREATE MATERIALIZED VIEW',
  'DROP MATERIALIZED VIEW',
  'DROP TABLE',
] as const;
const DDL_KILLS = 10;
/** DDL commits an epoch before it returns: a kill at a random moment comes up to this long after its statement began. */
const MAX_DDL_KILL_DELAY_MS = 60;

test('tables and views created and dropped while tidewatch is killed 10 times: every restart holds what the acknowledged statements made', {
  timeout: 180_000,
}, async (t) => {
  const server = await newServer(t, EMPTY);
  await server.start();
  const random = prng(77);
  const { statements, states } = ddlScript(random, DDL_STATEMENTS);
  const writer = new RetryingWriter(server, statements);
  const problems: string[] = [];
  // One kill right after a statement of each kind, drawn among them; the others at random
  // moments, mostly while a statement runs; the last right after the last statement.
  const rightAfter = KINDS.map((kind) => {
    const of = statements.flatMap((s, i) => (s.startsWith(kind) ? [i + 1] : []));
    assert.ok(of.length > 0, `the script has no ${kind}`);
    return { after: of[Math.floor(random() * of.length)] as number, delayMs: 0 };
  });
  const moments = [
    ...rightAfter,
    ...killMoments(random, DDL_KILLS - KINDS.length, DDL_STATEMENTS, {
      maxDelayMs: MAX_DDL_KILL_DELAY_MS,
      rightAfter: 0,
    }),
  ].sort((a, b) => a.after - b.after);
  const kills = await killWhileWriting(server, writer, moments, async (kill) => {
    const got = await observedCatalog(server);
    const acknowledged = states[kill.acknowledged] as string;
    const inFlight = states[kill.acknowledged + 1];
    if (got !== acknowledged && !(kill.inFlight && got === inFlight))
      problems.push(
        `after kill ${kill.number}, ${kill.acknowledged} statements acknowledged (the last: ${statements[kill.acknowledged - 1] ?? 'none'}${kill.inFlight ? `; in flight: ${statements[kill.acknowledged]}` : ''}):\n  expected ${acknowledged}${kill.inFlight ? `\n  or       ${inFlight}` : ''}\n  found    ${got}`,
      );
  });
  console.log(
    `# DDL: ${kills.length} kills, ${kills.filter((k) => k.inFlight).length} with a statement in flight; ${writer.failedByKill} attempts failed by a kill and were made again`,
  );
  assert.equal(problems.length, 0, `what the restarts found:\n${problems.join('\n')}`);
  assert.equal(await observedCatalog(server), states[DDL_STATEMENTS], 'at the end');
  await server.stop();
});
