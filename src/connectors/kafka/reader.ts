/**
 * Reads all partitions of one Kafka topic, for a source: its one job is to hand the caller
 * batches of raw messages `{ partition, offset, timestamp, key, value }` and to say where it is.
 *
 * - Assignment: every partition of the topic, explicitly (no consumer group). Metadata is read
 *   again every `metadataRefreshMs` and after errors; partitions that appear later are read from
 *   their earliest offset (all they hold was written after the reader started).
 * - Start: a partition listed in `offsets` starts there (resume: the offset of the next message
 *   to read, as `positions()` gave it); any other starts per `startup`: earliest, latest, or the
 *   first message whose timestamp is at or after `timestampMs` (ListOffsets by timestamp; a
 *   broker that answers "none" while its last message is that recent does not look timestamps
 *   up — librdkafka's mock does not — and the reader then finds that message itself, reading
 *   the partition from its start and dropping what is older).
 * - Backpressure: requests are sent only inside `next`, and only once everything fetched
 *   before was handed out: when a call hands out the last buffered messages it sends the next
 *   round at once, so that the broker answers while the caller works. A round asks for at most `maxBytes`, shared among the partitions'
 *   leaders, one request per leader (a broker returns whole record batches, so an answer can
 *   exceed its share by one batch per partition); what the batch cannot take waits in the
 *   reader for the next call. A long poll left waiting on a quiet broker when another broker
 *   answered may answer after the call returned: its messages are taken at the next call,
 *   before anything new is asked. So the reader holds at most one round of fetches beyond what
 *   the caller has, and a slow caller slows the reading.
 * - Failures: a broker that cannot be reached, a request that fails or times out, a topic
 *   that is missing — all are retried with exponential backoff (`retry`), and reported by
 *   `status()` (connected / retrying since when / last error); `next` then returns an empty
 *   batch after at most `maxWaitMs` and never rejects for them. A position the broker no longer
 *   holds (retention) moves to the partition's earliest offset, and the messages skipped are
 *   counted per partition.
 * - Values and keys are bytes as written; decoding them is the caller's job. Transaction
 *   control records are skipped; records of aborted transactions are delivered.
 *
 * `next` must not be called again before the previous call settled.
 */
import { describeKafkaError, type KafkaSecurity, PLAINTEXT } from './client-options.ts';
import {
  type FetchedPartition,
  type FetchRequestPartition,
  type PartitionInfo,
  platformaticClient,
  type ReaderClient,
} from './reader-client.ts';

export type Startup = { readonly mode: 'earliest' | 'latest' } | { readonly timestampMs: number };

export interface KafkaReaderOptions {
  readonly bootstrap: readonly string[];
  readonly topic: string;
  readonly clientId?: string;
  readonly security?: KafkaSecurity;
  /** Where partitions without a resume offset start (default earliest, as RisingWave). */
  readonly startup?: Startup;
  /** Resume: partition → offset of the next message to read. */
  readonly offsets?: ReadonlyMap<number, bigint>;
  /** How long `next` waits for messages before returning an empty batch (default 500 ms). */
  readonly maxWaitMs?: number;
  /** How often the topic's partitions are looked up again (default 30 s). */
  readonly metadataRefreshMs?: number;
  /** How long a broker has to answer one request beyond the fetch's wait (default 5 s). */
  readonly requestTimeoutMs?: number;
  /**
   * A consumer group that `commit()` writes positions to, for tools that watch its lag (as
   * RisingWave does). The reader never reads them back: where to resume is the caller's.
   */
  readonly commitGroup?: string;
  /** Backoff after a failure: `initialMs` doubling up to `maxMs` (default 200 ms to 10 s). */
  readonly retry?: { readonly initialMs?: number; readonly maxMs?: number };
}

export interface KafkaMessage {
  readonly partition: number;
  readonly offset: bigint;
  /** Milliseconds since the Unix epoch: the producer's create time, or the broker's append time. */
  readonly timestamp: number;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
}

export interface Batch {
  readonly messages: readonly KafkaMessage[];
  /** Bytes of the messages' keys and values. */
  readonly bytes: number;
}

export interface PartitionStatus {
  readonly partition: number;
  /** The leader's broker id, -1 when none. */
  readonly leader: number;
  /** Offset of the next message the caller gets; null until the start is resolved. */
  readonly position: bigint | null;
  /** The broker's end of the partition at the last fetch (or start lookup); null before. */
  readonly highWatermark: bigint | null;
  /** highWatermark − position when both are known. */
  readonly lag: bigint | null;
  /** Messages jumped over because the broker no longer held them (retention). */
  readonly skipped: bigint;
}

export interface ReaderStatus {
  /** connecting: nothing answered yet; retrying: the last attempt failed and the next waits. */
  readonly state: 'connecting' | 'connected' | 'retrying' | 'closed';
  /** When the reader entered this state (ms since the epoch). */
  readonly since: number;
  /** Failed attempts in a row. */
  readonly attempts: number;
  readonly nextRetryAt: number | null;
  /** The last failure, kept after recovery. */
  readonly lastError: string | null;
  readonly lastErrorAt: number | null;
  readonly partitions: readonly PartitionStatus[];
  readonly bufferedMessages: number;
  readonly bufferedBytes: number;
  /** Fetch requests sent, and bytes of messages they returned. */
  readonly fetches: number;
  readonly fetchedBytes: number;
}

interface PartitionState {
  readonly partition: number;
  leader: number;
  /** Where the partition starts when `position` is null. */
  start: Startup;
  /** Next offset the caller gets. */
  position: bigint | null;
  /** Next offset to fetch (≥ position; equal when nothing of the partition is buffered). */
  fetchOffset: bigint | null;
  highWatermark: bigint | null;
  skipped: bigint;
  buffered: number;
  /** Drop messages older than this until the first that is not (timestamp start the broker did not look up). */
  dropBefore: number | null;
}

interface Settled {
  readonly leader: number;
  readonly partitions: readonly number[];
  readonly fetched: readonly FetchedPartition[];
  readonly error: unknown;
}

const CONTROL_BATCH = 0x20;
const LOG_APPEND_TIME = 0x08;
const OFFSET_OUT_OF_RANGE = 1;

export class KafkaReader {
  readonly #options: KafkaReaderOptions;
  readonly #client: ReaderClient;
  readonly #maxWaitMs: number;
  readonly #refreshMs: number;
  readonly #initialBackoffMs: number;
  readonly #maxBackoffMs: number;
  readonly #partitions = new Map<number, PartitionState>();
  readonly #buffer: KafkaMessage[] = [];
  #bufferHead = 0;
  #bufferedBytes = 0;
  #knownPartitions = false;
  #metadataDue = 0;
  #state: ReaderStatus['state'] = 'connecting';
  #since = Date.now();
  #attempts = 0;
  #nextRetryAt: number | null = null;
  #lastError: string | null = null;
  #lastErrorAt: number | null = null;
  #fetches = 0;
  #fetchedBytes = 0;
  #rotation = 0;
  /** Fetch requests waiting for their answer, by leader; the partitions they ask for; the answers. */
  readonly #inflight = new Map<number, Promise<Settled>>();
  readonly #requested = new Set<number>();
  readonly #settled: Settled[] = [];
  #busy = false;
  #wake: (() => void) | null = null;

  /** Opens a reader; nothing is contacted until the first `next`, so this never fails on the network. */
  static open(options: KafkaReaderOptions, client?: ReaderClient): KafkaReader {
    return new KafkaReader(options, client);
  }

  private constructor(options: KafkaReaderOptions, client: ReaderClient | undefined) {
    if (options.topic === '') throw new Error('Kafka reader: no topic');
    if (options.bootstrap.length === 0) throw new Error('Kafka reader: no bootstrap broker');
    const startup = options.startup;
    if (startup !== undefined && 'timestampMs' in startup && !Number.isSafeInteger(startup.timestampMs))
      throw new Error(`Kafka reader: startup timestamp ${startup.timestampMs} is not an integer`);
    this.#options = options;
    this.#maxWaitMs = options.maxWaitMs ?? 500;
    this.#refreshMs = options.metadataRefreshMs ?? 30_000;
    this.#initialBackoffMs = options.retry?.initialMs ?? 200;
    this.#maxBackoffMs = options.retry?.maxMs ?? 10_000;
    this.#client =
      client ??
      platformaticClient({
        bootstrap: options.bootstrap,
        clientId: options.clientId ?? 'tidewatch',
        security: options.security ?? PLAINTEXT,
        requestTimeoutMs: options.requestTimeoutMs ?? 5000,
        maxWaitMs: this.#maxWaitMs,
      });
  }

  /**
   * The next messages, at most `maxRecords` and `maxBytes` (keys and values; one message is
   * returned even if larger). Fetches only when nothing is buffered; waits at most about
   * `maxWaitMs` (plus a request's timeout) and returns an empty batch if nothing came.
   */
  async next(maxRecords: number, maxBytes: number): Promise<Batch> {
    if (this.#state === 'closed') throw new Error('Kafka reader is closed');
    if (this.#busy) throw new Error('Kafka reader: next() called before the previous call settled');
    if (!(Number.isInteger(maxRecords) && maxRecords > 0 && Number.isInteger(maxBytes) && maxBytes > 0))
      throw new Error(`Kafka reader: next(${maxRecords}, ${maxBytes}) needs positive integers`);
    this.#busy = true;
    try {
      if (this.#bufferHead === this.#buffer.length) await this.#fetchRound(maxBytes);
      const batch = this.#take(maxRecords, maxBytes);
      // Read ahead: the next round is on its way while the caller works on this batch.
      if (this.#bufferHead === this.#buffer.length && this.#state === 'connected')
        this.#sendRequests(maxBytes, this.#maxWaitMs);
      return batch;
    } finally {
      this.#busy = false;
    }
  }

  /** Partition → offset of the next message the caller gets (what a resume passes as `offsets`). */
  positions(): Map<number, bigint> {
    const result = new Map<number, bigint>();
    for (const p of this.#sortedPartitions()) if (p.position !== null) result.set(p.partition, p.position);
    return result;
  }

  status(): ReaderStatus {
    return {
      state: this.#state,
      since: this.#since,
      attempts: this.#attempts,
      nextRetryAt: this.#nextRetryAt,
      lastError: this.#lastError,
      lastErrorAt: this.#lastErrorAt,
      partitions: this.#sortedPartitions().map((p) => ({
        partition: p.partition,
        leader: p.leader,
        position: p.position,
        highWatermark: p.highWatermark,
        lag:
          p.position !== null && p.highWatermark !== null && p.highWatermark >= p.position
            ? p.highWatermark - p.position
            : null,
        skipped: p.skipped,
      })),
      bufferedMessages: this.#buffer.length - this.#bufferHead,
      bufferedBytes: this.#bufferedBytes,
      fetches: this.#fetches,
      fetchedBytes: this.#fetchedBytes,
    };
  }

  /**
   * Commits positions (default: the current ones, which the caller should have made durable
   * first) to `commitGroup`, for lag monitoring only. Resolves false when it failed; the
   * failure is in `status().lastError`.
   */
  async commit(positions: ReadonlyMap<number, bigint> = this.positions()): Promise<boolean> {
    const group = this.#options.commitGroup;
    if (group === undefined) throw new Error('Kafka reader: commit() needs the commitGroup option');
    if (this.#state === 'closed' || positions.size === 0) return false;
    try {
      await this.#client.commit(group, this.#options.topic, positions);
      return true;
    } catch (error) {
      this.#lastError = `committing to group ${group}: ${describeKafkaError(error)}`;
      this.#lastErrorAt = Date.now();
      return false;
    }
  }

  /** Stops; a `next` in progress returns what it has. */
  async close(): Promise<void> {
    if (this.#state === 'closed') return;
    this.#setState('closed');
    this.#wake?.();
    await this.#client.close().catch(() => undefined);
  }

  #sortedPartitions(): PartitionState[] {
    return [...this.#partitions.values()].sort((a, b) => a.partition - b.partition);
  }

  #setState(state: ReaderStatus['state']): void {
    if (this.#state === state) return;
    this.#state = state;
    this.#since = Date.now();
  }

  async #fetchRound(maxBytes: number): Promise<void> {
    const deadline = Date.now() + this.#maxWaitMs;
    if (this.#nextRetryAt !== null && Date.now() < this.#nextRetryAt) {
      await this.#sleep(Math.min(this.#nextRetryAt, deadline) - Date.now());
      if (this.#state === 'closed' || Date.now() < this.#nextRetryAt) return;
    }
    try {
      await this.#refreshPartitions();
      await this.#resolveStarts();
      const failure = await this.#fetch(maxBytes, deadline);
      if (failure !== null) throw failure;
      this.#succeeded();
    } catch (error) {
      if (this.#state !== 'closed') this.#failed(error);
    }
  }

  #succeeded(): void {
    this.#attempts = 0;
    this.#nextRetryAt = null;
    this.#setState('connected');
  }

  #failed(error: unknown): void {
    this.#attempts++;
    this.#lastError = describeKafkaError(error);
    this.#lastErrorAt = Date.now();
    const delay = Math.min(this.#maxBackoffMs, this.#initialBackoffMs * 2 ** (this.#attempts - 1));
    this.#nextRetryAt = Date.now() + delay;
    this.#metadataDue = 0;
    this.#setState('retrying');
  }

  #sleep(ms: number): Promise<void> {
    if (ms <= 0) return Promise.resolve();
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.#wake = null;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.#wake = done;
    });
  }

  async #refreshPartitions(): Promise<void> {
    if (this.#knownPartitions && Date.now() < this.#metadataDue) return;
    const infos: PartitionInfo[] = await this.#client.partitions(this.#options.topic);
    const initial = !this.#knownPartitions;
    for (const { partition, leader } of infos) {
      const existing = this.#partitions.get(partition);
      if (existing !== undefined) {
        existing.leader = leader;
        continue;
      }
      const resume = this.#options.offsets?.get(partition);
      this.#partitions.set(partition, {
        partition,
        leader,
        start: initial ? (this.#options.startup ?? { mode: 'earliest' }) : { mode: 'earliest' },
        position: resume ?? null,
        fetchOffset: resume ?? null,
        highWatermark: null,
        skipped: 0n,
        buffered: 0,
        dropBefore: null,
      });
    }
    this.#knownPartitions = true;
    this.#metadataDue = Date.now() + this.#refreshMs;
  }

  /** Resolves the start offsets of partitions that have none, with ListOffsets. */
  async #resolveStarts(): Promise<void> {
    const pending = [...this.#partitions.values()].filter((p) => p.position === null && p.leader >= 0);
    if (pending.length === 0) return;
    const { topic } = this.#options;
    const byKind = (kind: 'earliest' | 'latest' | 'timestamp') =>
      pending.filter((p) => ('mode' in p.start ? p.start.mode : 'timestamp') === kind);

    const earliest = byKind('earliest');
    if (earliest.length > 0) {
      const found = await this.#client.offsets(
        topic,
        earliest.map((p) => p.partition),
        -2n,
      );
      for (const p of earliest) this.#startAt(p, found.get(p.partition));
    }
    const latest = byKind('latest');
    if (latest.length > 0) {
      const found = await this.#client.offsets(
        topic,
        latest.map((p) => p.partition),
        -1n,
      );
      for (const p of latest) this.#startAt(p, found.get(p.partition), found.get(p.partition));
    }
    for (const p of byKind('timestamp')) {
      const target = (p.start as { timestampMs: number }).timestampMs;
      const found = (await this.#client.offsets(topic, [p.partition], BigInt(target))).get(p.partition);
      if (found !== undefined && found >= 0n) {
        this.#startAt(p, found);
        continue;
      }
      // "None": either every message is older, or the broker does not look timestamps up.
      const end = (await this.#client.offsets(topic, [p.partition], -1n)).get(p.partition);
      if (end === undefined) throw new Error(`no end offset for ${topic}[${p.partition}]`);
      if (end > 0n && (await this.#lastTimestamp(p, end)) >= target) {
        const begin = (await this.#client.offsets(topic, [p.partition], -2n)).get(p.partition);
        this.#startAt(p, begin, end);
        p.dropBefore = target;
      } else {
        this.#startAt(p, end, end);
      }
    }
  }

  #startAt(p: PartitionState, offset: bigint | undefined, highWatermark?: bigint): void {
    if (offset === undefined || offset < 0n)
      throw new Error(`no start offset for ${this.#options.topic}[${p.partition}]`);
    p.position = offset;
    p.fetchOffset = offset;
    if (highWatermark !== undefined) p.highWatermark = highWatermark;
  }

  /** The newest timestamp in the partition's last record batch before `end`. */
  async #lastTimestamp(p: PartitionState, end: bigint): Promise<number> {
    const [fetched] = await this.#client.fetch(
      p.leader,
      this.#options.topic,
      [{ partition: p.partition, offset: end - 1n, maxBytes: 1 }],
      1,
      0,
    );
    let newest = Number.NEGATIVE_INFINITY;
    for (const batch of fetched?.batches ?? []) newest = Math.max(newest, Number(batch.maxTimestamp));
    return newest;
  }

  /**
   * Fetches until something is buffered or the deadline passes: one request per leader at a
   * time, `maxBytes` shared among the leaders, each partition in one request at most. A request
   * still waiting (a long poll on a broker with nothing new) when another one brought messages
   * is left running; what it brings is taken at the next call, before anything new is asked.
   * Returns the first failure (after keeping what the other requests returned), or null.
   */
  async #fetch(maxBytes: number, deadline: number): Promise<unknown> {
    let failure: unknown = null;
    for (;;) {
      failure ??= await this.#takeSettled();
      if (failure !== null || this.#bufferHead < this.#buffer.length || this.#state === 'closed')
        return failure;
      const waitMs = deadline - Date.now();
      if (waitMs <= 0) return null;
      this.#sendRequests(maxBytes, waitMs);
      if (this.#inflight.size === 0) {
        await this.#sleep(waitMs);
        return null;
      }
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<void>((resolve) => {
        timer = setTimeout(resolve, waitMs);
      });
      await Promise.race([timeout, ...this.#inflight.values()]);
      clearTimeout(timer);
    }
  }

  /** Sends a Fetch to each leader that has partitions to read and no request waiting. */
  #sendRequests(maxBytes: number, waitMs: number): void {
    const ready = [...this.#partitions.values()].filter(
      (p) => p.fetchOffset !== null && p.leader >= 0 && !this.#requested.has(p.partition),
    );
    if ([...this.#partitions.values()].some((p) => p.leader < 0)) this.#metadataDue = 0;
    if (ready.length === 0) return;
    // Rotate the order so that no partition always comes last in a response that fills up.
    this.#rotation = (this.#rotation + 1) % ready.length;
    const rotated = [...ready.slice(this.#rotation), ...ready.slice(0, this.#rotation)];
    const byLeader = new Map<number, PartitionState[]>();
    for (const p of rotated) {
      if (this.#inflight.has(p.leader)) continue;
      byLeader.set(p.leader, [...(byLeader.get(p.leader) ?? []), p]);
    }
    const leaders = new Set([...this.#inflight.keys(), ...byLeader.keys()]).size;
    const share = Math.max(1, Math.ceil(maxBytes / leaders));
    for (const [leader, partitions] of byLeader) {
      const request: FetchRequestPartition[] = partitions.map((p) => ({
        partition: p.partition,
        offset: p.fetchOffset as bigint,
        maxBytes: share,
      }));
      for (const p of partitions) this.#requested.add(p.partition);
      this.#fetches++;
      const settled = this.#client.fetch(leader, this.#options.topic, request, share, waitMs).then(
        (fetched) => ({ leader, partitions: partitions.map((p) => p.partition), fetched, error: null }),
        (error: unknown) => ({ leader, partitions: partitions.map((p) => p.partition), fetched: [], error }),
      );
      this.#inflight.set(leader, settled);
      void settled.then((result) => this.#settled.push(result));
    }
  }

  /** Buffers what the requests that answered brought; returns the first failure among them. */
  async #takeSettled(): Promise<unknown> {
    let failure: unknown = null;
    while (this.#settled.length > 0) {
      const { leader, partitions, fetched, error } = this.#settled.shift() as Settled;
      this.#inflight.delete(leader);
      for (const partition of partitions) this.#requested.delete(partition);
      if (this.#state === 'closed') continue;
      failure ??= error;
      for (const f of fetched) failure ??= await this.#accept(f);
    }
    return failure;
  }

  /** Buffers a partition's fetched messages; returns an error to report, if the partition had one. */
  async #accept(fetched: FetchedPartition): Promise<Error | null> {
    const p = this.#partitions.get(fetched.partition);
    if (p === undefined || p.fetchOffset === null) return null;
    if (fetched.errorCode === OFFSET_OUT_OF_RANGE) {
      const { topic } = this.#options;
      const begin = (await this.#client.offsets(topic, [p.partition], -2n)).get(p.partition);
      const end = (await this.#client.offsets(topic, [p.partition], -1n)).get(p.partition);
      if (begin === undefined || end === undefined)
        return new Error(`no offsets for ${topic}[${p.partition}]`);
      if (p.fetchOffset < begin) {
        p.skipped += begin - p.fetchOffset;
        p.fetchOffset = begin;
      } else if (p.fetchOffset > end) {
        p.fetchOffset = end;
      }
      if (p.buffered === 0) p.position = p.fetchOffset;
      return null;
    }
    if (fetched.errorCode !== 0) {
      this.#metadataDue = 0;
      return new Error(`${this.#options.topic}[${p.partition}]: Kafka error code ${fetched.errorCode}`);
    }
    p.highWatermark = fetched.highWatermark;
    let next = p.fetchOffset;
    for (const batch of fetched.batches) {
      const batchEnd = batch.firstOffset + BigInt(batch.lastOffsetDelta) + 1n;
      if ((batch.attributes & CONTROL_BATCH) === 0) {
        const appendTime = (batch.attributes & LOG_APPEND_TIME) !== 0;
        for (const record of batch.records) {
          const offset = batch.firstOffset + BigInt(record.offsetDelta);
          if (offset < next) continue;
          const timestamp = Number(
            appendTime ? batch.maxTimestamp : batch.firstTimestamp + record.timestampDelta,
          );
          if (p.dropBefore !== null) {
            if (timestamp < p.dropBefore) {
              next = offset + 1n;
              continue;
            }
            p.dropBefore = null;
          }
          const size = (record.key?.length ?? 0) + (record.value?.length ?? 0);
          this.#buffer.push({
            partition: p.partition,
            offset,
            timestamp,
            key: record.key,
            value: record.value,
          });
          this.#bufferedBytes += size;
          this.#fetchedBytes += size;
          p.buffered++;
          next = offset + 1n;
        }
      }
      if (batchEnd > next) next = batchEnd;
    }
    p.fetchOffset = next;
    if (p.buffered === 0) p.position = next;
    return null;
  }

  #take(maxRecords: number, maxBytes: number): Batch {
    const messages: KafkaMessage[] = [];
    let bytes = 0;
    while (this.#bufferHead < this.#buffer.length && messages.length < maxRecords) {
      const message = this.#buffer[this.#bufferHead] as KafkaMessage;
      const size = (message.key?.length ?? 0) + (message.value?.length ?? 0);
      if (messages.length > 0 && bytes + size > maxBytes) break;
      messages.push(message);
      bytes += size;
      this.#bufferHead++;
      this.#bufferedBytes -= size;
      const p = this.#partitions.get(message.partition) as PartitionState;
      p.buffered--;
      p.position = p.buffered === 0 ? (p.fetchOffset as bigint) : message.offset + 1n;
    }
    if (this.#bufferHead === this.#buffer.length) {
      this.#buffer.length = 0;
      this.#bufferHead = 0;
    }
    return { messages, bytes };
  }
}
