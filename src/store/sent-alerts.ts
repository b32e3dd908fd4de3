/**
 * What sinks sent: the last messages each sink's delivery settled — delivered, or given up on
 * as a dead letter — kept in the store so that the dashboard's alert feed shows them after a
 * restart too. The delivery records them in the transaction of its acknowledgement (ViewStore
 * `ackSink`), so a message is recorded once, when its settlement is durable; a message delivered
 * again after a crash was not acknowledged before, and is recorded at its second delivery only.
 *
 * Layout (schema `main`): `__tw_sent_alerts(sink, epoch, seq, dedup_key, op, status,
 * committed_at, settled_at, outcome, reason, held_back, row)`, times in ms since 1970, `row`
 * the message's row as a JSON object (sinks/payload.ts), the last `SENT_ALERTS_KEPT` per sink.
 */
import type { DuckDBConnection, DuckDBValue } from '@duckdb/node-api';

const TABLE = '__tw_sent_alerts';

/** Messages kept per sink; older ones leave as newer ones are recorded. */
export const SENT_ALERTS_KEPT = 500;

export interface SentAlert {
  readonly sink: string;
  readonly epoch: number;
  readonly seq: number;
  readonly dedupKey: string;
  readonly op: 'insert' | 'update' | 'delete';
  readonly status: 'firing' | 'resolved';
  /** Commit time of the epoch that brought it, ms since 1970. */
  readonly committedAt: number;
  /** When the target took it or refused it for good, ms since 1970. */
  readonly settledAt: number;
  readonly outcome: 'delivered' | 'dead-letter';
  /** Why the target refused a dead letter. */
  readonly reason: string | null;
  /** Notifications of its throttle key held back before it. */
  readonly heldBack: number;
  /** The row, a JSON object's text. */
  readonly row: string;
}

const COLUMNS = [
  'sink VARCHAR NOT NULL',
  'epoch BIGINT NOT NULL',
  'seq BIGINT NOT NULL',
  'dedup_key VARCHAR NOT NULL',
  'op VARCHAR NOT NULL',
  'status VARCHAR NOT NULL',
  'committed_at BIGINT NOT NULL',
  'settled_at BIGINT NOT NULL',
  'outcome VARCHAR NOT NULL',
  'reason VARCHAR',
  'held_back INTEGER NOT NULL',
  'row VARCHAR NOT NULL',
];

export async function createSentAlertsTable(conn: DuckDBConnection): Promise<void> {
  await conn.run(`CREATE TABLE IF NOT EXISTS ${TABLE} (${COLUMNS.join(', ')})`);
}

/**
 * Records a sink's settled messages in the transaction in progress, and forgets those beyond
 * the newest `SENT_ALERTS_KEPT` of the sink.
 */
export async function recordSentAlerts(
  conn: DuckDBConnection,
  sink: string,
  alerts: readonly SentAlert[],
): Promise<void> {
  const kept = alerts.slice(-SENT_ALERTS_KEPT);
  if (kept.length === 0) return;
  const width = COLUMNS.length;
  const tuples = kept.map(
    (_, r) => `(${Array.from({ length: width }, (_, c) => `$${r * width + c + 1}`).join(', ')})`,
  );
  const params = kept.flatMap((a): DuckDBValue[] => [
    sink,
    BigInt(a.epoch),
    BigInt(a.seq),
    a.dedupKey,
    a.op,
    a.status,
    BigInt(Math.round(a.committedAt)),
    BigInt(Math.round(a.settledAt)),
    a.outcome,
    a.reason,
    a.heldBack,
    a.row,
  ]);
  await conn.run(`INSERT INTO ${TABLE} VALUES ${tuples.join(', ')}`, params);
  await conn.run(
    `DELETE FROM ${TABLE} WHERE sink = $1 AND rowid IN ` +
      `(SELECT rowid FROM ${TABLE} WHERE sink = $1 ORDER BY epoch DESC, seq DESC OFFSET ${SENT_ALERTS_KEPT})`,
    [sink],
  );
}

/** Forgets what a dropped sink sent, in the transaction in progress. */
export async function dropSentAlerts(conn: DuckDBConnection, sink: string): Promise<void> {
  await conn.run(`DELETE FROM ${TABLE} WHERE sink = $1`, [sink]);
}

/** The newest `limit` messages of every sink, newest first; read on a reader connection. */
export async function readSentAlerts(conn: DuckDBConnection, limit: number): Promise<SentAlert[]> {
  const result = await conn.runAndReadAll(
    `SELECT sink, epoch, seq, dedup_key, op, status, committed_at, settled_at, outcome, reason, held_back, row ` +
      `FROM ${TABLE} ORDER BY settled_at DESC, epoch DESC, seq DESC, sink LIMIT $1`,
    [BigInt(limit)],
  );
  return result.getRows().map((r) => ({
    sink: r[0] as string,
    epoch: Number(r[1] as bigint),
    seq: Number(r[2] as bigint),
    dedupKey: r[3] as string,
    op: r[4] as SentAlert['op'],
    status: r[5] as SentAlert['status'],
    committedAt: Number(r[6] as bigint),
    settledAt: Number(r[7] as bigint),
    outcome: r[8] as SentAlert['outcome'],
    reason: r[9] as string | null,
    heldBack: r[10] as number,
    row: r[11] as string,
  }));
}
