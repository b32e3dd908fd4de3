/**
 * The Kafka sink: a record per message, as RisingWave's JSON sinks write them — the value is
 * the row as a JSON object, the key the primary key's columns as one (upsert sinks, or a
 * `primary_key` given), a deletion of an upsert sink a tombstone (no value). Headers carry the
 * deduplication key and the lifecycle (`tidewatch-dedup-key`, `tidewatch-status`,
 * `tidewatch-op`). A batch is one produce request acknowledged by all in-sync replicas; a
 * broker that is away is tried again by the delivery, with its backoff.
 */
import { compatibilityPartitioner, type MessageToProduce, Producer } from '@platformatic/kafka';
import { connectionOptions, describeKafkaError } from '../connectors/kafka/client-options.ts';
import type { SinkMessage } from './alert-stream.ts';
import { type PayloadColumn, rowObject } from './payload.ts';
import type { KafkaConfig, SinkType } from './sink-options.ts';
import type { DeliveryResult, SinkTarget } from './target.ts';

export interface KafkaRecordShape {
  readonly type: SinkType;
  /** Column indexes of the record key; empty: no key. */
  readonly key: readonly number[];
}

export class KafkaTarget implements SinkTarget {
  readonly #config: KafkaConfig;
  readonly #columns: readonly PayloadColumn[];
  readonly #shape: KafkaRecordShape;
  readonly #producer: Producer;

  constructor(config: KafkaConfig, columns: readonly PayloadColumn[], shape: KafkaRecordShape, sink: string) {
    this.#config = config;
    this.#columns = columns;
    this.#shape = shape;
    this.#producer = new Producer({
      clientId: config.clientId ?? `tidewatch-sink-${sink}`,
      bootstrapBrokers: [...config.bootstrap],
      ...connectionOptions(config.security),
      timeout: config.timeoutMs,
      connectTimeout: config.timeoutMs,
      retries: 0,
      partitioner: compatibilityPartitioner,
      acks: -1,
    });
  }

  #record(message: SinkMessage): MessageToProduce {
    const keyColumns = this.#shape.key;
    const key =
      keyColumns.length === 0
        ? undefined
        : Buffer.from(
            JSON.stringify(
              rowObject(
                keyColumns.map((i) => message.row[i] ?? null),
                keyColumns.map((i) => this.#columns[i] as PayloadColumn),
              ),
            ),
          );
    const tombstone = this.#shape.type === 'upsert' && message.op === 'delete';
    return {
      topic: this.#config.topic,
      ...(key === undefined ? {} : { key }),
      ...(tombstone ? {} : { value: Buffer.from(JSON.stringify(rowObject(message.row, this.#columns))) }),
      headers: new Map([
        [Buffer.from('tidewatch-dedup-key'), Buffer.from(message.dedupKey)],
        [Buffer.from('tidewatch-status'), Buffer.from(message.status)],
        [Buffer.from('tidewatch-op'), Buffer.from(message.op)],
      ]),
    };
  }

  async deliver(messages: readonly SinkMessage[]): Promise<DeliveryResult> {
    try {
      await this.#producer.send({ messages: messages.map((m) => this.#record(m)), acks: -1 });
      return { delivered: messages.length };
    } catch (e) {
      return {
        delivered: 0,
        failure: {
          retry: true,
          reason: `producing to Kafka topic ${this.#config.topic} at ${this.#config.bootstrap.join(',')}: ${describeKafkaError(e)}`,
        },
      };
    }
  }

  async close(): Promise<void> {
    await this.#producer.close(true).catch(() => undefined);
  }
}
