/**
 * `tidewatch analyze` on more than one core: each pipeline file after the first runs its views
 * on a worker thread of its own (analyze-worker.ts), beside the main thread's engine, which runs
 * the first file's. Every thread reads the whole log — the main thread posts each chunk it reads
 * to every worker — and decodes it itself; at the end each worker hands back its views' rows.
 * The main thread reads on while a worker starts (applying its pipelines takes a moment), but
 * no more than `IN_FLIGHT` chunks ahead of it, so a log much larger than memory is never queued
 * whole.
 */
import { Worker } from 'node:worker_threads';
import type { ViewContents } from '../analyze/combined-views.ts';

/** What a worker thread is given. */
export interface ThreadSpec {
  /** Every pipeline file, in order. */
  readonly pipelines: readonly string[];
  /** The file whose views the thread computes (the earlier ones are applied, their views dropped). */
  readonly own: number;
  readonly source: string;
  /** `--format`. */
  readonly format: string;
}

export type ToThread =
  | { readonly kind: 'chunk'; readonly bytes: Uint8Array }
  | { readonly kind: 'end-input' }
  | { readonly kind: 'close' };

export type FromThread =
  | { readonly kind: 'ready' }
  | { readonly kind: 'failed'; readonly message: string; readonly pipeline: boolean }
  | { readonly kind: 'ack' }
  | { readonly kind: 'views'; readonly views: Record<string, ViewContents> };

/** Chunks (of about 1 MiB) a worker may have queued before the main thread waits for it. */
const IN_FLIGHT = 32;

export class PipelineThread {
  readonly #worker: Worker;
  readonly #ready: Promise<void>;
  readonly #views: Promise<Record<string, ViewContents>>;
  #inFlight = 0;
  #acked: (() => void) | undefined;
  #failure: Error | undefined;

  constructor(spec: ThreadSpec) {
    this.#worker = new Worker(new URL('./analyze-worker.ts', import.meta.url), { workerData: spec });
    let ready: () => void = () => {};
    let views: (v: Record<string, ViewContents>) => void = () => {};
    let failed: (e: Error) => void = () => {};
    this.#ready = new Promise<void>((resolve, reject) => {
      ready = resolve;
      failed = reject;
    });
    let stopped: (e: Error) => void = () => {};
    this.#views = new Promise((resolve, reject) => {
      views = resolve;
      stopped = reject;
    });
    this.#ready.catch(() => {});
    this.#views.catch(() => {});
    const fail = (error: Error) => {
      this.#failure ??= error;
      failed(error);
      stopped(error);
    };
    this.#worker.on('error', fail);
    this.#worker.on('exit', (code) => fail(new Error(`the pipeline thread stopped (exit code ${code})`)));
    this.#worker.on('message', (message: FromThread) => {
      switch (message.kind) {
        case 'ready':
          ready();
          return;
        case 'failed':
          this.#failure ??= message.pipeline
            ? new PipelineThreadError(message.message)
            : new Error(message.message);
          failed(this.#failure);
          return;
        case 'ack':
          this.#inFlight--;
          this.#acked?.();
          return;
        case 'views':
          views(message.views);
          return;
      }
    });
  }

  /** Resolves once the pipelines are applied; rejects with a PipelineThreadError for a failing statement. */
  ready(): Promise<void> {
    return this.#ready;
  }

  /**
   * Posts the next bytes of the log (a copy: the caller keeps `chunk`); waits while the thread
   * lags. Rejects once the thread failed (a PipelineThreadError for a failing statement).
   */
  async write(chunk: Uint8Array): Promise<void> {
    if (this.#failure !== undefined) throw this.#failure;
    while (this.#inFlight >= IN_FLIGHT) {
      const acked = new Promise<void>((resolve) => {
        this.#acked = resolve;
      });
      // Wakes at an ack, or rejects once the thread failed (while starting, or after).
      await Promise.race([acked, this.#views, this.#ready.then(() => acked)]);
    }
    const bytes = Uint8Array.prototype.slice.call(chunk);
    this.#inFlight++;
    this.#post({ kind: 'chunk', bytes }, [bytes.buffer as ArrayBuffer]);
  }

  /** The end of one input (a file). */
  endInput(): void {
    this.#post({ kind: 'end-input' });
  }

  /** Ends the log: the thread closes its windows and hands back its views' rows. */
  async close(): Promise<Record<string, ViewContents>> {
    this.#post({ kind: 'close' });
    return await this.#views;
  }

  /** Stops the thread at once (a failed run). */
  async terminate(): Promise<void> {
    await this.#worker.terminate();
  }

  #post(message: ToThread, transfer: ArrayBuffer[] = []): void {
    this.#worker.postMessage(message, transfer);
  }
}

/** A statement of a pipeline file failed in a thread (its message names the file and place). */
export class PipelineThreadError extends Error {
  override readonly name = 'PipelineThreadError';
}
