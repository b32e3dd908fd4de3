/**
 * A Kafka topic as a source the runtime pulls: the reader's messages decoded into rows (or dead
 * letters), and its position — the next offset of every partition — handed over with each
 * batch, so that the epoch commits it and a restart resumes there (the consumer group, if any,
 * is for lag monitoring only).
 */
import type {
  DeadLetter,
  SourceBatch,
  SourceConnector,
  SourceReader,
  SourceStatus,
} from '../../runtime/source.ts';
import { DEAD_LETTER_BYTES } from '../../runtime/source.ts';
import type { RecordDecoder, Row } from '../formats/index.ts';
import type { KafkaReaderOptions } from './reader.ts';

/** Where a Kafka source is: per partition, the offset of the next message (as decimal text). */
export interface KafkaPosition {
  readonly offsets: Readonly<Record<string, string>>;
}

/** Messages and bytes asked for per batch. */
const BATCH_MESSAGES = 8192;
const BATCH_BYTES = 8 << 20;

export class KafkaSource implements SourceConnector<KafkaPosition> {
  readonly kind = 'kafka';
  readonly #options: KafkaReaderOptions;
  readonly #decoder: RecordDecoder;

  constructor(options: KafkaReaderOptions, decoder: RecordDecoder) {
    this.#options = options;
    this.#decoder = decoder;
  }

  async open(position: KafkaPosition | undefined): Promise<SourceReader<KafkaPosition>> {
    const offsets = new Map(Object.entries(position?.offsets ?? {}).map(([p, o]) => [Number(p), BigInt(o)]));
    // The Kafka client is loaded by the first source that reads a topic, not by every start.
    const { KafkaReader } = await import('./reader.ts');
    const reader = KafkaReader.open({ ...this.#options, offsets });
    const decoder = this.#decoder;
    const positionOf = (): KafkaPosition => ({
      offsets: Object.fromEntries([...reader.positions()].map(([p, o]) => [String(p), String(o)])),
    });
    return {
      async next(signal: AbortSignal): Promise<SourceBatch<KafkaPosition> | undefined> {
        while (!signal.aborted) {
          const batch = await reader.next(BATCH_MESSAGES, BATCH_BYTES);
          if (batch.messages.length === 0) continue; // waited maxWaitMs: look at the signal again
          const rows: Row[] = [];
          const rejected: DeadLetter[] = [];
          // Each partition is read at its own pace: its rows go as a run of their own.
          const splits: { split: string; rows: number }[] = [];
          let runOf: number | undefined;
          for (const m of batch.messages) {
            const value = m.value ?? new Uint8Array();
            const d = decoder.decode(value);
            if ('row' in d) {
              rows.push(d.row);
              if (m.partition === runOf) (splits[splits.length - 1] as { rows: number }).rows++;
              else {
                splits.push({ split: `partition ${m.partition}`, rows: 1 });
                runOf = m.partition;
              }
            } else
              rejected.push({
                position: `partition ${m.partition} offset ${m.offset}`,
                reason: d.error,
                raw: Buffer.from(value.subarray(0, DEAD_LETTER_BYTES)).toString('utf8'),
              });
          }
          return { rows, rejected, position: positionOf(), splits };
        }
        return undefined;
      },
      status(): SourceStatus {
        const s = reader.status();
        let lag = 0;
        for (const p of s.partitions) lag += Number(p.lag ?? 0n);
        const state =
          s.state === 'retrying' ? 'retrying' : lag > 0 || s.bufferedMessages > 0 ? 'reading' : 'waiting';
        return {
          state,
          lag,
          ...(s.lastError === null || s.state !== 'retrying' ? {} : { error: s.lastError }),
          detail: {
            connection: s.state,
            partitions: s.partitions.map((p) => ({
              partition: p.partition,
              position: p.position === null ? null : Number(p.position),
              highWatermark: p.highWatermark === null ? null : Number(p.highWatermark),
              lag: p.lag === null ? null : Number(p.lag),
            })),
          },
        };
      },
      close: () => reader.close(),
    };
  }
}
