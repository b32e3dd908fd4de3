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
import { serveEpochStore } from '../runtime/store-server.ts';
import { type CrossingError, ThreadRpc } from '../runtime/thread-rpc.ts';
import type { InsertValues } from '../sql/insert-values.ts';
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
  type EngineStatus,
  type EngineThreadData,
  type FedEngine,
  type OpenedEngine,
} from './engine-thread.ts';
import { ERROR_CLASSES } from './error-classes.ts';
import type { ViewContents } from './http-answers.ts';

export interface EngineClientOptions {
  readonly data: EngineThreadData;
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
  /** What the engine's thread reads as its stdin (`--input -`). */
  readonly stdin?: Readable;
}

export class EngineClient {
  readonly #worker: Worker;
  readonly #rpc: ThreadRpc;
  readonly #store: ViewStore;
  #catalog: CatalogCopy = { relations: [], sinks: [] };
  #exited: Promise<void>;

  private constructor(options: EngineClientOptions) {
    const { data, store, access } = options;
    this.#store = store;
    this.#worker = new Worker(new URL('./engine-thread.ts', import.meta.url), {
      workerData: data,
      stdin: options.stdin !== undefined,
    });
    if (options.stdin !== undefined && this.#worker.stdin !== null) options.stdin.pipe(this.#worker.stdin);
    const rpc = new ThreadRpc(this.#worker, ERROR_CLASSES);
    this.#rpc = rpc;
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
    this.#exited = new Promise((resolve) => {
      this.#worker.on('error', (error) => {
        rpc.close(error);
        options.onFatal(error);
      });
      this.#worker.on('exit', (code) => {
        rpc.close(new Error(`the engine's thread stopped (exit code ${code})`));
        resolve();
      });
    });
  }

  /** Starts the engine's thread and opens the engine: restored, its logs replayed, the pipelines set up and committed. */
  static async open(options: EngineClientOptions): Promise<{ client: EngineClient; opened: OpenedEngine }> {
    const client = new EngineClient(options);
    try {
      return { client, opened: await client.#rpc.call<OpenedEngine>(ENGINE_CALLS.open) };
    } catch (error) {
      await client.#worker.terminate();
      throw error;
    }
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
    const subscriptions = this.#store.subscriptions().map((s) => ({ name: s.name, view: s.view }));
    return this.#rpc.call(ENGINE_CALLS.execute, sql, params, tokens, subscriptions);
  }

  insertValues(bulk: InsertValues): Promise<StatementResult | undefined> {
    return this.#rpc.call(ENGINE_CALLS.insertValues, bulk);
  }

  insertRows(table: string, rows: readonly Row[], writtenAs?: WrittenAs): Promise<number> {
    return this.#rpc.call(ENGINE_CALLS.insertRows, table, rows, writtenAs);
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

  /** A view's rows as the engine holds them now; null for no such view. */
  viewRows(name: string): Promise<ViewContents | null> {
    return this.#rpc.call(ENGINE_CALLS.viewRows, name);
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

  /** Stops ingestion, commits a last epoch, and ends the engine's thread. */
  async close(): Promise<void> {
    try {
      await this.#rpc.call(ENGINE_CALLS.close);
    } catch {
      // the thread is gone already: nothing more to commit
    }
    await this.#worker.terminate();
    await this.#exited;
  }
}
