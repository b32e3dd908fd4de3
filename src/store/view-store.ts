/**
 * Materialized views persisted incrementally in an embedded DuckDB file: each epoch's view
 * deltas are applied in one transaction, so a checkpoint need not carry whole view tables.
 *
 * Layout of the database (schema `main`):
 *
 * - `tidewatch_views(name, columns, created_epoch)`: one row per view; `columns` is the JSON
 *   of `[{ name, type: SqlType }]`, the tidewatch types (DuckDB's own types lose some:
 *   jsonb and numeric are VARCHAR).
 * - `tidewatch_epochs(epoch, committed_at)`: one row per commit, of its epoch (the last of the
 *   caller's epochs it holds).
 * - `tidewatch_sources(name, columns)`: one row per source whose raw events are retained.
 * - In a database of their own beside this one (`rawFileOf`, attached as `tidewatch_raw`, out of
 *   this database's write-ahead log): `tidewatch_raw_epochs(source, epoch, rows, bytes,
 *   committed_at)`, what each epoch added, for retention by age and size (raw-retention.ts), and
 *   one table per source, named as the source, with its columns followed by `__tw_epoch BIGINT`
 *   (the epoch that committed the event): the retained raw events, appended in a transaction of
 *   their own that commits just before the epoch's (`#commitRaw`; readers take the events of
 *   committed epochs only); retention deletes whole epochs, oldest first.
 * - `tidewatch_subscriptions(name, view, retention_ms, created_epoch)`, and for each view
 *   with a subscription its change log `__tw_changes_<view>`: the view's columns followed by
 *   `__tw_op` (1 insert, 2 delete, 3 update-insert, 4 update-delete: a retraction and an
 *   insertion of one key in one epoch, when the view's key is known), `__tw_epoch`, `__tw_seq` (order within the epoch) and
 *   `__tw_ts` (commit time, ms), written from the epoch's changes in its transaction and kept
 *   for the longest retention of the view's subscriptions.
 * - `tidewatch_sinks` and one queue per sink, `__tw_sink_<name>`: the changes of the sink's
 *   relation not delivered yet, written in each epoch's transaction (sink-queues.ts), and
 *   `__tw_sent_alerts`, the last messages each sink settled, written with its acks (sent-alerts.ts).
 * - one table per view, named as the view, with the view's columns followed by
 *   `__tw_key VARCHAR` (the engine's `rowIdentity` of the row, so that a retraction finds its
 *   row exactly, NULLs and NaN included; empty in an APPEND ONLY table, whose rows are never
 *   retracted and are appended as they come) and `__tw_count BIGINT` (views are multisets:
 *   the row's multiplicity, almost always 1). Ad-hoc SQL repeating rows by their count
 *   reads `FROM view, range(__tw_count)`.
 *
 * A commit stages each view's consolidated changes through the appender into a temporary
 * table (per connection, never persisted), then, in the same transaction: reads the current
 * counts of the staged keys (one join), refuses a retraction of rows the view does not hold,
 * deletes the rows of touched keys and inserts those whose new count is positive, and records
 * the epoch. A failure anywhere rolls the whole epoch back. Measured (bench/view-store.bench.ts)
 * against `UPDATE … SET __tw_count = __tw_count + d` / `INSERT` new keys / `DELETE` counts ≤ 0:
 * replacing rows costs one join less and is ≈ 30 % faster at 10,000 changed rows; an
 * aggregate's change is a retraction of one key and an insertion of another anyway. An upsert
 * against a PRIMARY KEY is ≈ 4× slower (DESIGN.md, storage notes).
 *
 * Value mapping (engine representation ⇄ DuckDB column):
 *
 * | tidewatch type        | DuckDB      | engine value                                      |
 * | --------------------- | ----------- | ------------------------------------------------- |
 * | boolean               | BOOLEAN     | boolean                                           |
 * | int2 / int4           | SMALLINT / INTEGER | number                                     |
 * | int8                  | BIGINT      | number, or bigint beyond ±(2^53 − 1): exact       |
 * | numeric               | VARCHAR     | `Numeric`, as PostgreSQL's text (`1.50`, `NaN`):  |
 * |                       |             | exact, value and display scale (a DECIMAL has 38  |
 * |                       |             | digits at one scale per column; a numeric has a   |
 * |                       |             | scale per value, NaN and ±Infinity)               |
 * | float4                | FLOAT       | number (a double the engine keeps rounded to float4, |
 * |                       |             | so the two hold one value: an ad-hoc query computes in |
 * |                       |             | float4 where PostgreSQL does; older stores' DOUBLE     |
 * |                       |             | columns are converted at open, float4-columns.ts)     |
 * | float8                | DOUBLE      | number                                            |
 * | varchar / text / unknown | VARCHAR  | string                                            |
 * | timestamp             | TIMESTAMP   | µs since 1970 (negative before 1970)              |
 * | timestamptz           | TIMESTAMPTZ | µs since 1970, UTC                                |
 * | date                  | DATE        | days since 1970                                   |
 * | time                  | TIME        | µs since midnight                                 |
 * | interval              | INTERVAL    | `{ months, days, micros }`                        |
 * | jsonb                 | VARCHAR     | parsed JSON, stored as its JSON text (a JSON null |
 * |                       |             | as `null`, apart from SQL NULL: jsonb-value.ts)   |
 * | bytea                 | BLOB        | Uint8Array                                        |
 * | T[]                   | LIST of T   | arrays, recursively                               |
 *
 * Values never enter SQL text: rows go through the appender and the epoch through a bound
 * parameter; identifiers are double-quoted with inner quotes doubled. DuckDB matches
 * identifiers case-insensitively even when quoted, so two views whose names differ only in
 * case are refused.
 */

import { rmSync, statSync } from 'node:fs';
import {
  BIGINT,
  blobValue,
  type DuckDBAppender,
  type DuckDBBlobValue,
  type DuckDBConnection,
  type DuckDBDateValue,
  DuckDBInstance,
  type DuckDBIntervalValue,
  type DuckDBListType,
  type DuckDBListValue,
  type DuckDBPreparedStatement,
  type DuckDBTimestampTZValue,
  type DuckDBTimestampValue,
  type DuckDBTimeValue,
  type DuckDBType,
  type DuckDBValue,
  dateValue,
  LIST,
  listValue,
  timestampTZValue,
  timestampValue,
  timeValue,
  VARCHAR,
} from '@duckdb/node-api';
import { byName } from '../sql/catalog.ts';
import { type Int8, int8 } from '../sql/int8.ts';
import { jsonbText, storedJsonb } from '../sql/jsonb-value.ts';
import { formatNumeric, type Numeric, parseNumeric } from '../sql/numeric.ts';
import { isReservedName } from '../sql/reserved-names.ts';
import type { SqlType, Value } from '../sql/types.ts';
import { compareRows, type Row, rowIdentity } from '../stream/value.ts';
import { type CommitPhases, PhaseTimer } from './commit-phases.ts';
import {
  CSV_LOAD_MIN_ROWS,
  CsvLoader,
  type CsvLoadTarget,
  csvLoadable,
  isSpooled,
  type RawPart,
  readCsvFile,
  type SpooledRows,
} from './csv-load.ts';
import { StoreError } from './errors.ts';
import { toDuckValue } from './query/duck-values.ts';
import { type RawEpoch, RetainedEpochs, type RetentionPolicy, rawBytes } from './raw-retention.ts';
import { convertRealColumns, type StoredColumns } from './real-columns.ts';
import type { SentAlert } from './sent-alerts.ts';
import {
  ackSinkQueue,
  createSinkQueue,
  createSinksTable,
  dropSinkQueue,
  loadSinks,
  type SinkQueueInfo,
  sinkQueueTable,
} from './sink-queues.ts';

export interface ViewColumn {
  readonly name: string;
  readonly type: SqlType;
}

/** One view's changes of an epoch: `rows[i]` with weight `weights[i]` (+1 insert, −1 retract). */
export interface ViewDelta {
  readonly rows: readonly Row[];
  readonly weights: readonly number[];
  /**
   * When the engine kept the view too (Materialize's `TableDelta`): the changes are consolidated,
   * `keys` are the rows' `rowIdentity` and `before` the multiplicity each row had before them, so
   * that a commit need not look the rows up in the store first.
   */
  readonly keys?: readonly string[];
  readonly before?: readonly number[];
}

/**
 * Whether a delta only inserts rows its relation did not hold (counts known from the engine):
 * such rows are appended with their keys, with no stage and no lookup (a bulk INSERT or COPY
 * into a table).
 */
export function insertsNewRows(delta: ViewDelta): boolean {
  const { keys, before, weights } = delta;
  if (keys === undefined || before === undefined || weights.length === 0) return false;
  for (let i = 0; i < weights.length; i++) if (!((weights[i] as number) > 0) || before[i] !== 0) return false;
  return true;
}

/**
 * Two deltas of one view, `first` before `second`, as one. When both carry the engine's prior
 * multiplicities, so does their sum (a row's is the one it had before `first`); otherwise it is
 * their rows, looked up in the store when committed.
 */
export function mergeViewDeltas(first: ViewDelta, second: ViewDelta): ViewDelta {
  if (
    first.keys === undefined ||
    first.before === undefined ||
    second.keys === undefined ||
    second.before === undefined
  )
    return { rows: [...first.rows, ...second.rows], weights: [...first.weights, ...second.weights] };
  const at = new Map<string, number>();
  const rows = [...first.rows];
  const weights = [...first.weights];
  const keys = [...first.keys];
  const before = [...first.before];
  for (let i = 0; i < keys.length; i++) at.set(keys[i] as string, i);
  for (let i = 0; i < second.keys.length; i++) {
    const key = second.keys[i] as string;
    const j = at.get(key);
    if (j !== undefined) weights[j] = (weights[j] as number) + (second.weights[i] as number);
    else {
      at.set(key, rows.length);
      rows.push(second.rows[i] as Row);
      weights.push(second.weights[i] as number);
      keys.push(key);
      before.push(second.before[i] as number);
    }
  }
  const kept = weights.flatMap((w, i) => (w === 0 ? [] : [i]));
  if (kept.length === weights.length) return { rows, weights, keys, before };
  return {
    rows: kept.map((i) => rows[i] as Row),
    weights: kept.map((i) => weights[i] as number),
    keys: kept.map((i) => keys[i] as string),
    before: kept.map((i) => before[i] as number),
  };
}

/** The changes of each view, and the raw events of each source, gathered until they are committed as one epoch. */
export class PendingDeltas {
  #deltas = new Map<string, ViewDelta>();
  #raw = new Map<string, (Row[] | SpooledRows)[]>();
  #deadLetters = new Map<string, DeadLetter[]>();

  /**
   * Adds raw events: rows (joined to the rows added just before: every array of rows here is
   * this gathering's own) or a file of them.
   */
  addRaw(source: string, part: RawPart): void {
    let parts = this.#raw.get(source);
    if (parts === undefined) {
      parts = [];
      this.#raw.set(source, parts);
    }
    if (isSpooled(part)) {
      parts.push(part);
      return;
    }
    let rows = parts[parts.length - 1];
    if (rows === undefined || isSpooled(rows)) {
      rows = [];
      parts.push(rows);
    }
    for (const row of part) rows.push(row);
  }

  /** The raw events gathered so far, in the order they came; gathering starts afresh. */
  takeRaw(): ReadonlyMap<string, readonly RawPart[]> {
    const taken = this.#raw;
    this.#raw = new Map();
    return taken;
  }

  addDeadLetters(source: string, letters: readonly DeadLetter[]): void {
    const list = this.#deadLetters.get(source);
    if (list === undefined) this.#deadLetters.set(source, [...letters]);
    else for (const l of letters) list.push(l);
  }

  /** The dead letters gathered so far; gathering starts afresh. */
  takeDeadLetters(): ReadonlyMap<string, readonly DeadLetter[]> {
    const taken = this.#deadLetters;
    this.#deadLetters = new Map();
    return taken;
  }

  add(view: string, delta: ViewDelta): void {
    const d = this.#deltas.get(view);
    if (d === undefined) {
      this.#deltas.set(view, delta);
      return;
    }
    this.#deltas.set(view, mergeViewDeltas(d, delta));
  }

  /** The changes gathered so far; gathering starts afresh. */
  take(): ReadonlyMap<string, ViewDelta> {
    const taken = this.#deltas;
    this.#deltas = new Map();
    return taken;
  }
}

/**
 * The tables a catalog needs in the store: one per table and view (with the columns its rows
 * are unique on, when known), one of retained raw events per source (with its retention).
 * `commit` brings the store to it in the epoch's own transaction.
 */
export interface StoreSchema {
  readonly views: readonly {
    readonly name: string;
    readonly columns: readonly ViewColumn[];
    readonly key: readonly number[] | undefined;
    /** Its rows are only ever inserted (an APPEND ONLY table): appended as they come, unkeyed. */
    readonly appendOnly?: boolean;
  }[];
  readonly sources: readonly {
    readonly name: string;
    readonly columns: readonly ViewColumn[];
    readonly retention: RetentionPolicy;
  }[];
  /** Sinks, each queueing the changes of a table or view; `snapshot`: its rows at creation first. */
  readonly sinks?: readonly { readonly name: string; readonly view: string; readonly snapshot: boolean }[];
}

export interface ViewInfo {
  readonly name: string;
  readonly columns: readonly ViewColumn[];
  readonly createdEpoch: number;
}

export interface ViewStoreOptions {
  /** Wall-clock milliseconds (commit times, raw event retention); `Date.now` by default. */
  readonly now?: () => number;
  /**
   * How often (ms of commit time) retention lets raw events go, 60 s by default: a DELETE
   * costs about the same for one epoch as for sixty, so the limits may be exceeded by that
   * long's events. 0: at every commit.
   */
  readonly retentionIntervalMs?: number;
  /**
   * Called inside a commit's transaction after each view's changes are applied (before the
   * epoch is recorded). For tests: throwing here must leave the store as it was.
   */
  readonly afterApply?: (view: string) => void | Promise<void>;
  /**
   * Epochs of at least this many rows of an append-only table or a source's raw events are
   * loaded from CSV (csv-load.ts), smaller ones appended; `Infinity`: always appended.
   */
  readonly csvLoadMinRows?: number;
  /**
   * What one ad-hoc query may hold of DuckDB's memory: DuckDB's limit (its buffer manager's,
   * shared by the store's commits and every reader) is this plus what the store needs for
   * itself, `storeMemoryBytes`. Unset: DuckDB's default, 80% of the machine's memory.
   */
  readonly queryMemoryBytes?: number;
  /** DuckDB memory for the store's own work and its cache of tables, beside a query's (default `STORE_MEMORY_BYTES`). */
  readonly storeMemoryBytes?: number;
}

/** DuckDB memory the store's own commits, loads and retention keep beside one query's, unless told otherwise. */
export const STORE_MEMORY_BYTES = 512 * 1024 * 1024;

/** How many times its memory DuckDB may write to its temporary files (its default: 90% of the free disk). */
const SPILL_FACTOR = 4;

/**
 * The store checkpoints the database once this much write-ahead log has grown, less often than
 * DuckDB's default of 16 MiB (a checkpoint holds up the commits queued behind it: at 10,000
 * events/s with both pipelines the freshness p99 over 150 s went from 3.1–3.4 s to 2.1 s), and
 * right after a commit, not in it (`#checkpointWhenDue`). A start after a crash replays about
 * this much log.
 */
const CHECKPOINT_BYTES = 64 * 1024 * 1024;
/** DuckDB's own checkpoint, in the COMMIT that passes it: a bound, should ours keep failing. */
const CHECKPOINT_THRESHOLD = '256MiB';

/** DuckDB's allocator hands memory freed past this back to the system (DuckDB's default: 128 MiB). */
const FLUSH_THRESHOLD_BYTES = 16 * 1024 * 1024;

const KEY = '__tw_key';
const COUNT = '__tw_count';
/** The count column of a view's table, as a CSV file of its rows carries it last. */
const COUNT_COLUMN: ViewColumn = { name: COUNT, type: { name: 'int8' } };
const DELTA = '__tw_delta';
const OLD = '__tw_old';
/** The key column of a view's table (a row's `rowIdentity`), as a file of new rows carries it. */
const KEY_COLUMN: ViewColumn = { name: KEY, type: { name: 'varchar' } };
/** Rows a stage takes before it is dropped and made again (`#ensureStage`): about 1.3 MB of them. */
const STAGE_RENEW_ROWS = 16_384;

/** A stage's columns before the view's: a change's row key, its weight and the count before it. */
const STAGE_COLUMNS: readonly ViewColumn[] = [
  KEY_COLUMN,
  { name: DELTA, type: { name: 'int8' } },
  { name: OLD, type: { name: 'int8' } },
];
const CATALOG = 'tidewatch_views';
/** One row per commit, of its epoch: what readers may see of retained raw events (`#commitRaw`). */
export const EPOCHS = 'tidewatch_epochs';
const SOURCES = 'tidewatch_sources';
const RAW_EPOCHS = 'tidewatch_raw_epochs';
/** The database, attached beside the store's, that holds the sources' retained raw events. */
export const RAW_DATABASE = 'tidewatch_raw';
const RAW_EPOCHS_TABLE = `${RAW_DATABASE}.main.${RAW_EPOCHS}`;
/**
 * The raw events' database checkpoints once its write-ahead log has grown this much, right after
 * the commit that passed it: appends only, a checkpoint takes some 4 ms a MiB, and holds only the
 * raw events' next commit.
 */
const RAW_CHECKPOINT_BYTES = 16 * 1024 * 1024;

/** A source's table of retained raw events, in the raw events' database. */
export function rawTable(source: string): string {
  return `${RAW_DATABASE}.main.${quoteIdent(source)}`;
}

/** The file of the raw events' database beside the store's `file`. */
export function rawFileOf(file: string): string {
  return file === ':memory:' ? file : `${file.replace(/\.duckdb$/, '')}-raw.duckdb`;
}
/** A retained raw event's epoch, the column after a source's own. */
export const EPOCH_COLUMN = '__tw_epoch';
/** About how many retained rows `retainedEvents` reads at once (whole epochs, at least one). */
const RETAINED_READ_ROWS = 20_000;
const SUBSCRIPTIONS = 'tidewatch_subscriptions';
/** Input units a source could not read as records (`DeadLetter`), kept with their epoch. */
export const DEAD_LETTERS = 'tidewatch_dead_letters';

/** The columns of `tidewatch_dead_letters`, as queries see them. */
export const DEAD_LETTER_COLUMNS: readonly ViewColumn[] = [
  { name: 'source', type: { name: 'varchar' } },
  { name: 'position', type: { name: 'varchar' } },
  { name: 'reason', type: { name: 'varchar' } },
  { name: 'raw', type: { name: 'varchar' } },
  { name: 'epoch', type: { name: 'int8' } },
  { name: 'received_at', type: { name: 'timestamp' } },
];

/** The generator's ground truth: one row per attack episode, committed with the epoch of its first event. */
export const ATTACK_LABELS = 'tidewatch_attack_labels';

/** The columns of `tidewatch_attack_labels`, as queries see them. */
export const ATTACK_LABEL_COLUMNS: readonly ViewColumn[] = [
  { name: 'scenario', type: { name: 'varchar' } },
  { name: 'actor_ip', type: { name: 'varchar' } },
  { name: 'actor_user', type: { name: 'varchar' } },
  { name: 'target', type: { name: 'varchar' } },
  { name: 'start_time', type: { name: 'timestamp' } },
  { name: 'end_time', type: { name: 'timestamp' } },
  { name: 'source', type: { name: 'varchar' } },
  { name: 'epoch', type: { name: 'int8' } },
];

/** An attack episode as the generator labels it (times ISO 8601), and the source its events went to. */
export interface AttackLabelRow {
  readonly scenario: string;
  readonly actor_ip: string | null;
  readonly actor_user: string | null;
  readonly target: string;
  readonly start: string;
  readonly end: string;
  readonly source: string;
}

/** A unit of a source's input that is not a record: where it was, why, and its text. */
export interface DeadLetter {
  readonly position: string;
  readonly reason: string;
  readonly raw: string;
}
/** How often (ms of commit time) change logs are trimmed to their retention. */
const CHANGE_LOG_TRIM_MS = 10_000;

/** The DuckDB table of a view's change log (see the layout above). */
export function changeLogTable(view: string): string {
  return `__tw_changes_${view}`;
}

export interface SubscriptionInfo {
  readonly name: string;
  readonly view: string;
  readonly retentionMs: number;
  readonly createdEpoch: number;
}
/** The caller's state at the last epoch (a checkpoint), committed with that epoch's deltas. */
const STATE = 'tidewatch_state';
/**
 * The caller's operator states kept apart from `STATE` (incremental checkpoints): per operator
 * its last whole state and the deltas committed after it, in epoch order.
 */
const OPERATOR_STATE = 'tidewatch_operator_state';

/** An operator's state written by a commit: whole (replacing its earlier records) or a delta. */
export interface OperatorStateRecord {
  readonly operator: number;
  readonly whole: boolean;
  readonly bytes: Uint8Array;
}

/** The operator states a commit writes; `reset` first forgets every record kept (a new layout). */
export interface OperatorStateWrite {
  readonly reset: boolean;
  readonly records: readonly OperatorStateRecord[];
}

/** An epoch's operator states (a commit may hold several epochs), written in the order given. */
export interface EpochOperatorStates {
  readonly epoch: number;
  readonly write: OperatorStateWrite | Promise<OperatorStateWrite>;
}

/** A DuckDB identifier: double-quoted, inner double quotes doubled. */
export function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/** The DuckDB column type of a tidewatch SQL type. */
export function duckType(t: SqlType): string {
  switch (t.name) {
    case 'boolean':
      return 'BOOLEAN';
    case 'int2':
      return 'SMALLINT';
    case 'int4':
      return 'INTEGER';
    case 'int8':
      return 'BIGINT';
    case 'numeric':
      return 'VARCHAR';
    case 'float4':
      return 'FLOAT';
    case 'float8':
      return 'DOUBLE';
    case 'varchar':
    case 'text':
    case 'unknown':
    case 'jsonb':
      return 'VARCHAR';
    case 'timestamp':
      return 'TIMESTAMP';
    case 'timestamptz':
      return 'TIMESTAMPTZ';
    case 'date':
      return 'DATE';
    case 'time':
      return 'TIME';
    case 'interval':
      return 'INTERVAL';
    case 'bytea':
      return 'BLOB';
    case 'array':
      if (t.element === undefined) throw invalid('an array type without an element type');
      return `${duckType(t.element)}[]`;
    default: {
      const never: never = t.name;
      return never;
    }
  }
}

/** The message of the DuckDB error a retraction without its row raises (view-store's own check). */
const NEGATIVE_MULTIPLICITY = 'tidewatch: negative multiplicity';

/**
 * The first TIMESTAMP column of a view, if any: rows arrive roughly in its order (windows
 * open and close in time), so a lower bound on it leaves out the older row groups.
 */
function localityColumn(columns: readonly ViewColumn[]): number | undefined {
  const i = columns.findIndex((c) => c.type.name === 'timestamp');
  return i < 0 ? undefined : i;
}

/**
 * Up to this many keys, a commit's DELETE of them matches each scanned row against their list
 * rather than joining them: 1 ms less a statement when the time bound leaves few rows to scan
 * (without a bound, 60 keys over 300,000 rows took 23 ms against 6 joined).
 */
const FEW_KEYS = 16;

/**
 * The earliest value of column `locality` among the changes' rows (microseconds): no stored row
 * they touch is older. Undefined without such a column, or when a row has NULL there (a NULL
 * could be stored anywhere).
 */
function earliestTime(locality: number | undefined, changes: readonly Change[]): number | undefined {
  if (locality === undefined) return undefined;
  let earliest = Number.POSITIVE_INFINITY;
  for (const { row } of changes) {
    const at = row[locality];
    if (typeof at !== 'number') return undefined;
    if (at < earliest) earliest = at;
  }
  return Number.isSafeInteger(earliest) ? earliest : undefined;
}

/** An integer of ours as a DuckDB literal. */
function integerLiteral(n: number): string {
  if (!Number.isSafeInteger(n)) throw invalid(`${n} is not an integer`);
  return String(n);
}

function retractsMissingRows(view: string): StoreError {
  return invalid(
    `the epoch retracts rows that view "${view}" does not hold (multiplicity would be negative)`,
  );
}

function invalid(message: string): StoreError {
  return new StoreError('invalid-argument', `view store: ${message}`);
}

function bigint(v: number, what: string): bigint {
  if (!Number.isSafeInteger(v)) throw invalid(`${what} ${v} is not an integer in the safe range`);
  return BigInt(v);
}

/** Appends one non-null engine value to the appender's current row, in column `col`. */
function appendValue(a: DuckDBAppender, col: number, v: Value, t: SqlType): void {
  switch (t.name) {
    case 'boolean':
      a.appendBoolean(v as boolean);
      return;
    case 'int2':
      a.appendSmallInt(v as number);
      return;
    case 'int4':
      a.appendInteger(v as number);
      return;
    case 'int8':
      a.appendBigInt(BigInt(v as Int8));
      return;
    case 'numeric':
      a.appendVarchar(formatNumeric(v as Numeric));
      return;
    case 'float4':
      a.appendFloat(v as number);
      return;
    case 'float8':
      a.appendDouble(v as number);
      return;
    case 'varchar':
    case 'text':
    case 'unknown':
      a.appendVarchar(v as string);
      return;
    case 'jsonb':
      a.appendVarchar(jsonbText(v));
      return;
    case 'timestamp':
      a.appendTimestamp(timestampValue(bigint(v as number, 'timestamp')));
      return;
    case 'timestamptz':
      a.appendTimestampTZ(timestampTZValue(bigint(v as number, 'timestamptz')));
      return;
    case 'date':
      a.appendDate(dateValue(v as number));
      return;
    case 'time':
      a.appendTime(timeValue(bigint(v as number, 'time')));
      return;
    case 'interval':
      a.appendInterval(toDuckValue(v, t) as DuckDBIntervalValue);
      return;
    case 'bytea':
      a.appendBlob(v as Uint8Array);
      return;
    case 'array':
      a.appendList(toDuckValue(v, t) as DuckDBListValue, a.columnType(col) as DuckDBListType);
      return;
    default: {
      const never: never = t.name;
      throw invalid(`no DuckDB mapping for type ${String(never)}`);
    }
  }
}

/** Appends a row's values to the appender's current row, the first in column `first`. */
function appendRow(a: DuckDBAppender, row: Row, types: readonly SqlType[], first: number): void {
  for (let i = 0; i < types.length; i++) {
    const v = row[i] as Value;
    if (v === null) a.appendNull();
    else appendValue(a, first + i, v, types[i] as SqlType);
  }
}

/**
 * Rows appended between two turns of the event loop: appending an epoch of 10,000 raw events
 * at once held it ~40 ms, and every query of the PostgreSQL endpoint waited. (Flushing after
 * each slice too cost more than it saved.)
 */
const APPEND_SLICE = 1000;

/**
 * Appends each item with `append`, letting the event loop run after every slice, then
 * flushes and closes the appender and lets it run once more (a commit fills an appender per
 * view: 19 of them in a row held it 40–80 ms at 10,000 events/s); on failure leaves nothing
 * half-appended.
 */
async function fillAppender<T>(
  a: DuckDBAppender,
  items: Iterable<T>,
  append: (item: T) => void,
): Promise<void> {
  try {
    let n = 0;
    for (const item of items) {
      append(item);
      if (++n % APPEND_SLICE === 0) await new Promise((resolve) => setImmediate(resolve));
    }
    a.flushSync();
  } catch (e) {
    try {
      a.clear(); // drops a half-appended row, so that closing cannot mask the error
      a.closeSync();
    } catch {
      // The appender is unusable anyway; the transaction rolls back.
    }
    throw e;
  }
  a.closeSync();
  await new Promise((resolve) => setImmediate(resolve));
}

/** The first `columns.length` values of a row DuckDB gave back, in the engine's representation. */
function rowFromDuck(values: readonly DuckDBValue[], columns: readonly ViewColumn[]): Row {
  const row: Value[] = new Array(columns.length);
  for (let i = 0; i < columns.length; i++)
    row[i] = fromDuck(values[i] as DuckDBValue, (columns[i] as ViewColumn).type);
  return row;
}

/** A DuckDB value read back in the engine's representation. */
export function fromDuck(v: DuckDBValue, t: SqlType): Value {
  if (v === null) return null;
  switch (t.name) {
    case 'int8':
      return int8(v as bigint);
    case 'numeric':
      return parseNumeric(v as string);
    case 'timestamp':
      return Number((v as DuckDBTimestampValue).micros);
    case 'timestamptz':
      return Number((v as DuckDBTimestampTZValue).micros);
    case 'date':
      return (v as DuckDBDateValue).days;
    case 'time':
      return Number((v as DuckDBTimeValue).micros);
    case 'interval': {
      const i = v as DuckDBIntervalValue;
      return { months: i.months, days: i.days, micros: Number(i.micros) };
    }
    case 'jsonb':
      return storedJsonb(v as string);
    case 'bytea':
      return (v as DuckDBBlobValue).bytes;
    case 'array':
      return (v as DuckDBListValue).items.map((e) => fromDuck(e, t.element as SqlType));
    default:
      return v as Value;
  }
}

interface SourceState {
  readonly name: string;
  readonly columns: readonly ViewColumn[];
  readonly epochs: RetainedEpochs;
  policy: RetentionPolicy;
}

/** What a source retains now. */
export interface RetainedStats {
  readonly name: string;
  readonly rows: number;
  readonly bytes: number;
  /** Commit time (ms) of the oldest epoch kept. */
  readonly oldest: number | undefined;
}

interface ViewState {
  readonly name: string;
  readonly columns: readonly ViewColumn[];
  createdEpoch: number;
  /** Rows are only ever inserted (StoreSchema). */
  appendOnly?: boolean;
  /** Column indexes its rows are unique on, when known (`setKey`). */
  key?: readonly number[];
  /** Name of the temporary staging table, once created on this connection. */
  stage?: string;
  /** Rows put into the stage since it was created (`#ensureStage`). */
  stagedRows?: number;
  /** Statements prepared on this connection for the view, by name (`#runPrepared`). */
  prepared?: Map<string, DuckDBPreparedStatement>;
}

/** The catalog a commit's schema leads to (see `#planSchema`). */
interface SchemaPlan {
  readonly views: ReadonlyMap<string, ViewState>;
  readonly sources: ReadonlyMap<string, SourceState>;
  readonly sinks: ReadonlyMap<string, SinkState>;
  readonly created: {
    readonly views: ViewState[];
    readonly sources: SourceState[];
    readonly sinks: { readonly sink: SinkState; readonly snapshot: boolean }[];
  };
  readonly dropped: {
    readonly views: readonly ViewState[];
    readonly sources: readonly SourceState[];
    readonly sinks: readonly SinkState[];
  };
}

interface SinkState {
  readonly name: string;
  readonly view: string;
  createdEpoch: number;
  /** The delivery's progress as it last acknowledged it. */
  progress: string | undefined;
}

function sameColumns(a: readonly ViewColumn[], b: readonly ViewColumn[]): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

function checkedPolicy(policy: RetentionPolicy): RetentionPolicy {
  for (const [what, v] of Object.entries(policy))
    if (v !== undefined && !(typeof v === 'number' && v >= 0 && Number.isFinite(v)))
      throw invalid(`retention ${what} must be a finite number ≥ 0, not ${String(v)}`);
  return { ...policy };
}

/** A view's change in a commit; `before`: its row's multiplicity before, when the engine knew it. */
interface Change {
  readonly key: string;
  readonly row: Row;
  weight: number;
  readonly before?: number;
}

/**
 * Consolidates a delta by row key; rows whose weights cancel out are dropped. A delta the engine
 * keyed and consolidated already (`keys`, `before`) is taken as it is.
 */
function consolidate(delta: ViewDelta): Change[] {
  const { keys, before } = delta;
  if (keys !== undefined && before !== undefined)
    return delta.rows.map((row, i) => ({
      key: keys[i] as string,
      row,
      weight: delta.weights[i] as number,
      before: before[i] as number,
    }));
  const byKey = new Map<string, Change>();
  for (let i = 0; i < delta.rows.length; i++) {
    const row = delta.rows[i] as Row;
    const weight = delta.weights[i] ?? 0;
    if (weight === 0) continue;
    const key = rowIdentity(row);
    const e = byKey.get(key);
    if (e === undefined) byKey.set(key, { key, row, weight });
    else e.weight += weight;
  }
  return [...byKey.values()].filter((e) => e.weight !== 0);
}

export class ViewStore {
  readonly file: string;
  readonly #instance: DuckDBInstance;
  readonly #conn: DuckDBConnection;
  readonly #options: ViewStoreOptions;
  /** By lower-case name (DuckDB's identifiers are case-insensitive). */
  readonly #views = new Map<string, ViewState>();
  /** Subscriptions by lower-case name. */
  readonly #subscriptions = new Map<string, SubscriptionInfo>();
  /** Sinks' queues by lower-case sink name. */
  readonly #sinks = new Map<string, SinkState>();
  readonly #committedListeners: ((epoch: number, changed: readonly string[]) => void)[] = [];
  #lastTrim = 0;
  #version = 0;
  #lastExpire = 0;
  /** Sources whose raw events are retained, by lower-case name. */
  readonly #sources = new Map<string, SourceState>();
  readonly #now: () => number;
  #lastEpoch: number | undefined;
  #stages = 0;
  #lastCommitPhases: CommitPhases = {};
  #memoryReader: DuckDBConnection | undefined;
  #memoryRead: Promise<unknown> = Promise.resolve();
  readonly #csv: CsvLoader;
  /** The connection an epoch's raw events are written on, beside the epoch's own (`#commitRaw`). */
  #rawConn: DuckDBConnection | undefined;
  readonly #rawCsv: CsvLoader;
  /** The raw events' database's checkpoint in progress, which their next commit waits for. */
  #rawCheckpoint: Promise<unknown> = Promise.resolve();
  #queue: Promise<unknown> = Promise.resolve();
  #closed = false;

  private constructor(
    file: string,
    instance: DuckDBInstance,
    conn: DuckDBConnection,
    options: ViewStoreOptions,
  ) {
    this.file = file;
    this.#instance = instance;
    this.#conn = conn;
    this.#options = options;
    this.#now = options.now ?? Date.now;
    this.#csv = new CsvLoader(`${file}.load`);
    this.#rawCsv = new CsvLoader(`${file}.raw-load`);
  }

  /** Opens (or creates) the DuckDB database `file` and loads its catalog. */
  static async open(file: string, options: ViewStoreOptions = {}): Promise<ViewStore> {
    let instance: DuckDBInstance;
    try {
      instance = await DuckDBInstance.create(file);
    } catch (e) {
      throw new StoreError('io', `view store: cannot open ${file}: ${(e as Error).message}`, {
        path: file,
        cause: e,
      });
    }
    const conn = await instance.connect();
    const store = new ViewStore(file, instance, conn, options);
    try {
      const storeMemory = options.storeMemoryBytes ?? STORE_MEMORY_BYTES;
      if (options.queryMemoryBytes !== undefined)
        await conn.run(
          `SET memory_limit = '${Math.ceil(options.queryMemoryBytes + storeMemory)}B'; ` +
            // Give what a query took back to the system once it is done, not at the allocator's leisure.
            `SET allocator_flush_threshold = '${FLUSH_THRESHOLD_BYTES}B'; ` +
            `SET allocator_bulk_deallocation_flush_threshold = '${FLUSH_THRESHOLD_BYTES}B'; ` +
            'SET allocator_background_threads = true; ' +
            // What does not fit spills to disk, up to a bound, not until the disk is full.
            `SET max_temp_directory_size = '${Math.ceil(SPILL_FACTOR * (options.queryMemoryBytes + storeMemory))}B'`,
        );
      await conn.run(`SET checkpoint_threshold = '${CHECKPOINT_THRESHOLD}'`);
      await conn.run(`ATTACH '${rawFileOf(file).replaceAll("'", "''")}' AS ${RAW_DATABASE}`);
      await conn.run(
        `CREATE TABLE IF NOT EXISTS ${CATALOG} (name VARCHAR PRIMARY KEY, columns VARCHAR NOT NULL, created_epoch BIGINT NOT NULL)`,
      );
      await conn.run(
        `CREATE TABLE IF NOT EXISTS ${EPOCHS} (epoch BIGINT NOT NULL, committed_at TIMESTAMP NOT NULL)`,
      );
      await conn.run(`CREATE TABLE IF NOT EXISTS ${STATE} (epoch BIGINT NOT NULL, state BLOB NOT NULL)`);
      await conn.run(
        `CREATE TABLE IF NOT EXISTS ${OPERATOR_STATE} (operator INTEGER NOT NULL, epoch BIGINT NOT NULL, whole BOOLEAN NOT NULL, state BLOB NOT NULL)`,
      );
      await conn.run(
        `CREATE TABLE IF NOT EXISTS ${SOURCES} (name VARCHAR PRIMARY KEY, columns VARCHAR NOT NULL)`,
      );
      await conn.run(
        `CREATE TABLE IF NOT EXISTS ${RAW_EPOCHS_TABLE} (source VARCHAR NOT NULL, epoch BIGINT NOT NULL, rows BIGINT NOT NULL, bytes BIGINT NOT NULL, committed_at TIMESTAMP NOT NULL)`,
      );
      await conn.run(
        `CREATE TABLE IF NOT EXISTS ${DEAD_LETTERS} (source VARCHAR NOT NULL, position VARCHAR NOT NULL, reason VARCHAR NOT NULL, raw VARCHAR NOT NULL, epoch BIGINT NOT NULL, received_at TIMESTAMP NOT NULL)`,
      );
      await conn.run(
        `CREATE TABLE IF NOT EXISTS ${ATTACK_LABELS} (scenario VARCHAR NOT NULL, actor_ip VARCHAR, actor_user VARCHAR, target VARCHAR NOT NULL, start_time TIMESTAMP NOT NULL, end_time TIMESTAMP NOT NULL, source VARCHAR NOT NULL, epoch BIGINT NOT NULL)`,
      );
      await conn.run(
        `CREATE TABLE IF NOT EXISTS ${SUBSCRIPTIONS} (name VARCHAR PRIMARY KEY, view VARCHAR NOT NULL, retention_ms BIGINT NOT NULL, created_epoch BIGINT NOT NULL)`,
      );
      const subscriptions = await conn.runAndReadAll(
        `SELECT name, view, retention_ms, created_epoch FROM ${SUBSCRIPTIONS}`,
      );
      for (const [name, view, retention, created] of subscriptions.getRows())
        store.#subscriptions.set((name as string).toLowerCase(), {
          name: name as string,
          view: view as string,
          retentionMs: Number(retention as bigint),
          createdEpoch: Number(created as bigint),
        });
      await createSinksTable(conn);
      for (const sink of await loadSinks(conn)) store.#sinks.set(sink.name.toLowerCase(), sink);
      const sources = await conn.runAndReadAll(`SELECT name, columns FROM ${SOURCES}`);
      for (const [name, columns] of sources.getRows()) {
        const s = name as string;
        store.#sources.set(s.toLowerCase(), {
          name: s,
          columns: JSON.parse(columns as string) as ViewColumn[],
          epochs: new RetainedEpochs(),
          policy: {},
        });
      }
      const views = await conn.runAndReadAll(`SELECT name, columns, created_epoch FROM ${CATALOG}`);
      for (const [name, columns, created] of views.getRows()) {
        const info = {
          name: name as string,
          columns: JSON.parse(columns as string) as ViewColumn[],
          createdEpoch: Number(created as bigint),
        };
        store.#views.set(info.name.toLowerCase(), info);
      }
      await convertRealColumns(conn, store.#storedColumns());
      // An older store's raw events move as they were stored, and convert in their new place.
      await store.#moveRawEventsToTheirDatabase();
      await store.#alignRawTables();
      const rawTables = [...store.#sources.values()].map((src) => ({
        table: src.name,
        columns: src.columns,
      }));
      await convertRealColumns(conn, rawTables, RAW_DATABASE);
      const last = await conn.runAndReadAll(`SELECT max(epoch) FROM ${EPOCHS}`);
      const epoch = last.getRows()[0]?.[0];
      store.#lastEpoch = epoch === null || epoch === undefined ? undefined : Number(epoch as bigint);
      await store.#dropRawBeyondCommit();
      const kept = await conn.runAndReadAll(
        `SELECT source, epoch, rows, bytes, epoch_ms(committed_at) FROM ${RAW_EPOCHS_TABLE} ORDER BY epoch`,
      );
      for (const [source, epoch, rows, bytes, at] of kept.getRows())
        store.#sources.get((source as string).toLowerCase())?.epochs.add({
          epoch: Number(epoch as bigint),
          rows: Number(rows as bigint),
          bytes: Number(bytes as bigint),
          committedAt: Number(at as bigint),
        });
    } catch (e) {
      store.#shut();
      throw new StoreError(
        'corrupt',
        `view store: cannot read the catalog of ${file}: ${(e as Error).message}`,
        {
          path: file,
          cause: e,
        },
      );
    }
    return store;
  }

  /**
   * Every table of the store's database holding rows of a table or view, with their columns (a
   * source's are in the raw events' database, converted apart in `open`).
   */
  #storedColumns(): StoredColumns[] {
    const views = [...this.#views.values()];
    const columnsOf = (view: string) => this.#views.get(view.toLowerCase())?.columns ?? [];
    return [
      ...views.map((v) => ({ table: v.name, columns: v.columns })),
      ...views
        .filter((v) => this.#subscribed(v.name).length > 0)
        .map((v) => ({ table: changeLogTable(v.name), columns: v.columns })),
      ...[...this.#sinks.values()].map((s) => ({
        table: sinkQueueTable(s.name),
        columns: columnsOf(s.view),
      })),
    ];
  }

  /** A number that changes with every write transaction: what readers see may have changed. */
  get version(): number {
    return this.#version;
  }

  /** The last committed epoch, undefined before the first commit. */
  lastEpoch(): number | undefined {
    return this.#lastEpoch;
  }

  /** The defined views, sorted by name. */
  views(): ViewInfo[] {
    return [...this.#views.values()]
      .map(({ name, columns, createdEpoch }) => ({ name, columns, createdEpoch }))
      .sort(byName);
  }

  /**
   * Creates the table of a view. Defining a view again with the same columns does nothing (a
   * restart re-applies the pipeline); with other columns it is refused: drop it first.
   */
  defineView(name: string, columns: readonly ViewColumn[], createdEpoch?: number): Promise<void> {
    return this.#exclusive(async () => {
      const existing = this.#views.get(name.toLowerCase());
      if (existing !== undefined) {
        if (existing.name === name && sameColumns(existing.columns, columns)) return;
        throw invalid(`view "${name}" is already defined as "${existing.name}" with other columns`);
      }
      if (this.#sources.has(name.toLowerCase())) throw invalid(`"${name}" already names a source`);
      checkNames(name, columns);
      const epoch = createdEpoch ?? this.#lastEpoch ?? 0;
      await this.#transaction(() => this.#createView(name, columns, epoch));
      this.#views.set(name.toLowerCase(), { name, columns: [...columns], createdEpoch: epoch });
    });
  }

  /** A view's table and catalog entry, in the transaction in progress. */
  async #createView(name: string, columns: readonly ViewColumn[], epoch: number): Promise<void> {
    const cols = columns.map((c) => `${quoteIdent(c.name)} ${duckType(c.type)}`);
    await this.#conn.run(
      `CREATE TABLE ${quoteIdent(name)} (${[...cols, `${KEY} VARCHAR NOT NULL`, `${COUNT} BIGINT NOT NULL`].join(', ')})`,
    );
    await this.#conn.run(`INSERT INTO ${CATALOG} VALUES ($1, $2, $3)`, [
      name,
      JSON.stringify(columns),
      bigint(epoch, 'epoch'),
    ]);
  }

  /**
   * Creates the table of a source's retained raw events; like `defineView`, again with the
   * same columns does nothing.
   */
  defineSource(name: string, columns: readonly ViewColumn[]): Promise<void> {
    return this.#exclusive(async () => {
      const existing = this.#sources.get(name.toLowerCase());
      if (existing !== undefined) {
        if (existing.name === name && sameColumns(existing.columns, columns)) return;
        throw invalid(`source "${name}" is already defined as "${existing.name}" with other columns`);
      }
      if (this.#views.has(name.toLowerCase())) throw invalid(`"${name}" already names a view`);
      checkNames(name, columns);
      await this.#createRawTable(name, columns);
      await this.#transaction(() => this.#createSource(name, columns));
      this.#sources.set(name.toLowerCase(), {
        name,
        columns: [...columns],
        epochs: new RetainedEpochs(),
        policy: {},
      });
    });
  }

  /** A source's catalog entry, in the transaction in progress (its table: `#createRawTable`, before). */
  async #createSource(name: string, columns: readonly ViewColumn[]): Promise<void> {
    await this.#conn.run(`INSERT INTO ${SOURCES} VALUES ($1, $2)`, [name, JSON.stringify(columns)]);
  }

  /**
   * A source's empty table of raw events in the raw events' database, in a transaction of its
   * own, before the catalog entry that names it commits; one left by a source whose entry never
   * committed is replaced (a start drops such tables too, `#alignRawTables`).
   */
  async #createRawTable(name: string, columns: readonly ViewColumn[]): Promise<void> {
    const cols = columns.map((c) => `${quoteIdent(c.name)} ${duckType(c.type)}`);
    await this.#transaction(async () => {
      await this.#conn.run(
        `CREATE OR REPLACE TABLE ${rawTable(name)} (${[...cols, `${EPOCH_COLUMN} BIGINT NOT NULL`].join(', ')})`,
      );
      await this.#conn.run(`DELETE FROM ${RAW_EPOCHS_TABLE} WHERE source = $1`, [name]);
    });
  }

  /** Drops a source's table of raw events and what its epochs added, once its catalog entry is gone. */
  async #dropRawTable(name: string): Promise<void> {
    await this.#transaction(async () => {
      await this.#conn.run(`DROP TABLE IF EXISTS ${rawTable(name)}`);
      await this.#conn.run(`DELETE FROM ${RAW_EPOCHS_TABLE} WHERE source = $1`, [name]);
    });
  }

  /**
   * Moves the raw events of a store written before they had a database of their own (a table per
   * source and the epochs' record in the store's database) to the raw events' database: each
   * source copied there, then dropped here, so that a crash in between copies it again.
   */
  async #moveRawEventsToTheirDatabase(): Promise<void> {
    const tables = await this.#conn.runAndReadAll(
      "SELECT lower(table_name) FROM duckdb_tables() WHERE database_name = current_database() AND schema_name = 'main'",
    );
    const here = new Set(tables.getRows().map((r) => r[0] as string));
    if (!here.has(RAW_EPOCHS)) return;
    for (const source of this.#sources.values()) {
      if (!here.has(source.name.toLowerCase())) continue;
      await this.#transaction(async () => {
        await this.#conn.run(
          `CREATE OR REPLACE TABLE ${rawTable(source.name)} AS SELECT * FROM ${quoteIdent(source.name)}`,
        );
        await this.#conn.run(`DELETE FROM ${RAW_EPOCHS_TABLE} WHERE source = $1`, [source.name]);
        await this.#conn.run(
          `INSERT INTO ${RAW_EPOCHS_TABLE} SELECT * FROM ${RAW_EPOCHS} WHERE source = $1`,
          [source.name],
        );
      });
      await this.#conn.run(`DROP TABLE ${quoteIdent(source.name)}`);
    }
    await this.#conn.run(`DROP TABLE ${RAW_EPOCHS}`);
  }

  /**
   * The raw events' database holds a table for each source of the catalog and no other: a table
   * whose source's entry never committed (or whose drop did) goes, a missing one is made empty.
   */
  async #alignRawTables(): Promise<void> {
    const tables = await this.#conn.runAndReadAll(
      `SELECT table_name FROM duckdb_tables() WHERE database_name = '${RAW_DATABASE}' AND schema_name = 'main' AND lower(table_name) <> '${RAW_EPOCHS}'`,
    );
    const raw = new Map(tables.getRows().map(([name]) => [(name as string).toLowerCase(), name as string]));
    for (const source of this.#sources.values())
      if (!raw.delete(source.name.toLowerCase())) await this.#createRawTable(source.name, source.columns);
    for (const name of raw.values()) await this.#dropRawTable(name);
  }

  /** Drops a source's retained raw events. */
  dropSource(name: string): Promise<void> {
    return this.#exclusive(async () => {
      const source = this.#source(name);
      await this.#transaction(() => this.#dropSource(source));
      this.#sources.delete(name.toLowerCase());
      await this.#dropRawTable(source.name);
    });
  }

  /** A source's catalog entry, in the transaction in progress (its table: `#dropRawTable`, after). */
  async #dropSource(source: SourceState): Promise<void> {
    await this.#conn.run(`DELETE FROM ${SOURCES} WHERE name = $1`, [source.name]);
  }

  /** The sources whose raw events are retained, sorted by name. */
  sources(): { name: string; columns: readonly ViewColumn[] }[] {
    return [...this.#sources.values()].map(({ name, columns }) => ({ name, columns })).sort(byName);
  }

  /** How long and how much of a source's raw events to keep; applied at each commit. */
  setRetention(name: string, policy: RetentionPolicy): void {
    this.#source(name).policy = checkedPolicy(policy);
  }

  /**
   * A source's retained raw events, oldest first, one committed epoch at a time (its rows in the
   * order they came), read a few thousand rows at a time; none for a source that retains nothing.
   */
  async *retainedEvents(name: string): AsyncGenerator<Row[]> {
    const source = this.#sources.get(name.toLowerCase());
    if (source === undefined) return;
    const epochs = source.epochs.kept();
    const cols = [...source.columns.map((c) => quoteIdent(c.name)), EPOCH_COLUMN].join(', ');
    const n = source.columns.length;
    for (let first = 0; first < epochs.length; ) {
      let last = first;
      let rows = (epochs[first] as RawEpoch).rows;
      while (last + 1 < epochs.length && rows + (epochs[last + 1] as RawEpoch).rows <= RETAINED_READ_ROWS)
        rows += (epochs[++last] as RawEpoch).rows;
      const from = (epochs[first] as RawEpoch).epoch;
      const to = (epochs[last] as RawEpoch).epoch;
      const result = await this.#exclusive(() =>
        this.#conn.runAndReadAll(
          `SELECT ${cols} FROM ${rawTable(source.name)} WHERE ${EPOCH_COLUMN} BETWEEN $1 AND $2 ORDER BY ${EPOCH_COLUMN}, rowid`,
          [bigint(from, 'epoch'), bigint(to, 'epoch')],
        ),
      );
      let epoch: Row[] = [];
      let at: bigint | undefined;
      for (const raw of result.getRows()) {
        const e = raw[n] as bigint;
        if (at !== undefined && e !== at) {
          yield epoch;
          epoch = [];
        }
        at = e;
        epoch.push(rowFromDuck(raw, source.columns));
      }
      if (epoch.length > 0) yield epoch;
      first = last + 1;
    }
  }

  /** Rows and bytes each source retains now. */
  retained(): RetainedStats[] {
    return this.sources().map(({ name }) => {
      const { epochs } = this.#source(name);
      return { name, rows: epochs.rows, bytes: epochs.bytes, oldest: epochs.oldest?.committedAt };
    });
  }

  /**
   * Keeps the changes of a table or view from the next commit on, for `retentionMs` of
   * commit time (the longest retention of a view's subscriptions applies to its log).
   */
  createSubscription(name: string, view: string, retentionMs: number): Promise<SubscriptionInfo> {
    return this.#exclusive(async () => {
      if (this.#subscriptions.has(name.toLowerCase())) throw invalid(`subscription "${name}" already exists`);
      const v = this.#view(view);
      if (!(Number.isSafeInteger(retentionMs) && retentionMs > 0))
        throw invalid(`retention must be a positive number of milliseconds, not ${retentionMs}`);
      const info = { name, view: v.name, retentionMs, createdEpoch: this.#lastEpoch ?? 0 };
      const first = this.#subscribed(v.name).length === 0;
      const cols = v.columns.map((c) => `${quoteIdent(c.name)} ${duckType(c.type)}`);
      await this.#transaction(async () => {
        if (first)
          await this.#conn.run(
            `CREATE TABLE ${quoteIdent(changeLogTable(v.name))} (${[...cols, '__tw_op TINYINT NOT NULL', '__tw_epoch BIGINT NOT NULL', '__tw_seq BIGINT NOT NULL', '__tw_ts BIGINT NOT NULL'].join(', ')})`,
          );
        await this.#conn.run(`INSERT INTO ${SUBSCRIPTIONS} VALUES ($1, $2, $3, $4)`, [
          name,
          v.name,
          BigInt(retentionMs),
          BigInt(info.createdEpoch),
        ]);
      });
      this.#subscriptions.set(name.toLowerCase(), info);
      return info;
    });
  }

  /** Forgets a subscription; the view's change log goes with its last subscription. */
  dropSubscription(name: string): Promise<void> {
    return this.#exclusive(async () => {
      const sub = this.subscription(name);
      if (sub === undefined) throw invalid(`no subscription "${name}"`);
      const last = this.#subscribed(sub.view).length === 1;
      await this.#transaction(async () => {
        await this.#conn.run(`DELETE FROM ${SUBSCRIPTIONS} WHERE name = $1`, [sub.name]);
        if (last) await this.#conn.run(`DROP TABLE ${quoteIdent(changeLogTable(sub.view))}`);
      });
      this.#subscriptions.delete(name.toLowerCase());
    });
  }

  subscription(name: string): SubscriptionInfo | undefined {
    return this.#subscriptions.get(name.toLowerCase());
  }

  subscriptions(): SubscriptionInfo[] {
    return [...this.#subscriptions.values()].sort(byName);
  }

  /**
   * The columns a view's rows are unique on (its group keys, a table's primary key): its change
   * log then writes a retraction and an insertion of one key in one epoch as an update.
   */
  setKey(view: string, key: readonly number[] | undefined): void {
    const v = this.#view(view);
    if (key?.some((k) => !(Number.isInteger(k) && k >= 0 && k < v.columns.length)))
      throw invalid(`key columns ${JSON.stringify(key)} of view "${v.name}" are out of range`);
    v.key = key;
  }

  /**
   * Called with each epoch once its commit is durable and visible to readers, with the names of
   * the tables, views and sources (raw events, dead letters) whose contents it changed.
   */
  onCommitted(listener: (epoch: number, changed: readonly string[]) => void): void {
    this.#committedListeners.push(listener);
  }

  #subscribed(view: string): SubscriptionInfo[] {
    return [...this.#subscriptions.values()].filter((s) => s.view === view);
  }

  /** The sinks queueing a view's changes (of `sinks`, the catalog a commit leads to, if given). */
  #sinksOf(view: string, sinks: ReadonlyMap<string, SinkState> = this.#sinks): SinkState[] {
    return [...sinks.values()].filter((s) => s.view === view);
  }

  /** The sinks whose queues the store keeps, sorted by name. */
  sinks(): SinkQueueInfo[] {
    return [...this.#sinks.values()]
      .map(({ name, view, createdEpoch }) => ({ name, view, createdEpoch }))
      .sort(byName);
  }

  /** What a sink's delivery last acknowledged (`ackSink`); undefined before its first ack. */
  sinkProgress(name: string): string | undefined {
    return this.#sinks.get(name.toLowerCase())?.progress;
  }

  /**
   * A sink's delivery acknowledges: the epochs up to `deliveredEpoch` leave its queue,
   * `progress` is what a start gives it back (`sinkProgress`), and the messages it settled since
   * its last ack are recorded (sent-alerts.ts). A sink dropped meanwhile is left alone. Readers'
   * answers do not change with it (the store's version stays).
   */
  ackSink(
    name: string,
    deliveredEpoch: number | undefined,
    progress: string,
    settled: readonly SentAlert[] = [],
  ): Promise<void> {
    return this.#exclusive(async () => {
      const sink = this.#sinks.get(name.toLowerCase());
      if (sink === undefined) return;
      await this.#transaction(
        () => ackSinkQueue(this.#conn, sink.name, deliveredEpoch, progress, settled),
        false,
      );
      sink.progress = progress;
    });
  }

  /** Drops a view's table and its catalog entry. */
  dropView(name: string): Promise<void> {
    return this.#exclusive(async () => {
      const view = this.#view(name);
      await this.#transaction(() => this.#dropView(view));
      await this.#forgetView(view);
    });
  }

  /** A view's table, catalog entry and change log, in the transaction in progress. */
  async #dropView(view: ViewState): Promise<void> {
    await this.#conn.run(`DROP TABLE ${quoteIdent(view.name)}`);
    await this.#conn.run(`DELETE FROM ${CATALOG} WHERE name = $1`, [view.name]);
    if (this.#subscribed(view.name).length > 0) {
      await this.#conn.run(`DROP TABLE ${quoteIdent(changeLogTable(view.name))}`);
      await this.#conn.run(`DELETE FROM ${SUBSCRIPTIONS} WHERE view = $1`, [view.name]);
    }
    for (const sink of this.#sinksOf(view.name)) await dropSinkQueue(this.#conn, sink.name);
  }

  /** After a dropped view's transaction committed: its subscriptions, entry and staging table go. */
  async #forgetView(view: ViewState): Promise<void> {
    for (const sub of this.#subscribed(view.name)) this.#subscriptions.delete(sub.name.toLowerCase());
    for (const sink of this.#sinksOf(view.name)) this.#sinks.delete(sink.name.toLowerCase());
    this.#views.delete(view.name.toLowerCase());
    if (view.stage !== undefined) await this.#conn.run(`DROP TABLE IF EXISTS temp.main.${view.stage}`);
    for (const statement of view.prepared?.values() ?? []) statement.destroySync();
  }

  /**
   * What bringing the store's tables to `schema` takes: the tables and views to drop (gone from
   * the schema, or with other columns) and to create, and the catalog afterwards. Views and
   * sources that stay keep their state (staging table, retained epochs).
   */
  #planSchema(schema: StoreSchema): SchemaPlan {
    const views = new Map<string, ViewState>();
    const sources = new Map<string, SourceState>();
    const created: SchemaPlan['created'] = { views: [], sources: [], sinks: [] };
    for (const v of schema.views) {
      checkNames(v.name, v.columns);
      const lower = v.name.toLowerCase();
      if (views.has(lower)) throw invalid(`two views named "${v.name}"`);
      const old = this.#views.get(lower);
      const state =
        old !== undefined && old.name === v.name && sameColumns(old.columns, v.columns)
          ? old
          : { name: v.name, columns: [...v.columns], createdEpoch: 0 };
      if (state !== old) created.views.push(state);
      state.key = v.key;
      state.appendOnly = v.appendOnly === true;
      views.set(lower, state);
    }
    for (const src of schema.sources) {
      checkNames(src.name, src.columns);
      const lower = src.name.toLowerCase();
      if (views.has(lower) || sources.has(lower)) throw invalid(`"${src.name}" names two relations`);
      const old = this.#sources.get(lower);
      const state =
        old !== undefined && old.name === src.name && sameColumns(old.columns, src.columns)
          ? old
          : { name: src.name, columns: [...src.columns], epochs: new RetainedEpochs(), policy: {} };
      if (state !== old) created.sources.push(state);
      state.policy = checkedPolicy(src.retention);
      sources.set(lower, state);
    }
    const sinks = new Map<string, SinkState>();
    for (const s of schema.sinks ?? []) {
      const lower = s.name.toLowerCase();
      const view = views.get(s.view.toLowerCase());
      if (view === undefined) throw invalid(`sink "${s.name}" reads "${s.view}", which is no table or view`);
      if (sinks.has(lower)) throw invalid(`two sinks named "${s.name}"`);
      const old = this.#sinks.get(lower);
      // A sink stays only while the view it was created on does (not one dropped and created again).
      const kept =
        old !== undefined && old.view === view.name && this.#views.get(view.name.toLowerCase()) === view;
      const state: SinkState = kept
        ? old
        : { name: s.name, view: view.name, createdEpoch: 0, progress: undefined };
      if (!kept) created.sinks.push({ sink: state, snapshot: s.snapshot });
      sinks.set(lower, state);
    }
    return {
      views,
      sources,
      sinks,
      created,
      dropped: {
        views: [...this.#views.values()].filter((v) => views.get(v.name.toLowerCase()) !== v),
        sources: [...this.#sources.values()].filter((src) => sources.get(src.name.toLowerCase()) !== src),
        sinks: [...this.#sinks.values()].filter((s) => sinks.get(s.name.toLowerCase()) !== s),
      },
    };
  }

  /** The plan's drops and creations, in the transaction in progress. */
  async #applySchema(plan: SchemaPlan, epoch: number, now: number): Promise<void> {
    for (const s of plan.dropped.sinks) await dropSinkQueue(this.#conn, s.name);
    for (const v of plan.dropped.views) await this.#dropView(v);
    for (const src of plan.dropped.sources) await this.#dropSource(src);
    for (const v of plan.created.views) {
      v.createdEpoch = epoch;
      await this.#createView(v.name, v.columns, epoch);
    }
    for (const src of plan.created.sources) await this.#createSource(src.name, src.columns);
    for (const { sink, snapshot } of plan.created.sinks) {
      sink.createdEpoch = epoch;
      const view = plan.views.get(sink.view.toLowerCase()) as ViewState;
      await createSinkQueue(this.#conn, sink, view.columns, snapshot, now);
    }
  }

  /** After the plan's transaction committed: the catalog in memory becomes the plan's. */
  async #adoptSchema(plan: SchemaPlan): Promise<void> {
    for (const v of plan.dropped.views) await this.#forgetView(v);
    this.#views.clear();
    for (const [k, v] of plan.views) this.#views.set(k, v);
    this.#sources.clear();
    for (const [k, src] of plan.sources) this.#sources.set(k, src);
    this.#sinks.clear();
    for (const [k, s] of plan.sinks) this.#sinks.set(k, s);
  }

  /**
   * Milliseconds the last commit spent beginning (staging tables, BEGIN, catalog changes), on
   * the views' changes, dead letters and attack labels (`raw`), the checkpoint (`state`), waiting
   * for `operators` (`wait_pack`), `durableFirst` (`wait_fsync`) and the raw events' own commit
   * (`wait_raw`, `#commitRaw`), DuckDB's COMMIT (with any checkpoint of its own), raw-event
   * retention and subscriptions' change logs.
   */
  get lastCommitPhases(): CommitPhases {
    return this.#lastCommitPhases;
  }

  /**
   * Applies one epoch's view deltas, appends the raw events `raw` gives per source, drops
   * the raw events retention lets go, and records the epoch — with `state`, the caller's
   * state at that epoch, replacing the previous one — atomically: afterwards either the whole
   * epoch is in the file or (on any failure) nothing of it. With `schema`, the store's tables
   * are first brought to it in the same transaction (the epoch's deltas are of that
   * catalog). `labels`: attack labels whose first events the epoch consumed. `operators`: the
   * operator states that changed, per epoch, kept beside `state` (awaited only when they are
   * written, so that packing them overlaps the rest): `epoch` may stand for several epochs
   * the caller ended, their changes summed, and `operators` then holds each one's states.
   * `durableFirst`: what must be settled before COMMIT (the fsync of the logs whose offsets
   * `state` names); a rejection rolls the epoch back. Epochs must increase.
   */
  commit(
    epoch: number,
    deltas: ReadonlyMap<string, ViewDelta | SpooledRows>,
    state?: Uint8Array,
    raw?: ReadonlyMap<string, readonly RawPart[]>,
    schema?: StoreSchema,
    deadLetters?: ReadonlyMap<string, readonly DeadLetter[]>,
    labels?: readonly AttackLabelRow[],
    operators?: readonly EpochOperatorStates[],
    durableFirst?: Promise<unknown>,
  ): Promise<void> {
    const committed = this.#exclusive(() =>
      this.#commit(
        epoch,
        deltas,
        state,
        raw,
        schema,
        deadLetters,
        labels ?? [],
        operators,
        durableFirst,
      ).catch((e: unknown) => {
        throw storeFailure(e, `cannot commit epoch ${epoch} to ${this.file}`, this.file);
      }),
    ).finally(() => {
      for (const rows of [...deltas.values(), ...[...(raw?.values() ?? [])].flat()])
        if (isSpooled(rows)) rmSync(rows.spooled, { force: true });
    });
    committed.then(
      () => this.#checkpointWhenDue(),
      () => undefined,
    );
    return committed;
  }

  /**
   * Checkpoints the database once its write-ahead log passed CHECKPOINT_BYTES, right after a
   * commit answered: the next operation waits for it, not the epoch just committed, as it did
   * when DuckDB checkpointed inside that COMMIT (200–900 ms). DuckDB refuses while a reader's
   * transaction runs: then after a later commit. DuckDB's own checkpoint, at a larger
   * threshold, stays as a bound.
   */
  #checkpointWhenDue(): void {
    let walBytes: number;
    try {
      walBytes = statSync(`${this.file}.wal`).size;
    } catch {
      return; // no log: nothing to checkpoint
    }
    if (walBytes < CHECKPOINT_BYTES) return;
    this.#exclusive(() => this.#conn.run('CHECKPOINT')).catch(() => undefined);
  }

  async #commit(
    epoch: number,
    deltas: ReadonlyMap<string, ViewDelta | SpooledRows>,
    state: Uint8Array | undefined,
    raw: ReadonlyMap<string, readonly RawPart[]> | undefined,
    schema: StoreSchema | undefined,
    deadLetters: ReadonlyMap<string, readonly DeadLetter[]> | undefined,
    labels: readonly AttackLabelRow[],
    operators: readonly EpochOperatorStates[] | undefined,
    durableFirst: Promise<unknown> | undefined,
  ): Promise<void> {
    bigint(epoch, 'epoch');
    if (this.#lastEpoch !== undefined && epoch <= this.#lastEpoch)
      throw invalid(`epoch ${epoch} is not after the last committed epoch ${this.#lastEpoch}`);
    const timer = new PhaseTimer();
    const plan = schema === undefined ? undefined : this.#planSchema(schema);
    const viewOf = (name: string): ViewState => {
      const v = (plan?.views ?? this.#views).get(name.toLowerCase());
      if (v === undefined) throw invalid(`no view "${name}"`);
      return v;
    };
    const sourceOf = (name: string): SourceState => {
      const src = (plan?.sources ?? this.#sources).get(name.toLowerCase());
      if (src === undefined) throw invalid(`no source "${name}"`);
      return src;
    };
    const work: { view: ViewState; changes: Change[]; direct: boolean }[] = [];
    const appended: { view: ViewState; delta: ViewDelta | SpooledRows }[] = [];
    for (const [name, given] of deltas) {
      const view = viewOf(name);
      // Nothing reads this relation's changes: insertions need no stage.
      const unread =
        this.#subscribed(view.name).length === 0 && this.#sinksOf(view.name, plan?.sinks).length === 0;
      const appends = view.appendOnly === true && unread;
      const keyedAppends = view.appendOnly !== true && unread;
      if (isSpooled(given) && (appends || (keyedAppends && given.keyed === true))) {
        appended.push({ view, delta: given });
        continue;
      }
      // Spooled by a writer that did not know of a subscription or sink created meanwhile.
      const delta = isSpooled(given) ? await this.#spooledDelta(view, given) : given;
      if (appends || (keyedAppends && insertsNewRows(delta))) {
        for (let i = 0; i < delta.rows.length; i++) {
          if ((delta.rows[i] as Row).length !== view.columns.length || !((delta.weights[i] as number) > 0))
            throw invalid(
              `view "${view.name}" takes insertions of rows of ${view.columns.length} columns only`,
            );
        }
        appended.push({ view, delta });
        continue;
      }
      const changes = consolidate(delta);
      for (const c of changes)
        if (c.row.length !== view.columns.length)
          throw invalid(
            `a row of ${c.row.length} values for view "${view.name}" of ${view.columns.length} columns`,
          );
      // Changes nothing else reads, with their counts: no stage (`#replaceDirectly`).
      if (changes.length > 0) work.push({ view, changes, direct: unread && this.#replaceable(changes) });
    }
    const appends: { source: SourceState; parts: RawPart[] }[] = [];
    for (const [name, given] of raw ?? []) {
      const source = sourceOf(name);
      const parts: RawPart[] = [];
      for (const rows of given) {
        if (isSpooled(rows)) {
          if (rows.rows > 0) parts.push(rows);
          continue;
        }
        for (const row of rows)
          if (row.length !== source.columns.length)
            throw invalid(
              `a row of ${row.length} values for source "${source.name}" of ${source.columns.length} columns`,
            );
        if (rows.length > 0) parts.push(rows);
      }
      if (parts.length > 0) appends.push({ source, parts });
    }
    const now = this.#now();
    const committedAt = timestampValue(BigInt(Math.round(now)) * 1000n);
    const added: { source: SourceState; bytes: number; rows: number }[] = [];
    const staged = work.filter((w) => !w.direct);
    // Staging tables are temporary and per connection: created outside the transaction.
    for (const w of staged) await this.#ensureStage(w.view);
    // The stages are emptied as the transaction begins, in the same round trip.
    const emptyStages = staged.map((w) => `DELETE FROM temp.main.${w.view.stage as string}`);
    // A new source's table is made before the epoch that names it, and its raw events go in a
    // transaction of their own, written beside the epoch's and committed just before it.
    for (const src of plan?.created.sources ?? []) await this.#createRawTable(src.name, src.columns);
    const rawCommitted = appends.length > 0 ? this.#commitRaw(appends, epoch, committedAt, added) : undefined;
    rawCommitted?.catch(() => undefined); // awaited before COMMIT, or after a failure below
    try {
      await this.#transaction(
        async () => {
          if (plan !== undefined) await this.#applySchema(plan, epoch, now);
          timer.lap('begin');
          // Staged changes are all staged first, then applied by one batch of statements: a round
          // trip per view would plan them afresh each time. A direct replacement's statement was
          // planned once, when it was prepared.
          for (const { view, changes, direct } of work)
            if (direct) await this.#replaceDirectly(view, changes);
          const statements: string[] = [];
          for (const [index, { view, changes }] of staged.entries())
            statements.push(
              ...(await this.#stage(view, changes, index, [
                ...(this.#subscribed(view.name).length > 0
                  ? [this.#changeLogInsert(view, changeLogTable(view.name), view.key, epoch, now)]
                  : []),
                ...this.#sinksOf(view.name, plan?.sinks).map((sink) =>
                  this.#changeLogInsert(view, sinkQueueTable(sink.name), undefined, epoch, now, true),
                ),
              ])),
            );
          await this.#applyStaged(
            statements,
            staged.map((w) => w.view.name),
          );
          for (const { view } of work) await this.#options.afterApply?.(view.name);
          for (const { view, delta } of appended) {
            await this.#append(view, delta);
            await this.#options.afterApply?.(view.name);
          }
          timer.lap('views');
          for (const [source, letters] of deadLetters ?? [])
            await this.#appendDeadLetters(source, letters, epoch, committedAt);
          await this.#appendAttackLabels(labels, epoch);
          timer.lap('raw');
          const epochRow = `INSERT INTO ${EPOCHS} VALUES (${integerLiteral(epoch)}, make_timestamp(${integerLiteral(Math.round(now) * 1000)}))`;
          if (state === undefined) await this.#conn.run(epochRow);
          else {
            await this.#conn.run(`${epochRow};\nDELETE FROM ${STATE}`);
            await this.#conn.run(`INSERT INTO ${STATE} VALUES ($1, $2)`, [BigInt(epoch), blobValue(state)]);
          }
          timer.lap('state');
          for (const states of operators ?? []) {
            const written = await states.write;
            timer.lap('wait_pack');
            await this.#writeOperatorStates(written, states.epoch);
            timer.lap('state');
          }
          await durableFirst;
          timer.lap('wait_fsync');
          await rawCommitted;
          timer.lap('wait_raw');
        },
        true,
        emptyStages,
      );
    } catch (e) {
      // The raw events may have committed without their epoch: they are taken back.
      if (rawCommitted !== undefined)
        await rawCommitted.then(
          () => this.#dropRawBeyondCommit().catch(() => undefined),
          () => undefined,
        );
      throw e;
    }
    timer.lap('commit');
    if (plan !== undefined) {
      await this.#adoptSchema(plan);
      for (const src of plan.dropped.sources)
        if (!plan.sources.has(src.name.toLowerCase())) await this.#dropRawTable(src.name);
    }
    this.#lastEpoch = epoch;
    for (const a of added) a.source.epochs.add({ epoch, rows: a.rows, bytes: a.bytes, committedAt: now });
    await this.#expire(now);
    timer.lap('retention');
    await this.#trimChangeLogs(now);
    timer.lap('change_logs');
    this.#lastCommitPhases = timer.phases;
    const changed = [
      ...new Set([
        ...work.map((w) => w.view.name),
        ...appended.map((a) => a.view.name),
        ...appends.map((a) => a.source.name),
        ...((deadLetters?.size ?? 0) > 0 ? [DEAD_LETTERS] : []),
        ...(labels.length > 0 ? [ATTACK_LABELS] : []),
      ]),
    ];
    for (const l of this.#committedListeners) l(epoch, changed);
  }

  /**
   * Appends the staged changes of a view to a change log (`table`: a subscription's or a sink's):
   * retractions before insertions, and, with a key, a retraction and an insertion of one key as
   * UpdateDelete, UpdateInsert; rows of one kind in the order the epoch staged them (`arrival`:
   * as they came, an APPEND ONLY table's in insertion order) or by row key.
   */
  #changeLogInsert(
    view: ViewState,
    table: string,
    key: readonly number[] | undefined,
    epoch: number,
    now: number,
    arrival = false,
  ): string {
    const cols = view.columns.map((c) => `s.${quoteIdent(c.name)}`);
    const delta = `s.${DELTA}`;
    const keyCols = (key ?? []).map((k) => cols[k] as string);
    const op =
      key === undefined
        ? `CASE WHEN ${delta} > 0 THEN 1 ELSE 2 END`
        : `CASE WHEN ${delta} > 0 THEN (CASE WHEN bool_or(${delta} < 0) OVER k THEN 3 ELSE 1 END) ` +
          `ELSE (CASE WHEN bool_or(${delta} > 0) OVER k THEN 4 ELSE 2 END) END`;
    const window = key === undefined ? '' : ` WINDOW k AS (PARTITION BY ${keyCols.join(', ') || 'NULL'})`;
    // The epoch and the time are integers of ours, written as literals: the statement runs in a
    // batch, where parameters cannot be bound.
    return (
      `INSERT INTO ${quoteIdent(table)} ` +
      `SELECT ${cols.join(', ')}, ${op}, ${integerLiteral(epoch)}, ` +
      `row_number() OVER (ORDER BY ${[...keyCols, `${delta} > 0`, arrival ? 's.rowid' : `s.${KEY}`].join(', ')}), ${integerLiteral(Math.round(now))} ` +
      `FROM temp.main.${view.stage as string} AS s, range(abs(${delta}))${window}`
    );
  }

  /** Deletes what no subscription keeps any more from the change logs, now and then. */
  async #trimChangeLogs(now: number): Promise<void> {
    if (now - this.#lastTrim < CHANGE_LOG_TRIM_MS || this.#subscriptions.size === 0) return;
    this.#lastTrim = now;
    const keep = new Map<string, number>();
    for (const s of this.#subscriptions.values())
      keep.set(s.view, Math.max(keep.get(s.view) ?? 0, s.retentionMs));
    for (const [view, retention] of keep)
      await this.#conn.run(`DELETE FROM ${quoteIdent(changeLogTable(view))} WHERE __tw_ts < $1`, [
        BigInt(Math.round(now - retention)),
      ]);
  }

  /**
   * Writes an epoch's raw events, and what each source added (`RAW_EPOCHS`), in a transaction of
   * their own on a second connection, beside the epoch's transaction, which waits for this one
   * before its COMMIT: loading them no longer follows the views' changes. Committed first, they
   * may outlive a crash that takes their epoch: a start drops them (`#dropRawBeyondCommit`), and
   * the logs give them again with the epoch's replay.
   */
  async #commitRaw(
    appends: readonly { source: SourceState; parts: readonly RawPart[] }[],
    epoch: number,
    committedAt: DuckDBTimestampValue,
    added: { source: SourceState; bytes: number; rows: number }[],
  ): Promise<void> {
    this.#rawConn ??= await this.#instance.connect();
    const conn = this.#rawConn;
    await this.#rawCheckpoint;
    await conn.run('BEGIN TRANSACTION');
    try {
      for (const { source, parts } of appends) {
        let bytes = 0;
        let count = 0;
        for (const rows of parts) {
          bytes += await this.#appendRaw(conn, source, epoch, rows);
          count += isSpooled(rows) ? rows.rows : rows.length;
        }
        await conn.run(`INSERT INTO ${RAW_EPOCHS_TABLE} VALUES ($1, $2, $3, $4, $5)`, [
          source.name,
          BigInt(epoch),
          BigInt(count),
          BigInt(bytes),
          committedAt,
        ]);
        added.push({ source, bytes, rows: count });
      }
      await conn.run('COMMIT');
    } catch (e) {
      await conn.run('ROLLBACK').catch(() => undefined);
      added.length = 0;
      throw e;
    }
    this.#checkpointRawWhenDue(conn);
  }

  /**
   * Checkpoints the raw events' database once its write-ahead log passed RAW_CHECKPOINT_BYTES,
   * right after their commit: their next commit waits for it, the epoch's own commits do not (a
   * checkpoint holds the commits of its database only). Refused while a reader's transaction
   * runs there: then after a later commit.
   */
  #checkpointRawWhenDue(conn: DuckDBConnection): void {
    let walBytes: number;
    try {
      walBytes = statSync(`${rawFileOf(this.file)}.wal`).size;
    } catch {
      return; // no log: nothing to checkpoint
    }
    if (walBytes < RAW_CHECKPOINT_BYTES) return;
    this.#rawCheckpoint = conn.run(`CHECKPOINT ${RAW_DATABASE}`).catch(() => undefined);
  }

  /**
   * Drops the raw events of epochs after the last committed one: written beside an epoch that
   * then failed or never committed (`#commitRaw`), the replay of the logs writes them again.
   */
  async #dropRawBeyondCommit(): Promise<void> {
    const after = BigInt(this.#lastEpoch ?? -1);
    const beyond = await this.#conn.runAndReadAll(
      `SELECT DISTINCT source FROM ${RAW_EPOCHS_TABLE} WHERE epoch > $1`,
      [after],
    );
    const sources = beyond.getRows().map((r) => this.#sources.get(String(r[0]).toLowerCase()));
    if (sources.length === 0) return;
    await this.#transaction(async () => {
      for (const source of sources)
        if (source !== undefined)
          await this.#conn.run(`DELETE FROM ${rawTable(source.name)} WHERE ${EPOCH_COLUMN} > $1`, [after]);
      await this.#conn.run(`DELETE FROM ${RAW_EPOCHS_TABLE} WHERE epoch > $1`, [after]);
    });
  }

  /** Deletes the raw events retention lets go, in a transaction of its own. */
  async #expire(now: number): Promise<void> {
    if (now - this.#lastExpire < (this.#options.retentionIntervalMs ?? 60_000)) return;
    this.#lastExpire = now;
    const expired: { source: SourceState; upTo: number }[] = [];
    for (const source of this.#sources.values()) {
      const upTo = source.epochs.expire(source.policy, now);
      if (upTo !== undefined) expired.push({ source, upTo });
    }
    if (expired.length === 0) return;
    await this.#transaction(async () => {
      for (const { source, upTo } of expired) {
        await this.#conn.run(`DELETE FROM ${rawTable(source.name)} WHERE ${EPOCH_COLUMN} <= $1`, [
          BigInt(upTo),
        ]);
        await this.#conn.run(`DELETE FROM ${RAW_EPOCHS_TABLE} WHERE source = $1 AND epoch <= $2`, [
          source.name,
          BigInt(upTo),
        ]);
      }
    });
  }

  /** Appends rows to a source's raw events table; returns their bytes (`rawBytes`). */
  async #appendRaw(
    conn: DuckDBConnection,
    source: SourceState,
    epoch: number,
    rows: RawPart,
  ): Promise<number> {
    const target = {
      table: rawTable(source.name),
      columns: source.columns,
      constants: [{ name: EPOCH_COLUMN, literal: String(bigint(epoch, 'epoch')) }],
    };
    if (isSpooled(rows)) {
      await this.#rawCsv.loadFile(conn, target, rows.spooled);
      return rows.bytes;
    }
    let bytes = 0;
    for (const row of rows) bytes += rawBytes(row);
    const loaded = await this.#loadedFromCsv(target, rows, conn, this.#rawCsv);
    if (loaded) return bytes;
    const types = source.columns.map((c) => c.type);
    const a = await conn.createAppender(source.name, 'main', RAW_DATABASE);
    const epochValue = BigInt(epoch);
    await fillAppender(a, rows, (row) => {
      appendRow(a, row, types, 0);
      a.appendBigInt(epochValue);
      a.endRow();
    });
    return bytes;
  }

  async #appendDeadLetters(
    source: string,
    letters: readonly DeadLetter[],
    epoch: number,
    at: ReturnType<typeof timestampValue>,
  ): Promise<void> {
    if (letters.length === 0) return;
    const a = await this.#conn.createAppender(DEAD_LETTERS);
    const epochValue = BigInt(epoch);
    await fillAppender(a, letters, (l) => {
      a.appendVarchar(source);
      a.appendVarchar(l.position);
      a.appendVarchar(l.reason);
      a.appendVarchar(l.raw);
      a.appendBigInt(epochValue);
      a.appendTimestamp(at);
      a.endRow();
    });
  }

  async #appendAttackLabels(labels: readonly AttackLabelRow[], epoch: number): Promise<void> {
    if (labels.length === 0) return;
    const a = await this.#conn.createAppender(ATTACK_LABELS);
    const epochValue = BigInt(epoch);
    const varchar = (v: string | null) => (v === null ? a.appendNull() : a.appendVarchar(v));
    const time = (iso: string) => a.appendTimestamp(timestampValue(BigInt(Date.parse(iso)) * 1000n));
    await fillAppender(a, labels, (l) => {
      a.appendVarchar(l.scenario);
      varchar(l.actor_ip);
      varchar(l.actor_user);
      a.appendVarchar(l.target);
      time(l.start);
      time(l.end);
      a.appendVarchar(l.source);
      a.appendBigInt(epochValue);
      a.endRow();
    });
  }

  async #writeOperatorStates(write: OperatorStateWrite, epoch: number): Promise<void> {
    const whole = write.records.filter((r) => r.whole).map((r) => integerLiteral(r.operator));
    if (write.reset) await this.#conn.run(`DELETE FROM ${OPERATOR_STATE}`);
    else if (whole.length > 0)
      await this.#conn.run(`DELETE FROM ${OPERATOR_STATE} WHERE operator IN (${whole.join(', ')})`);
    if (write.records.length === 0) return;
    // An appender rather than an INSERT of 3 parameters a record, planned afresh at every
    // commit: 50 records, 4.7–5.3 → 2.3–2.4 ms.
    const a = await this.#conn.createAppender(OPERATOR_STATE);
    const epochValue = BigInt(epoch);
    await fillAppender(a, write.records, (r) => {
      a.appendInteger(r.operator);
      a.appendBigInt(epochValue);
      a.appendBoolean(r.whole);
      a.appendBlob(r.bytes);
      a.endRow();
    });
  }

  /** The operator states kept apart from the state: per operator, its last whole state and the deltas after it. */
  operatorStates(): Promise<OperatorStateRecord[]> {
    return this.#exclusive(async () => {
      const result = await this.#conn.runAndReadAll(
        `SELECT operator, whole, state FROM ${OPERATOR_STATE} ORDER BY operator, epoch`,
      );
      return result.getRows().map((row) => ({
        operator: row[0] as number,
        whole: row[1] as boolean,
        bytes: new Uint8Array((row[2] as DuckDBBlobValue).bytes),
      }));
    });
  }

  /** The state committed with the latest epoch that had one. */
  state(): Promise<{ epoch: number; state: Uint8Array } | undefined> {
    return this.#exclusive(async () => {
      const result = await this.#conn.runAndReadAll(`SELECT epoch, state FROM ${STATE}`);
      const row = result.getRows()[0];
      if (row === undefined) return undefined;
      return { epoch: Number(row[0] as bigint), state: new Uint8Array((row[1] as DuckDBBlobValue).bytes) };
    });
  }

  /** The committed rows of a view, each repeated by its count, sorted by `compareRows`. */
  rows(name: string): Promise<Row[]> {
    return this.#exclusive(() => this.#rowsOn(this.#conn, this.#view(name)));
  }

  /**
   * `rows(name)` read over a reader's connection (`connectReader`): what the last commit left,
   * without waiting for a commit in progress or holding the next one.
   */
  readRows(reader: DuckDBConnection, name: string): Promise<Row[]> {
    return this.#rowsOn(reader, this.#view(name));
  }

  async #rowsOn(conn: DuckDBConnection, view: ViewState): Promise<Row[]> {
    const cols = view.columns.map((c) => quoteIdent(c.name));
    const result = await conn.runAndReadAll(
      `SELECT ${[...cols, COUNT].join(', ')} FROM ${quoteIdent(view.name)}`,
    );
    const out: Row[] = [];
    const n = view.columns.length;
    for (const raw of result.getRows()) {
      const row = rowFromDuck(raw, view.columns);
      const count = Number(raw[n] as bigint);
      for (let k = 0; k < count; k++) out.push(row);
    }
    return out.sort(compareRows);
  }

  /**
   * A second connection to the database, for readers: it sees committed epochs only, whole,
   * and does not wait for commits in progress. The caller closes it before `close()`.
   */
  connectReader(): Promise<DuckDBConnection> {
    if (this.#closed)
      return Promise.reject(
        new StoreError('unusable', `view store: ${this.file} is closed`, { path: this.file }),
      );
    return this.#instance.connect().then(async (conn) => {
      // A source's table is found by its name, as the store's own tables are.
      await conn.run(`SET search_path = 'main,${RAW_DATABASE}.main'`);
      return conn;
    });
  }

  /**
   * What DuckDB's buffer manager holds (`duckdb_memory()`), in bytes: its cached blocks and
   * working memory. Read on a connection of its own, without waiting for commits.
   */
  memoryBytes(): Promise<number> {
    if (this.#closed)
      return Promise.reject(
        new StoreError('unusable', `view store: ${this.file} is closed`, { path: this.file }),
      );
    const read = (async () => {
      this.#memoryReader ??= await this.#instance.connect();
      const r = await this.#memoryReader.runAndReadAll(
        'SELECT CAST(coalesce(sum(memory_usage_bytes), 0) AS BIGINT) FROM duckdb_memory()',
      );
      return Number(r.getRows()[0]?.[0] ?? 0);
    })();
    this.#memoryRead = read.catch(() => undefined);
    return read;
  }

  /** Epochs of a table or a source whose rows DuckDB read from CSV (csv-load.ts) rather than an appender. */
  get csvLoads(): number {
    return this.#csv.loads + this.#rawCsv.loads;
  }

  /** Staging tables made so far: one per view whose changes ever needed one (`#replaceable`). */
  get stages(): number {
    return this.#stages;
  }

  /** Waits for pending operations, then closes the database. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    await this.#queue.catch(() => undefined);
    await this.#memoryRead;
    await this.#rawCheckpoint;
    this.#shut();
  }

  #shut(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#memoryReader?.closeSync();
    for (const view of this.#views.values())
      for (const statement of view.prepared?.values() ?? []) statement.destroySync();
    this.#rawConn?.closeSync();
    this.#conn.closeSync();
    this.#instance.closeSync();
    this.#csv.close();
    this.#rawCsv.close();
  }

  #source(name: string): SourceState {
    const source = this.#sources.get(name.toLowerCase());
    if (source === undefined) throw invalid(`no source "${name}"`);
    return source;
  }

  #view(name: string): ViewState {
    const view = this.#views.get(name.toLowerCase());
    if (view === undefined) throw invalid(`no view "${name}"`);
    return view;
  }

  /** Runs operations one at a time: they share one connection, hence one transaction. */
  #exclusive<T>(work: () => Promise<T>): Promise<T> {
    const run = async () => {
      if (this.#closed)
        throw new StoreError('unusable', `view store: ${this.file} is closed`, { path: this.file });
      return work();
    };
    const result = this.#queue.then(run, run);
    this.#queue = result.catch(() => undefined);
    return result;
  }

  /**
   * Runs `work` in a transaction; `changesReads`: what readers see may change (`version`);
   * `first`: statements run with the BEGIN, in its round trip.
   */
  async #transaction(
    work: () => Promise<void>,
    changesReads = true,
    first: readonly string[] = [],
  ): Promise<void> {
    await this.#conn.run(['BEGIN TRANSACTION', ...first].join(';\n'));
    try {
      await work();
      await this.#conn.run('COMMIT');
      if (changesReads) this.#version++;
    } catch (e) {
      try {
        await this.#conn.run('ROLLBACK');
      } catch {
        // The transaction may already be aborted; the original error is what matters.
      }
      throw e;
    }
  }

  /**
   * Makes sure a view has a stage, made again once STAGE_RENEW_ROWS rows went through it:
   * DuckDB keeps the rows deleted from an in-memory table until that table is checkpointed,
   * which a temporary one never is, so a stage emptied at every commit grew by about 80 bytes a
   * row staged for as long as the server ran.
   */
  async #ensureStage(view: ViewState): Promise<void> {
    if (view.stage !== undefined) {
      if ((view.stagedRows ?? 0) < STAGE_RENEW_ROWS) return;
      await this.#conn.run(`DROP TABLE temp.main.${view.stage}`);
      view.stage = undefined;
    }
    const stage = `__tw_stage_${++this.#stages}`;
    const cols = [...STAGE_COLUMNS, ...view.columns].map((c) => `${quoteIdent(c.name)} ${duckType(c.type)}`);
    await this.#conn.run(`CREATE TEMP TABLE ${stage} (${cols.join(', ')})`);
    view.stage = stage;
    view.stagedRows = 0;
  }

  /**
   * Appends an append-only view's insertions to its table as they are: no staging, no join,
   * no key (its rows are never looked up to be retracted); a row inserted twice is two rows.
   */
  async #append(view: ViewState, delta: ViewDelta | SpooledRows): Promise<void> {
    const table = quoteIdent(view.name);
    // An APPEND ONLY relation's rows have no key (they are never looked up to be retracted);
    // new rows of another relation come with theirs.
    const keyed = view.appendOnly !== true;
    const constants = keyed ? [] : [{ name: KEY, literal: "''" }];
    if (isSpooled(delta)) {
      const columns = [...view.columns, ...(keyed ? [KEY_COLUMN] : []), COUNT_COLUMN];
      await this.#csv.loadFile(this.#conn, { table, columns, constants }, delta.spooled);
      return;
    }
    const keys = keyed ? delta.keys : undefined;
    if (keyed && keys === undefined) throw invalid(`view "${view.name}": new rows without their keys`);
    const loaded = await this.#loadedFromCsv(
      {
        table,
        columns: keys === undefined ? view.columns : [...view.columns, KEY_COLUMN],
        extra: { column: COUNT_COLUMN, valueOf: (i) => delta.weights[i] as number },
        constants,
      },
      keys === undefined ? delta.rows : delta.rows.map((row, i) => [...row, keys[i] as string]),
    );
    if (loaded) return;
    const types = view.columns.map((c) => c.type);
    const a = await this.#conn.createAppender(view.name);
    const indexes = delta.rows.map((_, i) => i);
    await fillAppender(a, indexes, (i) => {
      appendRow(a, delta.rows[i] as Row, types, 0);
      a.appendVarchar(keys === undefined ? '' : (keys[i] as string));
      a.appendBigInt(BigInt(delta.weights[i] as number));
      a.endRow();
    });
  }

  /** A spooled delta's rows and weights (and keys), read back from its file (`SpooledRows`). */
  async #spooledDelta(view: ViewState, spooled: SpooledRows): Promise<ViewDelta> {
    const columns = [...view.columns, ...(spooled.keyed === true ? [KEY_COLUMN] : []), COUNT_COLUMN];
    const read = await readCsvFile(this.#conn, columns, spooled.spooled, duckType);
    const n = view.columns.length;
    const rows = read.map((values) => rowFromDuck(values, view.columns));
    const weights = read.map((values) => Number(values[columns.length - 1] as bigint));
    if (spooled.keyed !== true) return { rows, weights };
    return { rows, weights, keys: read.map((values) => values[n] as string), before: rows.map(() => 0) };
  }

  /**
   * Inserts an epoch's rows from CSV when there are enough of them and their types allow it
   * (csv-load.ts); false, with nothing inserted, when the caller must append them instead.
   */
  async #loadedFromCsv(
    target: CsvLoadTarget,
    rows: readonly Row[],
    conn = this.#conn,
    loader = this.#csv,
  ): Promise<boolean> {
    if (rows.length < (this.#options.csvLoadMinRows ?? CSV_LOAD_MIN_ROWS)) return false;
    if (!csvLoadable(target.columns.map((c) => c.type))) return false;
    return loader.load(conn, target, rows);
  }

  /**
   * Whether changes can bring a view's table to the epoch without its stage
   * (`#replaceDirectly`): each carries the count before it, from the engine, and they are few
   * enough for an appender (many load from CSV, off the event loop, into the stage).
   */
  #replaceable(changes: readonly Change[]): boolean {
    return (
      changes.length < (this.#options.csvLoadMinRows ?? CSV_LOAD_MIN_ROWS) &&
      changes.every((c) => c.before !== undefined)
    );
  }

  /**
   * Brings a view's table to the epoch without a stage (`#replaceable` changes that no change
   * log reads): the rows of the keys held before are deleted by a statement prepared once per
   * view, the keys one list parameter, and the rows held after are appended with their counts.
   * A stage costs an appender, two statements planned afresh and its emptying: 17 views of 40
   * changes each, 75 → 53 ms a commit.
   */
  async #replaceDirectly(view: ViewState, changes: readonly Change[]): Promise<void> {
    const gone: string[] = [];
    for (const { key, weight, before } of changes) {
      if ((before as number) + weight < 0) throw retractsMissingRows(view.name);
      if ((before as number) > 0) gone.push(key);
    }
    if (gone.length > 0) await this.#deleteByKeys(view, gone, changes);
    const held = changes.filter((c) => (c.before as number) + c.weight > 0);
    if (held.length === 0) return;
    // New rows with their keys, their counts as weights: what `#append` puts in a table.
    await this.#append(view, {
      rows: held.map((c) => c.row),
      weights: held.map((c) => (c.before as number) + c.weight),
      keys: held.map((c) => c.key),
    });
  }

  /** Deletes a view's rows of `keys`, none older than the earliest time of `changes` (see `#stage`). */
  async #deleteByKeys(view: ViewState, keys: readonly string[], changes: readonly Change[]): Promise<void> {
    const table = quoteIdent(view.name);
    const list = listValue([...keys]);
    const joined = `${KEY} IN (SELECT unnest($1::VARCHAR[]))`;
    const locality = localityColumn(view.columns);
    const earliest = earliestTime(locality, changes);
    if (locality === undefined || earliest === undefined) {
      await this.#runPrepared(view, 'all', `DELETE FROM ${table} WHERE ${joined}`, [list], [LIST(VARCHAR)]);
      return;
    }
    const time = quoteIdent((view.columns[locality] as ViewColumn).name);
    const few = keys.length <= FEW_KEYS;
    await this.#runPrepared(
      view,
      few ? 'recent, few' : 'recent',
      `DELETE FROM ${table} WHERE ${few ? `list_contains($1::VARCHAR[], ${KEY})` : joined} AND ${time} >= make_timestamp($2::BIGINT)`,
      [list, BigInt(earliest)],
      [LIST(VARCHAR), BIGINT],
    );
  }

  /** Runs `sql`, prepared on this connection the first time a view runs it under `name`. */
  async #runPrepared(
    view: ViewState,
    name: string,
    sql: string,
    values: DuckDBValue[],
    types: DuckDBType[],
  ): Promise<void> {
    view.prepared ??= new Map();
    let statement = view.prepared.get(name);
    if (statement === undefined) {
      statement = await this.#conn.prepare(sql);
      view.prepared.set(name, statement);
    }
    statement.bind(values, types);
    await statement.run();
  }

  /**
   * Stages a view's changes (`#fillStage`; the stage was emptied when the transaction began)
   * and returns the statements that bring its table to the epoch — the keys' counts, the check
   * that retractions find their rows (`index`: the view's place in the epoch's batch, which the
   * error names), the replacement of touched rows — then `following` (the change logs that read
   * the stage).
   */
  async #stage(
    view: ViewState,
    changes: readonly Change[],
    index: number,
    following: readonly string[],
  ): Promise<string[]> {
    const stage = view.stage as string;
    const table = quoteIdent(view.name);
    let retracts = false;
    // The counts held before, from the engine: no lookup of them, no check in SQL.
    const known = changes.every((c) => c.before !== undefined);
    for (const { weight, before } of changes) {
      if (weight < 0) retracts = true;
      if (known && (before as number) + weight < 0) throw retractsMissingRows(view.name);
    }
    await this.#fillStage(view, changes, known);
    const cols = view.columns.map((c) => quoteIdent(c.name));
    const s = `temp.main.${stage}`;
    const next = `coalesce(s.${OLD}, 0) + s.${DELTA}`;
    const locality = localityColumn(view.columns);
    const earliest = earliestTime(locality, changes);
    // A staged row can only match a stored row of the same values, so none before the earliest
    // staged time: said as a constant, DuckDB skips the row groups of older rows (zone maps), and
    // a view of closed windows costs its commits what its open windows hold, not all it holds.
    const recent = (alias: string) =>
      locality !== undefined && earliest !== undefined
        ? ` AND ${alias}${cols[locality] as string} >= make_timestamp(${integerLiteral(earliest)})`
        : '';
    return [
      // The counts the staged keys have now (NULL: a new key), in one join.
      ...(known
        ? []
        : [
            `UPDATE ${s} AS s SET ${OLD} = t.${COUNT} FROM ${table} AS t WHERE t.${KEY} = s.${KEY}${recent('t.')}`,
          ]),
      // A retraction must find enough copies of its row.
      ...(retracts && !known
        ? [
            `SELECT CASE WHEN count(*) > 0 THEN error('${NEGATIVE_MULTIPLICITY} #${index}#') END FROM ${s} AS s WHERE ${next} < 0`,
          ]
        : []),
      // Rows of touched keys are replaced rather than updated: cheaper in DuckDB, and an
      // aggregate's change is a retraction of one key and an insertion of another anyway.
      `DELETE FROM ${table} WHERE ${KEY} IN (SELECT ${KEY} FROM ${s} WHERE ${OLD} IS NOT NULL)${recent('')}`,
      `INSERT INTO ${table} (${[...cols, KEY, COUNT].join(', ')}) ` +
        `SELECT ${[...cols.map((c) => `s.${c}`), `s.${KEY}`, next].join(', ')} FROM ${s} AS s WHERE ${next} > 0`,
      ...following,
    ];
  }

  /**
   * Puts a view's changes into its stage: key, weight, the count before (`known`: from the
   * engine, else NULL) and the row. Many of them are loaded from CSV by DuckDB's reader, off the
   * event loop: an appender's final flush inserts all its rows at once on this thread, and at
   * 10,000 events/s held the endpoint's clients 30–65 ms a commit.
   */
  async #fillStage(view: ViewState, changes: readonly Change[], known: boolean): Promise<void> {
    const stage = `temp.main.${view.stage as string}`;
    view.stagedRows = (view.stagedRows ?? 0) + changes.length;
    const before = (c: Change) => (known && c.before !== 0 ? (c.before as number) : null);
    if (changes.length >= (this.#options.csvLoadMinRows ?? CSV_LOAD_MIN_ROWS)) {
      const columns = [...STAGE_COLUMNS, ...view.columns];
      if (csvLoadable(columns.map((c) => c.type))) {
        const rows = changes.map((c) => [c.key, c.weight, before(c), ...c.row]);
        if (await this.#csv.load(this.#conn, { table: stage, columns }, rows)) return;
      }
    }
    const a = await this.#conn.createAppender(view.stage as string, 'main', 'temp');
    const types = view.columns.map((c) => c.type);
    await fillAppender(a, changes, (c) => {
      a.appendVarchar(c.key);
      a.appendBigInt(BigInt(c.weight));
      const old = before(c);
      if (old === null) a.appendNull();
      else a.appendBigInt(BigInt(old));
      appendRow(a, c.row, types, 3);
      a.endRow();
    });
  }

  /** Runs the statements `#stage` gave for the views `views` (in their order) as one batch. */
  async #applyStaged(statements: readonly string[], views: readonly string[]): Promise<void> {
    if (statements.length === 0) return;
    try {
      await this.#conn.run(statements.join(';\n'));
    } catch (e) {
      const negative =
        e instanceof Error && e.message.includes(NEGATIVE_MULTIPLICITY) ? /#(\d+)#/.exec(e.message) : null;
      if (negative !== null) throw retractsMissingRows(views[Number(negative[1])] as string);
      throw e;
    }
  }
}

/**
 * A failure of DuckDB as a StoreError naming the file (`what` says what failed); StoreErrors
 * pass through. DuckDB reports system errors in its message only.
 */
function storeFailure(e: unknown, what: string, file: string): StoreError {
  if (e instanceof StoreError) return e;
  const message = e instanceof Error ? e.message : String(e);
  const errno = /No space left/i.test(message)
    ? 'ENOSPC'
    : /Read-only file system/i.test(message)
      ? 'EROFS'
      : /Permission denied/i.test(message)
        ? 'EACCES'
        : undefined;
  return new StoreError('io', `view store: ${what}: ${message}`, { path: file, errno, cause: e });
}

function checkNames(name: string, columns: readonly ViewColumn[]): void {
  const lower = name.toLowerCase();
  if (name === '' || isReservedName(lower)) throw invalid(`"${name}" cannot name a view`);
  const seen = new Set<string>();
  for (const c of columns) {
    const n = c.name.toLowerCase();
    if (n === '' || n.startsWith('__tw_')) throw invalid(`view "${name}": "${c.name}" cannot name a column`);
    if (seen.has(n)) throw invalid(`view "${name}": two columns named "${c.name}" (DuckDB ignores case)`);
    seen.add(n);
    duckType(c.type);
  }
}
