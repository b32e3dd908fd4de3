/**
 * The generator's records produced to a Kafka topic, as the reference system's first step
 * does: one NDJSON record (without its newline) per message value, keyed by the record's
 * `ip_address`, so that everything one client address does lands in one partition in the order
 * it happened (brute force, scans and floods are per address; a user who changes address, as in
 * account takeover, spreads over partitions). Partitions are chosen as Java's default
 * partitioner does (murmur2 of the key), so other producers of the same keys agree.
 *
 * Records go in produce requests of `batchSize`, one request at a time, each acknowledged by
 * the partition's in-sync replicas (acks=all) before `write` returns: the generator is paced by
 * the broker. A broker that goes away is retried with exponential backoff (0.2 s doubling to
 * 5 s) for `retryForMs`, then the write fails with a KafkaProduceError. A retried request whose
 * acknowledgement was lost may be written twice (at least once, as any non-idempotent producer).
 * The message timestamp is the time of producing; the event time is in the value.
 */
import { compatibilityPartitioner, type MessageToProduce, Producer } from '@platformatic/kafka';
import type { RecordOutput } from '../../generator/drive.ts';
import { type LogRecord, toJsonLine } from '../../generator/record.ts';
import { connectionOptions, describeKafkaError, type KafkaSecurity, PLAINTEXT } from './client-options.ts';

/** Producing failed for good: the broker is unreachable, the topic missing, or retries ran out. */
export class KafkaProduceError extends Error {
  override readonly name = 'KafkaProduceError';
}

export interface KafkaRecordOutputOptions {
  readonly bootstrap: readonly string[];
  readonly topic: string;
  readonly clientId?: string;
  /** Records per produce request (default 500). */
  readonly batchSize?: number;
  readonly security?: KafkaSecurity;
  /** How long a request keeps being retried while the broker is away (default 30 s). */
  readonly retryForMs?: number;
  /** How long a broker has to answer one request (default 5 s). */
  readonly requestTimeoutMs?: number;
  /** Told before each retry. */
  readonly onRetry?: (attempt: number, delayMs: number, reason: string) => void;
}

const FIRST_DELAY_MS = 200;
const MAX_DELAY_MS = 5000;

/** The delay before retry `attempt` (1, 2, …): 0.2 s doubling, at most 5 s. */
export function backoffMs(attempt: number, firstMs = FIRST_DELAY_MS, maxMs = MAX_DELAY_MS): number {
  return Math.min(maxMs, firstMs * 2 ** Math.max(0, attempt - 1));
}

/** How many retries the backoff fits into `budgetMs`. */
function retriesWithin(budgetMs: number): number {
  let retries = 0;
  let spent = 0;
  while (spent < budgetMs) {
    retries++;
    spent += backoffMs(retries);
  }
  return retries;
}

/**
 * Connects, checks that the topic exists, and returns the output. Throws a KafkaProduceError
 * when no broker answers (after two quick tries) or the topic is not there.
 */
export async function openKafkaRecordOutput(options: KafkaRecordOutputOptions): Promise<RecordOutput> {
  const { topic } = options;
  const batchSize = options.batchSize ?? 500;
  if (!(Number.isInteger(batchSize) && batchSize > 0))
    throw new Error(`Kafka batch size must be a positive integer, got ${batchSize}`);
  const where = `${topic} at ${options.bootstrap.join(',')}`;
  const retryForMs = options.retryForMs ?? 30_000;
  const producer = new Producer({
    clientId: options.clientId ?? 'tidewatch-generate',
    bootstrapBrokers: [...options.bootstrap],
    ...connectionOptions(options.security ?? PLAINTEXT),
    timeout: options.requestTimeoutMs ?? 5000,
    connectTimeout: options.requestTimeoutMs ?? 5000,
    retries: retriesWithin(retryForMs),
    retryDelay: (_client, _operation, attempt, _retries, error) => {
      const delay = backoffMs(attempt);
      options.onRetry?.(attempt, delay, describeKafkaError(error));
      return delay;
    },
    partitioner: compatibilityPartitioner,
    acks: -1,
  });

  try {
    const metadata = await producer.metadata({ topics: [topic], retries: 1 });
    const found = metadata.topics.get(topic);
    if (found === undefined || found.partitionsCount === 0)
      throw new KafkaProduceError(`Kafka topic ${where} does not exist`);
  } catch (error) {
    await producer.close(true).catch(() => undefined);
    if (error instanceof KafkaProduceError) throw error;
    throw new KafkaProduceError(`cannot reach Kafka topic ${where}: ${describeKafkaError(error)}`);
  }

  let acknowledged = 0;
  const send = async (messages: MessageToProduce[]): Promise<void> => {
    try {
      await producer.send({ messages, acks: -1 });
    } catch (error) {
      throw new KafkaProduceError(
        `producing to Kafka topic ${where} failed (${acknowledged} records acknowledged before): ${describeKafkaError(error)}`,
      );
    }
    acknowledged += messages.length;
  };

  return {
    async write(batch: readonly LogRecord[]) {
      for (let start = 0; start < batch.length; start += batchSize) {
        const messages: MessageToProduce[] = [];
        for (const record of batch.slice(start, start + batchSize)) {
          messages.push({
            topic,
            key: Buffer.from(record.ip_address),
            value: Buffer.from(toJsonLine(record)),
          });
        }
        await send(messages);
      }
    },
    async close() {
      await producer.close(true);
    },
  };
}
