/**
 * The serving thread's handle on the engine's thread (engine-thread.ts): starts it, commits the
 * epochs it ends to the store (store-server.ts), keeps a copy of its catalog for what must
 * answer at once (binding a query's relations, the catalog tables), and forwards statements,
 * posts and status requests to it.
 */

import type { Readable } from 'node:stream';
import { Worker } from 'node:worker_threads';
import type { AccessCatalog } from '../auth/access-catalog.ts';
import type { RelationInfo } from '../engine/catalog.ts';
import type { StatementResult, WrittenAs } from '../engine/engine.ts';
import { type ConvertedInsertValues, readInsertRows, tableShape } from '../engine/insert-values-rows.ts';
import { serveEpochStore } from '../runtime/store-server.ts';
import { type CrossingError, ThreadRpc } from '../runtime/thread-rpc.ts';
import type { CopyFromCommand } from '../sql/copy-statement.ts';
import { SqlError } from '../sql/errors.ts';
import type { BindParams } from '../sql/params.ts';
import type { Token } from '../sql/tokens.ts';
import type { SqlType } from '../sql/types.ts';
import type { SourceIngestion } from '../store/query/catalog-relation-spec.ts';
import type { ViewStore } from '../store/view-store.ts';
import type { Row } from '../stream/value.ts';
import type { AuditEntry } from './audit-trail.ts';
import {
  type CatalogCopy,
  ENGINE_CALLS,
  type EngineOpening,
  type EngineStatus,
  type EngineThreadData,
  type FedEngine,
  type OpenedEngine,
} from './engine-calls.ts';
import { ERROR_CLASSES } from './error-classes.ts';

/** What the engine is opened with, and what the serving thread is told of it. */
export interface EngineOpenOptions extends EngineOpening {
  readonly store: ViewStore;
  /** Users and grants: saved with every commit; a DROP takes the grants on what it drops. */
  readonly access: AccessCatalog;
  /** A commit failed, or the engine's thread did: tidewatch must stop. */
  readonly onFatal: (error: Error) => void;
  /** The catalog changed (and is committed). */
  readonly onCatalog: (catalog: CatalogCopy) => void;
  /** The generator stopped on its own: undefined at its count, else why. */
  readonly onGeneratorEnded: (ended: { dropped: boolean; message: string } | undefined) => void;
  readonly onStdinEnded: (lines: number) => void;
}

export class EngineClient {
  readonly #worker: Worker;
  readonly #rpc: ThreadRpc;
  #store: ViewStore | undefined;
  #catalog: CatalogCopy = { relations: [], sinks: [] };
  readonly #exited: Promise<void>;
  #onFatal: (error: Error) => void = () => undefined;
  #closed: Promise<void> | undefined;
  #nextCopy = 1;
  /** COPYs whose reading failed on the engine's thread: their sending stops. */
  readonly #copiesFailed = new Set<number>();

  /**
   * Starts the engine's thread, which loads its modules meanwhile; `stdin`: what it reads as
   * its stdin (`--input -`).
   */
  constructor(data: EngineThreadData, stdin?: Readable) {
    this.#worker = new Worker(new URL('./engine-thread.ts', import.meta.url), {
      workerData: data,
      stdin: stdin !== undefined,
    });
    if (stdin !== undefined && this.#worker.stdin !== null) stdin.pipe(this.#worker.stdin);
    const rpc = new ThreadRpc(this.#worker, ERROR_CLASSES);
    this.#rpc = rpc;
    this.#exited = new Promise((resolve) => {
      this.#worker.on('error', (error) => {
        rpc.close(error);
        this.#onFatal(error);
      });
      this.#worker.on('exit', (code) => {
        rpc.close(new Error(`the engine's thread stopped (exit code ${code})`));
        resolve();
      });
    });
  }

  /** Opens the engine: restored, its logs replayed, the pipelines set up and committed to `options.store`. */
  open(options: EngineOpenOptions): Promise<OpenedEngine> {
    const { store, access, dataDir, pipelines, committed, epochMs, subscriptions } = options;
    const rpc = this.#rpc;
    this.#store = store;
    this.#onFatal = options.onFatal;
    serveEpochStore(rpc, store, access);
    rpc.handle(ENGINE_CALLS.catalog, (catalog: CatalogCopy) => {
      this.#catalog = catalog;
      options.onCatalog(catalog);
    });
    rpc.handle(ENGINE_CALLS.relationDropped, (relation: string) =>
      access.change((a) => a.forgetRelation(relation)),
    );
    rpc.handle(ENGINE_CALLS.fatal, (error: CrossingError) => options.onFatal(rpc.revive(error)));
    rpc.handle(ENGINE_CALLS.generatorEnded, options.onGeneratorEnded);
    rpc.handle(ENGINE_CALLS.stdinEnded, options.onStdinEnded);
    rpc.handle(ENGINE_CALLS.copyFailed, (id: number) => this.#copiesFailed.add(id));
    return rpc.call<OpenedEngine>(ENGINE_CALLS.open, {
      dataDir,
      pipelines,
      committed,
      epochMs,
      subscriptions,
    } satisfies EngineOpening);
  }

  /** Starts feeding the sources. */
  feed(): Promise<FedEngine> {
    return this.#rpc.call(ENGINE_CALLS.feed);
  }

  /** Tables, sources and views as of the last catalog change: the same list until the next. */
  relations(): readonly RelationInfo[] {
    return this.#catalog.relations;
  }

  catalog(): CatalogCopy {
    return this.#catalog;
  }

  execute(sql: string, params?: BindParams, tokens?: readonly Token[]): Promise<StatementResult[]> {
    const subscriptions = (this.#store?.subscriptions() ?? []).map((s) => ({ name: s.name, view: s.view }));
    return this.#rpc.call(ENGINE_CALLS.execute, sql, params, tokens, subscriptions);
  }

  /**
   * A bulk INSERT is read and converted here, with this thread's copy of the catalog, and
   * crosses as its text and rows (cloning rows of plain values costs the engine's thread a
   * quarter of reading them); the engine's thread takes the rows if the table's columns are
   * still the ones they were converted for, and reads the text itself otherwise. Undefined
   * (without a call) when the statement is not of the bulk form or not converted here: the
   * general path runs it, and reports its errors.
   */
  async insertValues(text: string): Promise<StatementResult | undefined> {
    const read = readInsertRows(
      text,
      (name) => this.#catalog.relations.find((r) => r.name === name && r.kind === 'table')?.columns,
    );
    if (read === undefined) return undefined;
    const converted: ConvertedInsertValues = {
      table: read.table,
      shape: tableShape(read.columns),
      rows: read.rows,
      text,
    };
    return this.#rpc.call(ENGINE_CALLS.insertValues, converted);
  }

  insertRows(table: string, rows: readonly Row[], writtenAs?: WrittenAs): Promise<number> {
    return this.#rpc.call(ENGINE_CALLS.insertRows, table, rows, writtenAs);
  }

  /**
   * `COPY … FROM STDIN`: the data goes to the engine's thread as it arrives and is read there
   * (copy-from.ts, on the engine's relations), so this thread neither decodes it nor clones its
   * rows. A failure there stops the sending; an error of the stream here (CopyFail, a cancel)
   * goes there, where the reading's context is added to it.
   */
  async copyRows(copy: CopyFromCommand, data: AsyncIterable<Buffer>): Promise<number> {
    const id = this.#nextCopy++;
    this.#rpc.notify(ENGINE_CALLS.copyBegin, id, copy);
    try {
      return await this.#sendCopy(id, data);
    } finally {
      // The engine's thread says a reading failed before it answers for that COPY.
      this.#copiesFailed.delete(id);
    }
  }

  async #sendCopy(id: number, data: AsyncIterable<Buffer>): Promise<number> {
    try {
      for await (const chunk of data) {
        if (this.#copiesFailed.has(id)) break;
        // A copy of the bytes: a chunk may be a view of a larger buffer, which a clone copies whole.
        this.#rpc.notify(ENGINE_CALLS.copyChunk, id, Uint8Array.prototype.slice.call(chunk));
      }
    } catch (e) {
      const aborted = this.#rpc.call<number>(ENGINE_CALLS.copyAbort, id, ThreadRpc.crossing(e));
      // The client gone, a connection to end: not the engine's to word.
      if (!(e instanceof SqlError)) {
        await aborted.catch(() => undefined);
        throw e;
      }
      return await aborted;
    }
    return await this.#rpc.call(ENGINE_CALLS.copyEnd, id);
  }

  flush(): Promise<void> {
    return this.#rpc.call(ENGINE_CALLS.flush);
  }

  describeParams(sql: string, declared: readonly (SqlType | undefined)[]): Promise<readonly SqlType[]> {
    return this.#rpc.call(ENGINE_CALLS.describeParams, sql, declared);
  }

  status(): Promise<EngineStatus> {
    return this.#rpc.call(ENGINE_CALLS.status);
  }

  ingestion(): Promise<readonly SourceIngestion[]> {
    return this.#rpc.call(ENGINE_CALLS.ingestion);
  }

  viewErrors(): Promise<readonly { name: string; errors: number; lastError: string | undefined }[]> {
    return this.#rpc.call(ENGINE_CALLS.viewErrors);
  }

  /** `POST /ingest/<source>`: resolves once the units are durable in the source's log. */
  ingest(source: string, units: readonly string[]): Promise<number> {
    return this.#rpc.call(ENGINE_CALLS.ingest, source, units);
  }

  /** Appends an audit record to the audit source's log. */
  audit(entry: AuditEntry): void {
    this.#rpc.notify(ENGINE_CALLS.audit, entry);
  }

  setEpochMs(ms: number): void {
    this.#rpc.notify(ENGINE_CALLS.setEpochMs, ms);
  }

  /** Stops ingestion, commits a last epoch (when the engine is open), and ends the engine's thread. */
  close(): Promise<void> {
    this.#closed ??= (async () => {
      try {
        await this.#rpc.call(ENGINE_CALLS.close);
      } catch {
        // the thread is gone already: nothing more to commit
      }
      await this.#worker.terminate();
      await this.#exited;
    })();
    return this.#closed;
  }
}
