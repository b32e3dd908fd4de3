/**
 * A sink's delivery: a durable reader of its queue in the store (store/sink-queues.ts). It reads
 * the first epoch not delivered, makes its messages (alert-stream.ts), hands them to the target
 * in order, and acknowledges to the store only what the target took: the epoch leaves the
 * queue and the progress — the last epoch delivered, the alert state after it, the counters —
 * is committed in one transaction. Within a long epoch it also records how many of its
 * messages are delivered (with the state before the epoch), so that a start after a crash
 * makes the same messages again and skips those. Delivery is at least once and in order: a
 * crash between a delivery and its acknowledgement repeats messages, with the same keys.
 *
 * A failure the target calls worth retrying (5xx, 429, a timeout, a refused connection) is
 * tried again after a backoff doubling from `retry.backoff.ms` up to `retry.backoff.max.ms`
 * (or the target's `Retry-After`, within that cap), for as long as it takes: nothing behind it
 * is delivered meanwhile. Any other failure makes the message a dead letter: counted, reported
 * (`onDeadLetter`, the status), and passed.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import type { RunningSink, SinkDeadLetter, SinkStatus } from '../runtime/sink.ts';
import { SENT_ALERTS_KEPT, type SentAlert } from '../store/sent-alerts.ts';
import { queuedChanges, readQueuedEpoch } from '../store/sink-queues.ts';
import type { ViewColumn } from '../store/view-store.ts';
import { type AlertState, alertsOfEpoch, NO_ALERTS, type SinkMessage } from './alert-stream.ts';
import { rowObject } from './payload.ts';
import type { SinkConfig } from './sink-options.ts';
import type { SinkTarget } from './target.ts';

/** What a delivery needs of the store. */
export interface SinkQueueStore {
  connectReader(): Promise<DuckDBConnection>;
  sinkProgress(name: string): string | undefined;
  /** Acknowledges delivered epochs, with the progress and the messages settled since the last ack. */
  ackSink(
    name: string,
    deliveredEpoch: number | undefined,
    progress: string,
    settled: readonly SentAlert[],
  ): Promise<void>;
}

/** What the store keeps of a delivery (`ackSink`'s progress, as JSON). */
interface Progress {
  readonly version: 1;
  /** The last epoch whose messages are all delivered (-1: none yet). */
  readonly epoch: number;
  /** Messages of the epoch after it delivered already. */
  readonly within: number;
  /** The alert state after `epoch`. */
  readonly alerts: AlertState;
  readonly delivered: number;
  readonly deadLetters: number;
  readonly heldBack: number;
  readonly lastDeadLetter?: SinkDeadLetter;
}

const START: Progress = {
  version: 1,
  epoch: -1,
  within: 0,
  alerts: NO_ALERTS,
  delivered: 0,
  deadLetters: 0,
  heldBack: 0,
};

/** Messages handed to the target at once. */
const BATCH = 100;
/** Within an epoch, progress is recorded after this long at most. */
const PARTIAL_ACK_MS = 1000;
/** Without a wake-up, the queue is looked at again after this long. */
const IDLE_POLL_MS = 1000;

export interface SinkDeliveryOptions {
  readonly name: string;
  readonly from: string;
  readonly columns: readonly ViewColumn[];
  readonly config: SinkConfig;
  readonly target: SinkTarget;
  readonly store: SinkQueueStore;
  readonly onDeadLetter?: (report: SinkDeadLetter) => void;
}

export class SinkDelivery implements RunningSink {
  readonly #o: SinkDeliveryOptions;
  readonly #stop = new AbortController();
  #progress: Progress;
  #state = 'delivering';
  #pending = 0;
  #retries = 0;
  #lastError: string | undefined;
  /** Messages settled (delivered or dead) since the last ack, recorded with it. */
  #settled: SentAlert[] = [];
  #wake: (() => void) | undefined;
  #done: Promise<void> | undefined;

  constructor(options: SinkDeliveryOptions) {
    this.#o = options;
    const saved = options.store.sinkProgress(options.name);
    this.#progress = saved === undefined ? START : (JSON.parse(saved) as Progress);
  }

  /** Starts delivering; `stop` ends it. */
  start(): void {
    this.#done ??= this.#run().catch((e: unknown) => {
      this.#state = 'stopped';
      this.#lastError = `delivery stopped: ${(e as Error).message}`;
    });
  }

  /** Something was committed: look at the queue now rather than at the next poll. */
  wake(): void {
    this.#wake?.();
  }

  /** Stops delivering (a message in flight is abandoned, to be delivered at the next start) and closes the target. */
  async stop(): Promise<void> {
    this.#stop.abort();
    this.#wake?.();
    await this.#done;
    this.#state = 'stopped';
    await this.#o.target.close();
  }

  status(): SinkStatus {
    const p = this.#progress;
    return {
      name: this.#o.name,
      connector: this.#o.config.connector.kind,
      from: this.#o.from,
      state: this.#state,
      delivered: p.delivered,
      pending: this.#pending,
      retries: this.#retries,
      deadLetters: p.deadLetters,
      heldBack: p.heldBack,
      deliveredEpoch: p.epoch < 0 ? null : p.epoch,
      ...(this.#lastError === undefined ? {} : { lastError: this.#lastError }),
      ...(p.lastDeadLetter === undefined ? {} : { lastDeadLetter: p.lastDeadLetter }),
      ...(this.#o.target.stats === undefined ? {} : { target: this.#o.target.stats() }),
    };
  }

  /** Resolves after `ms`, at a wake-up, or at the stop. */
  #pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.#wake = undefined;
        this.#stop.signal.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.#wake = done;
      this.#stop.signal.addEventListener('abort', done);
    });
  }

  async #ack(deliveredEpoch: number | undefined, progress: Progress): Promise<void> {
    const settled = this.#settled;
    this.#settled = [];
    await this.#o.store.ackSink(this.#o.name, deliveredEpoch, JSON.stringify(progress), settled);
    this.#progress = progress;
  }

  #settle(messages: readonly SinkMessage[], outcome: SentAlert['outcome'], reason: string | null): void {
    const settledAt = Date.now();
    for (const m of messages)
      this.#settled.push({
        sink: m.sink,
        epoch: m.epoch,
        seq: m.seq,
        dedupKey: m.dedupKey,
        op: m.op,
        status: m.status,
        committedAt: m.committedAt,
        settledAt,
        outcome,
        reason,
        heldBack: m.heldBack,
        row: JSON.stringify(rowObject(m.row, this.#o.columns)),
      });
    if (this.#settled.length > 2 * SENT_ALERTS_KEPT) this.#settled = this.#settled.slice(-SENT_ALERTS_KEPT);
  }

  async #run(): Promise<void> {
    const conn = await this.#o.store.connectReader();
    try {
      while (!this.#stop.signal.aborted) {
        const at = this.#progress.epoch;
        this.#pending = await queuedChanges(conn, this.#o.name, at);
        const epoch = await readQueuedEpoch(conn, this.#o.name, this.#o.columns, at);
        if (epoch === undefined) {
          this.#state = 'idle';
          await this.#pause(IDLE_POLL_MS);
          continue;
        }
        this.#state = 'delivering';
        const made = alertsOfEpoch(this.#o.name, this.#o.config, epoch, this.#progress.alerts);
        const finished = await this.#deliverEpoch(made.messages);
        if (!finished) break;
        const p = this.#progress;
        await this.#ack(epoch.epoch, {
          ...p,
          epoch: epoch.epoch,
          within: 0,
          alerts: made.state,
          heldBack: p.heldBack + made.heldBack,
        });
      }
    } finally {
      conn.closeSync();
    }
  }

  /** Delivers an epoch's messages from where the progress says; false when stopped first. */
  async #deliverEpoch(messages: readonly SinkMessage[]): Promise<boolean> {
    const { target, config } = this.#o;
    const signal = this.#stop.signal;
    let i = this.#progress.within;
    let attempt = 0;
    let ackedAt = Date.now();
    let progress = this.#progress;
    while (i < messages.length) {
      if (signal.aborted) return false;
      const result = await target.deliver(messages.slice(i, i + BATCH), signal);
      this.#settle(messages.slice(i, i + result.delivered), 'delivered', null);
      i += result.delivered;
      progress = { ...progress, within: i, delivered: progress.delivered + result.delivered };
      const failure = result.failure;
      if (failure !== undefined && !signal.aborted) {
        this.#lastError = failure.reason;
        if (failure.retry) {
          this.#state = 'retrying';
          this.#retries++;
          attempt++;
          const backoff = Math.min(config.backoff.maxMs, config.backoff.firstMs * 2 ** (attempt - 1));
          await this.#pause(Math.min(config.backoff.maxMs, Math.max(backoff, failure.retryAfterMs ?? 0)));
        } else {
          const dead = messages[i] as SinkMessage;
          const report = { dedupKey: dead.dedupKey, reason: failure.reason };
          this.#settle([dead], 'dead-letter', failure.reason);
          i++;
          progress = {
            ...progress,
            within: i,
            deadLetters: progress.deadLetters + 1,
            lastDeadLetter: report,
          };
          this.#o.onDeadLetter?.(report);
        }
      } else if (failure === undefined) {
        if (attempt > 0) this.#state = 'delivering';
        attempt = 0;
      }
      this.#progress = progress;
      if (i < messages.length && Date.now() - ackedAt >= PARTIAL_ACK_MS) {
        await this.#ack(undefined, progress);
        ackedAt = Date.now();
      }
    }
    return true;
  }
}
