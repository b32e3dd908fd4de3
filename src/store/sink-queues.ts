/**
 * Sinks' queues in the store: for each sink, the changes of its relation not delivered yet, and
 * its delivery's progress. ViewStore calls the writers inside its transactions, so that a
 * sink's queue gets an epoch's changes in the very transaction that commits the epoch (nothing
 * committed is missing from it, nothing is in it twice); a sink's delivery reads the queue on a
 * reader connection of its own and acknowledges what the target took (`ack`), which deletes the
 * epochs delivered and records its progress in one transaction.
 *
 * Layout (schema `main`):
 *
 * - `tidewatch_sinks(name, view, created_epoch, progress)`: one row per sink; `progress` is
 *   the delivery's own JSON (position, alert state, counters), NULL before the first ack.
 * - `__tw_sink_<name>`: the relation's columns followed by `__tw_op` (1 insert, 2 delete),
 *   `__tw_epoch`, `__tw_seq` (order within the epoch: retractions before insertions of a row)
 *   and `__tw_ts` (commit time, ms). With `snapshot`, CREATE SINK's epoch starts it with the
 *   relation's rows as insertions.
 */
import type { DuckDBConnection, DuckDBValue } from '@duckdb/node-api';
import type { Value } from '../sql/types.ts';
import type { Row } from '../stream/value.ts';
import { createSentAlertsTable, dropSentAlerts, recordSentAlerts, type SentAlert } from './sent-alerts.ts';
import { duckType, fromDuck, quoteIdent, type ViewColumn } from './view-store.ts';

export const SINKS_TABLE = 'tidewatch_sinks';

/** The DuckDB table of a sink's queue. */
export function sinkQueueTable(sink: string): string {
  return `__tw_sink_${sink}`;
}

export interface SinkQueueInfo {
  readonly name: string;
  /** The table or view whose changes it queues. */
  readonly view: string;
  readonly createdEpoch: number;
}

/** One queued change. */
export interface QueuedChange {
  readonly row: Row;
  /** +1 insertion, −1 retraction. */
  readonly weight: 1 | -1;
  readonly seq: number;
}

/** The changes of one committed epoch, in their order. */
export interface QueuedEpoch {
  readonly epoch: number;
  /** Commit time, ms since 1970. */
  readonly committedAt: number;
  readonly changes: readonly QueuedChange[];
}

export async function createSinksTable(conn: DuckDBConnection): Promise<void> {
  await conn.run(
    `CREATE TABLE IF NOT EXISTS ${SINKS_TABLE} (name VARCHAR PRIMARY KEY, view VARCHAR NOT NULL, created_epoch BIGINT NOT NULL, progress VARCHAR)`,
  );
  await createSentAlertsTable(conn);
}

/** Every sink's queue, with its progress (undefined before the first ack). */
export async function loadSinks(
  conn: DuckDBConnection,
): Promise<(SinkQueueInfo & { readonly progress: string | undefined })[]> {
  const rows = await conn.runAndReadAll(`SELECT name, view, created_epoch, progress FROM ${SINKS_TABLE}`);
  return rows.getRows().map(([name, view, created, progress]) => ({
    name: name as string,
    view: view as string,
    createdEpoch: Number(created as bigint),
    progress: progress === null ? undefined : (progress as string),
  }));
}

/**
 * Creates a sink's queue and catalog row in the transaction in progress; with `snapshot`, the
 * view's rows now are its first changes, at `epoch`.
 */
export async function createSinkQueue(
  conn: DuckDBConnection,
  sink: SinkQueueInfo,
  columns: readonly ViewColumn[],
  snapshot: boolean,
  now: number,
): Promise<void> {
  const table = quoteIdent(sinkQueueTable(sink.name));
  const cols = columns.map((c) => `${quoteIdent(c.name)} ${duckType(c.type)}`);
  await conn.run(
    `CREATE TABLE ${table} (${[...cols, '__tw_op TINYINT NOT NULL', '__tw_epoch BIGINT NOT NULL', '__tw_seq BIGINT NOT NULL', '__tw_ts BIGINT NOT NULL'].join(', ')})`,
  );
  await conn.run(`INSERT INTO ${SINKS_TABLE} VALUES ($1, $2, $3, NULL)`, [
    sink.name,
    sink.view,
    BigInt(sink.createdEpoch),
  ]);
  if (!snapshot) return;
  const names = columns.map((c) => quoteIdent(c.name));
  await conn.run(
    `INSERT INTO ${table} SELECT ${names.join(', ')}, 1, $1, row_number() OVER (ORDER BY __tw_key), $2 ` +
      `FROM ${quoteIdent(sink.view)}, range(__tw_count)`,
    [BigInt(sink.createdEpoch), BigInt(Math.round(now))],
  );
}

/** Drops a sink's queue, catalog row and what it sent, in the transaction in progress. */
export async function dropSinkQueue(conn: DuckDBConnection, sink: string): Promise<void> {
  await conn.run(`DROP TABLE IF EXISTS ${quoteIdent(sinkQueueTable(sink))}`);
  await conn.run(`DELETE FROM ${SINKS_TABLE} WHERE name = $1`, [sink]);
  await dropSentAlerts(conn, sink);
}

/**
 * Deletes the epochs up to `deliveredEpoch` (all of them delivered) from a sink's queue and
 * records its progress and the messages settled since its last ack, in the transaction in
 * progress.
 */
export async function ackSinkQueue(
  conn: DuckDBConnection,
  sink: string,
  deliveredEpoch: number | undefined,
  progress: string,
  settled: readonly SentAlert[],
): Promise<void> {
  await recordSentAlerts(conn, sink, settled);
  if (deliveredEpoch !== undefined)
    await conn.run(`DELETE FROM ${quoteIdent(sinkQueueTable(sink))} WHERE __tw_epoch <= $1`, [
      BigInt(deliveredEpoch),
    ]);
  await conn.run(`UPDATE ${SINKS_TABLE} SET progress = $1 WHERE name = $2`, [progress, sink]);
}

/**
 * The first epoch after `after` in a sink's queue, whole; undefined when none is there. Read
 * on a reader connection: committed epochs only.
 */
export async function readQueuedEpoch(
  conn: DuckDBConnection,
  sink: string,
  columns: readonly ViewColumn[],
  after: number,
): Promise<QueuedEpoch | undefined> {
  const table = quoteIdent(sinkQueueTable(sink));
  const names = columns.map((c) => quoteIdent(c.name));
  const result = await conn.runAndReadAll(
    `SELECT ${[...names, '__tw_op', '__tw_seq', '__tw_epoch', '__tw_ts'].join(', ')} FROM ${table} ` +
      `WHERE __tw_epoch = (SELECT min(__tw_epoch) FROM ${table} WHERE __tw_epoch > $1) ORDER BY __tw_seq`,
    [BigInt(after)],
  );
  const rows = result.getRows();
  const first = rows[0];
  if (first === undefined) return undefined;
  const n = columns.length;
  const changes = rows.map((raw): QueuedChange => {
    const row: Value[] = [];
    for (let i = 0; i < n; i++) row.push(fromDuck(raw[i] as DuckDBValue, (columns[i] as ViewColumn).type));
    return { row, weight: Number(raw[n]) === 2 ? -1 : 1, seq: Number(raw[n + 1] as bigint) };
  });
  return { epoch: Number(first[n + 2] as bigint), committedAt: Number(first[n + 3] as bigint), changes };
}

/** How many changes after `after` a sink's queue holds. */
export async function queuedChanges(conn: DuckDBConnection, sink: string, after: number): Promise<number> {
  const result = await conn.runAndReadAll(
    `SELECT count(*) FROM ${quoteIdent(sinkQueueTable(sink))} WHERE __tw_epoch > $1`,
    [BigInt(after)],
  );
  return Number(result.getRows()[0]?.[0] as bigint);
}
