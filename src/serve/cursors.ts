/**
 * A client session's cursors. Subscription cursors follow the store's change logs
 * (RisingWave's `DECLARE … SUBSCRIPTION CURSOR` / `FETCH` / `CLOSE`): each FETCH returns the
 * view's columns followed by `op` (Insert, Delete) and `rw_timestamp` (commit time, ms; NULL
 * for the rows of a FULL snapshot), in commit order, from the position the cursor reached; a
 * FETCH with a timeout waits for a commit when nothing is there yet. Reads go through a reader
 * connection of the session's own, so they see committed epochs only. Query cursors
 * (`DECLARE c CURSOR FOR query`, what server-side cursors of drivers send) hold the query's
 * result, taken at DECLARE, and hand it out FETCH by FETCH.
 */
import type { DuckDBConnection, DuckDBValue } from '@duckdb/node-api';
import type { CursorStart, CursorStatement } from '../sql/cursor-statements.ts';
import { SqlError, SqlState } from '../sql/errors.ts';
import { type SqlType, T, type Value } from '../sql/types.ts';
import {
  changeLogTable,
  fromDuck,
  quoteIdent,
  type SubscriptionInfo,
  type ViewColumn,
} from '../store/view-store.ts';
import type { PgColumn, PgQueryResult } from './pgwire/backend.ts';

/** What cursors need of the store. */
export interface SubscriptionStore {
  createSubscription(name: string, view: string, retentionMs: number): Promise<SubscriptionInfo>;
  dropSubscription(name: string): Promise<void>;
  subscription(name: string): SubscriptionInfo | undefined;
  onCommitted(listener: (epoch: number) => void): void;
  views(): readonly { name: string; columns: readonly ViewColumn[] }[];
}

const OPS: Readonly<Record<number, string>> = {
  1: 'Insert',
  2: 'Delete',
  3: 'UpdateInsert',
  4: 'UpdateDelete',
};

/** Runs a query of the session (in the store). */
export type QueryRunner = (
  sql: string,
  params: readonly Value[],
  types: readonly SqlType[],
) => Promise<{ columns: readonly PgColumn[]; rows: Value[][] }>;

interface QueryCursor {
  readonly kind: 'query';
  readonly columns: readonly PgColumn[];
  readonly rows: Value[][];
}

interface SubscriptionCursor {
  readonly kind: 'subscription';
  readonly subscription: SubscriptionInfo;
  readonly columns: readonly ViewColumn[];
  /** The last change returned: (epoch, seq). */
  epoch: number;
  seq: number;
  /** Rows of a FULL snapshot not fetched yet. */
  snapshot: Value[][];
}

/** Wakes FETCHes that wait for the next commit. */
export class CommitSignal {
  #waiters: (() => void)[] = [];

  constructor(store: Pick<SubscriptionStore, 'onCommitted'>) {
    store.onCommitted(() => {
      const waiters = this.#waiters;
      this.#waiters = [];
      for (const w of waiters) w();
    });
  }

  /** Resolves at the next commit or after `ms`, whichever comes first. */
  next(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      const waiters = this.#waiters;
      function done() {
        clearTimeout(timer);
        const i = waiters.indexOf(done);
        if (i >= 0) waiters.splice(i, 1);
        resolve();
      }
      this.#waiters.push(done);
    });
  }
}

function tagOf(kind: CursorStatement['kind']): string {
  switch (kind) {
    case 'CreateSubscription':
      return 'CREATE_SUBSCRIPTION';
    case 'DropSubscription':
      return 'DROP_SUBSCRIPTION';
    case 'DeclareCursor':
    case 'DeclareQueryCursor':
      return 'DECLARE CURSOR';
    case 'Fetch':
      return 'FETCH';
    case 'CloseCursor':
      return 'CLOSE CURSOR';
    default: {
      const never: never = kind;
      return never;
    }
  }
}

type Cursor = QueryCursor | SubscriptionCursor;

export class Cursors {
  readonly #store: SubscriptionStore;
  readonly #signal: CommitSignal;
  readonly #connect: () => Promise<DuckDBConnection>;
  readonly #query: QueryRunner;
  readonly #cursors = new Map<string, Cursor>();
  #conn: DuckDBConnection | undefined;
  #closed = false;
  /** Ends the wait of the FETCH waiting now, if any. */
  #wake: (() => void) | undefined;

  constructor(
    store: SubscriptionStore,
    signal: CommitSignal,
    connect: () => Promise<DuckDBConnection>,
    query: QueryRunner,
  ) {
    this.#store = store;
    this.#signal = signal;
    this.#connect = connect;
    this.#query = query;
  }

  /** The columns a FETCH from `cursor` returns; undefined when there is no such cursor. */
  columnsOf(cursor: string): readonly PgColumn[] | undefined {
    return this.#cursors.has(cursor.toLowerCase()) ? this.fetchColumns(cursor) : undefined;
  }

  /** The columns a FETCH from `cursor` returns (Describe in the extended protocol). */
  fetchColumns(cursor: string): readonly PgColumn[] {
    const c = this.#cursor(cursor);
    return c.kind === 'query' ? c.columns : this.#outputColumns(c.columns);
  }

  /** Runs a statement; `params` are those of a query cursor's query. */
  async run(
    s: CursorStatement,
    params: readonly Value[] = [],
    types: readonly SqlType[] = [],
  ): Promise<PgQueryResult> {
    const tag = tagOf(s.kind);
    switch (s.kind) {
      case 'CreateSubscription': {
        if (this.#store.subscription(s.name) !== undefined) {
          if (s.ifNotExists) return { tag, notices: [`subscription "${s.name}" already exists, skipping`] };
          throw new SqlError(SqlState.duplicateObject, `subscription "${s.name}" already exists`);
        }
        if (!this.#store.views().some((v) => v.name.toLowerCase() === s.from.toLowerCase()))
          throw new SqlError(
            SqlState.undefinedTable,
            `table or materialized view "${s.from}" does not exist (a subscription follows one of them)`,
          );
        await this.#store.createSubscription(s.name, s.from, s.retentionMs);
        return { tag };
      }
      case 'DropSubscription': {
        if (this.#store.subscription(s.name) === undefined) {
          if (s.ifExists) return { tag, notices: [`subscription "${s.name}" does not exist, skipping`] };
          throw new SqlError(SqlState.undefinedObject, `subscription "${s.name}" does not exist`);
        }
        await this.#store.dropSubscription(s.name);
        for (const [name, c] of this.#cursors)
          if (c.kind === 'subscription' && c.subscription.name.toLowerCase() === s.name.toLowerCase())
            this.#cursors.delete(name);
        return { tag };
      }
      case 'DeclareQueryCursor': {
        this.#checkNewCursor(s.name);
        const { columns, rows } = await this.#query(s.query, params, types);
        this.#cursors.set(s.name.toLowerCase(), { kind: 'query', columns, rows });
        return { tag };
      }
      case 'DeclareCursor': {
        const key = s.name.toLowerCase();
        this.#checkNewCursor(s.name);
        const subscription = this.#store.subscription(s.subscription);
        if (subscription === undefined)
          throw new SqlError(SqlState.undefinedObject, `subscription "${s.subscription}" does not exist`);
        const columns = this.#store.views().find((v) => v.name === subscription.view)?.columns ?? [];
        this.#cursors.set(key, await this.#declare(subscription, columns, s.start));
        return { tag };
      }
      case 'Fetch':
        return { tag, ...(await this.#fetch(s.cursor, s.count, s.timeoutMs)) };
      case 'CloseCursor':
        if (s.cursor === undefined) this.#cursors.clear();
        else if (!this.#cursors.delete(s.cursor.toLowerCase()))
          throw new SqlError(SqlState.invalidCursorName, `cursor "${s.cursor}" does not exist`);
        return { tag };
    }
  }

  #checkNewCursor(name: string): void {
    if (this.#cursors.has(name.toLowerCase()))
      throw new SqlError(SqlState.duplicateCursor, `cursor "${name}" already exists`);
  }

  close(): void {
    this.#closed = true;
    this.#cursors.clear();
    this.#conn?.closeSync();
    this.#conn = undefined;
  }

  async #connection(): Promise<DuckDBConnection> {
    if (this.#closed) throw new SqlError(SqlState.queryCanceled, 'the session is closed');
    this.#conn ??= await this.#connect();
    return this.#conn;
  }

  #cursor(name: string): Cursor {
    const c = this.#cursors.get(name.toLowerCase());
    if (c === undefined) throw new SqlError(SqlState.invalidCursorName, `cursor "${name}" does not exist`);
    return c;
  }

  #outputColumns(columns: readonly ViewColumn[]): PgColumn[] {
    return [...columns, { name: 'op', type: T.varchar }, { name: 'rw_timestamp', type: T.int8 }];
  }

  async #declare(
    subscription: SubscriptionInfo,
    columns: readonly ViewColumn[],
    start: CursorStart,
  ): Promise<Cursor> {
    const conn = await this.#connection();
    const cursor: SubscriptionCursor = {
      kind: 'subscription',
      subscription,
      columns,
      epoch: -1,
      seq: 0,
      snapshot: [],
    };
    const log = quoteIdent(changeLogTable(subscription.view));
    const lastEpoch = async () =>
      Number(
        ((
          await conn.runAndReadAll('SELECT coalesce(max(epoch), 0) FROM tidewatch_epochs')
        ).getRows()[0]?.[0] ?? 0n) as bigint,
      );
    switch (start.kind) {
      case 'begin':
        return cursor;
      case 'now':
        cursor.epoch = await lastEpoch();
        cursor.seq = Number.MAX_SAFE_INTEGER;
        return cursor;
      case 'since': {
        const before = await conn.runAndReadAll(
          `SELECT coalesce(max(__tw_epoch), -1) FROM ${log} WHERE __tw_ts < $1`,
          [BigInt(start.unixMs)],
        );
        cursor.epoch = Number(before.getRows()[0]?.[0] as bigint);
        cursor.seq = Number.MAX_SAFE_INTEGER;
        return cursor;
      }
      case 'full': {
        // The snapshot and the epoch it is at, in one read transaction.
        await conn.run('BEGIN TRANSACTION');
        try {
          cursor.epoch = await lastEpoch();
          cursor.seq = Number.MAX_SAFE_INTEGER;
          const cols = columns.map((c) => quoteIdent(c.name));
          const rows = await conn.runAndReadAll(
            `SELECT ${cols.join(', ')} FROM ${quoteIdent(subscription.view)}, range(__tw_count)`,
          );
          cursor.snapshot = rows
            .getRows()
            .map((r) => [...r.map((v, i) => fromDuck(v, (columns[i] as ViewColumn).type)), 'Insert', null]);
        } finally {
          await conn.run('COMMIT');
        }
        return cursor;
      }
    }
  }

  async #fetch(
    name: string,
    count: number,
    timeoutMs: number,
  ): Promise<{ columns: readonly PgColumn[]; rows: Value[][] }> {
    const cursor = this.#cursor(name);
    if (cursor.kind === 'query') return { columns: cursor.columns, rows: cursor.rows.splice(0, count) };
    const columns = this.#outputColumns(cursor.columns);
    const rows = cursor.snapshot.splice(0, count);
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (rows.length < count) rows.push(...(await this.#changes(cursor, count - rows.length)));
      const left = deadline - Date.now();
      if (rows.length > 0 || left <= 0 || this.#closed) return { columns, rows };
      const cancelled = await new Promise<boolean>((resolve) => {
        this.#wake = () => resolve(true);
        this.#signal.next(left).then(() => resolve(false));
      });
      this.#wake = undefined;
      if (cancelled) throw new SqlError(SqlState.queryCanceled, 'canceling statement due to user request');
    }
  }

  /** CancelRequest: a FETCH waiting for changes stops waiting and fails with 57014. */
  cancel(): void {
    this.#wake?.();
  }

  async #changes(cursor: SubscriptionCursor, limit: number): Promise<Value[][]> {
    if (this.#store.subscription(cursor.subscription.name) === undefined)
      throw new SqlError(
        SqlState.undefinedObject,
        `subscription "${cursor.subscription.name}" does not exist`,
      );
    const conn = await this.#connection();
    const cols = cursor.columns.map((c) => quoteIdent(c.name));
    const result = await conn.runAndReadAll(
      `SELECT ${cols.join(', ')}, __tw_op, __tw_ts, __tw_epoch, __tw_seq FROM ${quoteIdent(changeLogTable(cursor.subscription.view))} ` +
        'WHERE __tw_epoch > $1 OR (__tw_epoch = $1 AND __tw_seq > $2) ORDER BY __tw_epoch, __tw_seq LIMIT $3',
      [
        BigInt(cursor.epoch),
        BigInt(Math.min(cursor.seq, Number.MAX_SAFE_INTEGER)),
        BigInt(Math.min(limit, 1_000_000)),
      ],
    );
    const n = cursor.columns.length;
    return result.getRows().map((raw) => {
      cursor.epoch = Number(raw[n + 2] as bigint);
      cursor.seq = Number(raw[n + 3] as bigint);
      const row: Value[] = [];
      for (let i = 0; i < n; i++)
        row.push(fromDuck(raw[i] as DuckDBValue, (cursor.columns[i] as ViewColumn).type as SqlType));
      row.push(OPS[Number(raw[n])] ?? null, Number(raw[n + 1] as bigint));
      return row;
    });
  }
}
