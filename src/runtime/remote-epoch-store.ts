/**
 * The store as the engine's thread sees it: each call crosses to the thread that owns the
 * ViewStore (store-server.ts). A commit crosses in two messages, so that the store writes the
 * epoch's changes while the engine's thread still packs its operator states and fsyncs the
 * logs: the changes at once, then the packed states once the fsync is done (or its failure,
 * which rolls the commit back).
 *
 * Many rows that the store would load from CSV anyway — a source's raw events, the insertions
 * of an APPEND ONLY table or view — cross as a CSV file this thread writes (`spool`): copying
 * them to the other thread and writing them there cost both threads more (an epoch of 40,000
 * rows: 50 ms to copy here, 75–130 ms to take in there, where it holds the endpoint's clients
 * up, and 100 ms to write).
 */

import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { CommitPhases } from '../store/commit-phases.ts';
import {
  CSV_LOAD_MIN_ROWS,
  type CsvColumn,
  csvLoadable,
  emptyDirectory,
  isSpooled,
  type RawPart,
  type SpooledRows,
  writeCsvFile,
} from '../store/csv-load.ts';
import { rawBytes } from '../store/raw-retention.ts';
import {
  insertsNewRows,
  type OperatorStateWrite,
  type StoreSchema,
  type ViewDelta,
} from '../store/view-store.ts';
import type { Row } from '../stream/value.ts';
import type { EpochCommit, EpochStore } from './epoch-store.ts';
import { type RawGathering, RawSpool } from './raw-spool.ts';
import { ThreadRpc } from './thread-rpc.ts';

/** What crosses of a commit in its first message: everything but what is still being made durable. */
export type CommitChanges = Omit<EpochCommit, 'operators' | 'durableFirst' | 'raw' | 'deltas'> & {
  readonly operatorEpochs: readonly number[];
  readonly raw: ReadonlyMap<string, readonly RawPart[]>;
  readonly deltas: ReadonlyMap<string, ViewDelta | SpooledRows>;
};

const WEIGHT: CsvColumn = { name: 'weight', type: { name: 'int8' } };
const KEY: CsvColumn = { name: 'key', type: { name: 'varchar' } };

export const STORE_CALLS = {
  commit: 'store.commit',
  ready: 'store.ready',
  rows: 'store.rows',
  retainedOpen: 'store.retained.open',
  retainedNext: 'store.retained.next',
} as const;

/**
 * Rows spooled between two turns of the engine's thread's event loop (some 35 ms of work). Not
 * fewer: each turn lets the thread's other work — the next epoch's ingestion — go first while
 * the commit waits for the file; at 2,048 rows a turn, an epoch of 80,000 events at
 * `--generator-rate max` took 2.3 s to spool instead of 0.18 s.
 */
const SPOOL_YIELD_ROWS = 16_384;

export class RemoteEpochStore implements EpochStore {
  readonly #rpc: ThreadRpc;
  #nextCommit = 1;
  #subscriptions: readonly { readonly name: string; readonly view: string }[] = [];
  /** Where rows are spooled (none until `spoolInto`). */
  #spoolDir: string | undefined;
  #spoolMinRows = CSV_LOAD_MIN_ROWS;
  /** The schema of the last commit that had one: what the store will make of each relation's rows. */
  #schema: StoreSchema | undefined;
  #spooled = 0;

  constructor(rpc: ThreadRpc) {
    this.#rpc = rpc;
  }

  /**
   * From now on, relations' rows of at least `minRows` in a commit cross as CSV files written
   * in `dir` (emptied now: files there hold nothing committed).
   */
  spoolInto(dir: string, minRows = CSV_LOAD_MIN_ROWS): void {
    emptyDirectory(dir);
    mkdirSync(dir, { recursive: true });
    this.#spoolDir = dir;
    this.#spoolMinRows = minRows;
  }

  async commit(commit: EpochCommit): Promise<CommitPhases> {
    const id = this.#nextCommit++;
    const { operators, durableFirst, raw, deltas, ...changes } = commit;
    Promise.all([Promise.all(operators.map((o) => o.write)), durableFirst]).then(
      ([writes]: [OperatorStateWrite[], unknown]) => this.#rpc.notify(STORE_CALLS.ready, id, writes),
      (e: unknown) => this.#rpc.notify(STORE_CALLS.ready, id, undefined, ThreadRpc.crossing(e)),
    );
    if (changes.schema !== undefined) this.#schema = changes.schema;
    const files: string[] = [];
    try {
      const crossing: CommitChanges = {
        ...changes,
        raw: await this.#spoolRaw(raw, files),
        deltas: await this.#spoolDeltas(deltas, files),
        operatorEpochs: operators.map((o) => o.epoch),
      };
      return await this.#rpc.call<CommitPhases>(STORE_CALLS.commit, id, crossing);
    } catch (e) {
      // The store removes the files it was sent; these never reached it, or it failed before.
      for (const f of files) rmSync(f, { force: true });
      throw e;
    }
  }

  async #spoolRaw(
    raw: ReadonlyMap<string, readonly RawPart[]>,
    files: string[],
  ): Promise<Map<string, RawPart[]>> {
    const out = new Map<string, RawPart[]>();
    for (const [name, parts] of raw) {
      const source = this.#schema?.sources.find((s) => s.name.toLowerCase() === name.toLowerCase());
      const crossing: RawPart[] = [];
      for (const rows of parts) {
        if (isSpooled(rows)) {
          // Written as the rows came (`rawGathering`): removed with the others should this commit fail.
          files.push(rows.spooled);
          crossing.push(rows);
          continue;
        }
        // Rows of another width go as they are, for the store to refuse.
        const spooled =
          source === undefined || !rows.every((r) => r.length === source.columns.length)
            ? undefined
            : await this.#spool(rows, source.columns, undefined, files);
        if (spooled === undefined) crossing.push(rows);
        else {
          let bytes = 0;
          for (const row of rows) bytes += rawBytes(row);
          crossing.push({ ...spooled, bytes });
        }
      }
      out.set(name, crossing);
    }
    return out;
  }

  async #spoolDeltas(
    deltas: ReadonlyMap<string, ViewDelta>,
    files: string[],
  ): Promise<Map<string, ViewDelta | SpooledRows>> {
    const out = new Map<string, ViewDelta | SpooledRows>();
    for (const [name, delta] of deltas) {
      const lower = name.toLowerCase();
      const view = this.#schema?.views.find((v) => v.name.toLowerCase() === lower);
      // As the store appends them: insertions only — into an APPEND ONLY relation, or of rows a
      // relation did not hold, with their keys — that nothing else reads the changes of.
      const appended =
        view !== undefined &&
        !(this.#schema?.sinks ?? []).some((s) => s.view.toLowerCase() === lower) &&
        !this.#subscriptions.some((s) => s.view.toLowerCase() === lower) &&
        delta.rows.every((r) => r.length === view.columns.length);
      const weight = (i: number) => delta.weights[i] as number;
      let spooled: SpooledRows | undefined;
      if (appended && view.appendOnly === true && delta.weights.every((w) => w > 0))
        spooled = await this.#spool(delta.rows, [...view.columns, WEIGHT], weight, files);
      else if (appended && view.appendOnly !== true && insertsNewRows(delta)) {
        const keys = delta.keys as readonly string[];
        const rows = delta.rows.map((row, i) => [...row, keys[i] as string]);
        const file = await this.#spool(rows, [...view.columns, KEY, WEIGHT], weight, files);
        spooled = file === undefined ? undefined : { ...file, keyed: true };
      }
      out.set(name, spooled ?? delta);
    }
    return out;
  }

  /** `rows` written to a new file of the spool; undefined when they go as they are. */
  async #spool(
    rows: readonly Row[],
    columns: readonly CsvColumn[],
    extra: ((index: number) => number) | undefined,
    files: string[],
  ): Promise<SpooledRows | undefined> {
    const dir = this.#spoolDir;
    if (dir === undefined || rows.length < this.#spoolMinRows || !csvLoadable(columns.map((c) => c.type)))
      return undefined;
    const file = join(dir, `rows-${++this.#spooled}.csv`);
    files.push(file);
    if (await writeCsvFile(file, rows, columns, SPOOL_YIELD_ROWS, extra))
      return { spooled: file, rows: rows.length, bytes: 0 };
    // A row too long for DuckDB's reader: the rows go as they are.
    files.pop();
    rmSync(file, { force: true });
    return undefined;
  }

  rows(relation: string): Promise<Row[]> {
    return this.#rpc.call<Row[]>(STORE_CALLS.rows, relation);
  }

  /** Raw events written to the spool as they come, once an epoch has `spoolInto`'s threshold of a source's. */
  rawGathering(columnsOf: (source: string) => readonly CsvColumn[] | undefined): RawGathering | undefined {
    const dir = this.#spoolDir;
    if (dir === undefined) return undefined;
    return new RawSpool({
      minRows: this.#spoolMinRows,
      columnsOf,
      nextFile: () => join(dir, `rows-${++this.#spooled}.csv`),
    });
  }

  async *retainedEvents(source: string): AsyncIterable<Row[]> {
    const id = await this.#rpc.call<number>(STORE_CALLS.retainedOpen, source);
    for (;;) {
      const batch = await this.#rpc.call<Row[] | null>(STORE_CALLS.retainedNext, id);
      if (batch === null) return;
      yield batch;
    }
  }

  subscriptions(): readonly { readonly name: string; readonly view: string }[] {
    return this.#subscriptions;
  }

  /** The store's subscriptions as its thread last sent them (before each statement it sends). */
  setSubscriptions(list: readonly { readonly name: string; readonly view: string }[]): void {
    this.#subscriptions = list;
  }
}
