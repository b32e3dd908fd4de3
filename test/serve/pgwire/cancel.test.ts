/**
 * CancelRequest: a query that waits until the backend is told to cancel ends with 57014 when
 * the client cancels (pg's own cancel, or a raw CancelRequest in the extended protocol); a
 * wrong key cancels nothing; a client vanishing mid-query cancels its query and closes its
 * session without disturbing anyone else.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import pg from 'pg';
import type { PgBackend, PgQueryResult, PgSession } from '../../../src/serve/pgwire/backend.ts';
import { SqlError } from '../../../src/sql/errors.ts';
import { T } from '../../../src/sql/types.ts';
import { EngineBackend } from './engine-backend.ts';
import { cancelRequest, query, RawClient } from './raw-client.ts';
import { SEED, startTestServer, type TestServer } from './test-server.ts';

/** Runs SQL on the engine, except `SELECT wait…`, which waits for cancel() and then fails with 57014. */
class WaitingBackend implements PgBackend {
  readonly inner = new EngineBackend();
  waiting = 0;
  cancels = 0;
  closed = 0;
  readonly #started: (() => void)[] = [];

  /** Resolves once a `wait` query is running. */
  nextWait(): Promise<void> {
    return new Promise((resolve) => this.#started.push(resolve));
  }

  async open(): Promise<PgSession> {
    const session = await this.inner.open();
    let interrupt: (() => void) | undefined;
    const wait = async (): Promise<PgQueryResult> => {
      this.waiting++;
      try {
        await new Promise<void>((resolve) => {
          interrupt = resolve;
          for (const started of this.#started.splice(0)) started();
        });
      } finally {
        this.waiting--;
      }
      throw new SqlError('57014', 'canceling statement due to user request');
    };
    const isWait = (sql: string): boolean => /^select wait/i.test(sql.trim());
    return {
      simpleQuery: (sql) =>
        isWait(sql)
          ? {
              async *[Symbol.asyncIterator]() {
                yield await wait();
              },
            }
          : session.simpleQuery(sql),
      describe: (sql, types) =>
        isWait(sql)
          ? Promise.resolve({ paramTypes: [T.text], columns: [{ name: 'x', type: T.int4 }] })
          : session.describe(sql, types),
      execute: (sql, params, types) => (isWait(sql) ? wait() : session.execute(sql, params, types)),
      cancel: () => {
        this.cancels++;
        interrupt?.();
      },
      close: () => {
        this.closed++;
        session.close();
      },
    };
  }
}

let ts: TestServer;
const backend = new WaitingBackend();
before(async () => {
  await backend.inner.engine.execute(SEED);
  ts = await startTestServer({}, backend);
});
after(async () => {
  assert.deepEqual(ts.unexpected, []);
  await ts.close();
  backend.inner.engine.close();
});

async function connected(): Promise<pg.Client> {
  const client = new pg.Client({ host: '127.0.0.1', port: ts.port, user: 'root', database: 'dev' });
  await client.connect();
  return client;
}

test("pg's cancel interrupts a running simple query with 57014", async () => {
  const busy = await connected();
  const started = backend.nextWait();
  const q = busy.query(new pg.Query('SELECT wait'));
  const failed = new Promise<unknown>((resolve) => q.on('error', resolve));
  await started;
  // Client#cancel (a CancelRequest on a new connection) is missing from @types/pg.
  const canceller = new pg.Client({ host: '127.0.0.1', port: ts.port }) as unknown as {
    cancel(client: pg.Client, query: pg.Query): void;
  };
  canceller.cancel(busy, q);
  const e = (await failed) as pg.DatabaseError;
  assert.equal(e.code, '57014');
  assert.equal(e.message, 'canceling statement due to user request');
  assert.deepEqual((await busy.query('SELECT a FROM t WHERE a = 1')).rows, [{ a: 1 }], 'the session goes on');
  await busy.end();
});

test('a raw CancelRequest interrupts an extended-protocol query; a wrong key does nothing', async () => {
  const busy = await connected();
  const { processID, secretKey } = busy as unknown as { processID: number; secretKey: number };
  const started = backend.nextWait();
  const running = busy.query('SELECT wait $1', ['x']).then(
    () => undefined,
    (e: unknown) => e,
  );
  await started;
  const cancelsBefore = backend.cancels;
  const wrong = await RawClient.connect(ts.port);
  wrong.send(cancelRequest(processID, secretKey ^ 1));
  assert.deepEqual(await wrong.readToEnd(), [], 'the server closes a cancel connection without a word');
  await new Promise((r) => setTimeout(r, 50));
  assert.equal(backend.cancels, cancelsBefore, 'a wrong secret key cancels nothing');
  assert.equal(backend.waiting, 1);
  const right = await RawClient.connect(ts.port);
  right.send(cancelRequest(processID, secretKey));
  assert.deepEqual(await right.readToEnd(), []);
  assert.equal(((await running) as pg.DatabaseError).code, '57014');
  assert.deepEqual((await busy.query('SELECT $1::int + 1 AS n', [1])).rows, [{ n: 2 }]);
  await busy.end();
});

test('a client vanishing mid-query cancels it and closes its session; others carry on', async () => {
  const other = await connected();
  const closedBefore = backend.closed;
  const c = await RawClient.ready(ts.port);
  const started = backend.nextWait();
  c.send(query('SELECT wait'));
  await started;
  c.end();
  for (let i = 0; i < 100 && backend.closed === closedBefore; i++)
    await new Promise((r) => setTimeout(r, 10));
  assert.equal(backend.closed, closedBefore + 1, 'the session was closed');
  assert.equal(backend.waiting, 0, 'the query was canceled');
  assert.deepEqual((await other.query('SELECT b FROM t WHERE a = 2')).rows, [{ b: 'two' }]);
  await other.end();
});
