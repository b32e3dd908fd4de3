/**
 * The few Kafka calls the reader makes (Metadata, ListOffsets, Fetch), over @platformatic/kafka's
 * Consumer used as a plain client: no group is joined, nothing is fetched unless asked, and the
 * client's own retries are off (the reader retries, with its backoff, and reports).
 */
import { Consumer, type RecordsBatch } from '@platformatic/kafka';
import { connectionOptions, type KafkaSecurity } from './client-options.ts';

export interface PartitionInfo {
  readonly partition: number;
  /** The leader's broker id; -1 while the partition has none. */
  readonly leader: number;
}

export interface FetchRequestPartition {
  readonly partition: number;
  readonly offset: bigint;
  readonly maxBytes: number;
}

export interface FetchedPartition {
  readonly partition: number;
  /** 0, or a Kafka error code (1 OFFSET_OUT_OF_RANGE, 6 NOT_LEADER_OR_FOLLOWER, …). */
  readonly errorCode: number;
  readonly highWatermark: bigint;
  readonly logStartOffset: bigint;
  readonly batches: readonly RecordsBatch[];
}

/** Thrown by `partitions` when the cluster does not know the topic. */
export class UnknownTopicError extends Error {
  override readonly name = 'UnknownTopicError';
}

export interface ReaderClient {
  /** The topic's partitions, from fresh metadata. */
  partitions(topic: string): Promise<PartitionInfo[]>;
  /** ListOffsets: -2n earliest, -1n latest, else the first offset with a timestamp ≥ it (-1n: none). */
  offsets(topic: string, partitions: readonly number[], timestamp: bigint): Promise<Map<number, bigint>>;
  /** One Fetch request to broker `node`; partition errors come back in the result, not thrown. */
  fetch(
    node: number,
    topic: string,
    partitions: readonly FetchRequestPartition[],
    maxBytes: number,
    maxWaitMs: number,
  ): Promise<FetchedPartition[]>;
  /**
   * Commits offsets to consumer group `group` without joining it (generation -1, as a consumer
   * that assigns its own partitions does), for tools that watch a group's lag.
   */
  commit(group: string, topic: string, offsets: ReadonlyMap<number, bigint>): Promise<void>;
  close(): Promise<void>;
}

export interface ClientSettings {
  readonly bootstrap: readonly string[];
  readonly clientId: string;
  readonly security: KafkaSecurity;
  /** How long one request may take beyond the fetch's own wait. */
  readonly requestTimeoutMs: number;
  readonly maxWaitMs: number;
}

const UNKNOWN_TOPIC_OR_PARTITION = 3;

export function platformaticClient(settings: ClientSettings): ReaderClient {
  const consumer = new Consumer({
    clientId: settings.clientId,
    groupId: settings.clientId,
    bootstrapBrokers: [...settings.bootstrap],
    ...connectionOptions(settings.security),
    retries: 0,
    timeout: settings.requestTimeoutMs + settings.maxWaitMs,
    connectTimeout: settings.requestTimeoutMs,
    requestTimeout: settings.requestTimeoutMs + settings.maxWaitMs,
    // Read what is written, transactional or not (aborted transactions are not filtered out).
    isolationLevel: 0,
  });
  const topicIds = new Map<string, string>();
  const committers = new Map<string, Consumer>();

  return {
    async partitions(topic) {
      consumer.topics.track(topic);
      let metadata: Awaited<ReturnType<typeof consumer.metadata>>;
      try {
        metadata = await consumer.metadata({ topics: [topic], forceUpdate: true });
      } catch (error) {
        if (hasErrorCode(error, UNKNOWN_TOPIC_OR_PARTITION))
          throw new UnknownTopicError(`topic ${topic} does not exist`);
        throw error;
      }
      const found = metadata.topics.get(topic);
      if (found === undefined || found.partitionsCount === 0)
        throw new UnknownTopicError(`topic ${topic} does not exist`);
      topicIds.set(topic, found.id);
      return found.partitions.map((p, partition) => ({ partition, leader: p.leader }));
    },

    async offsets(topic, partitions, timestamp) {
      const answer = await consumer.listOffsetsWithTimestamps({
        topics: [topic],
        partitions: { [topic]: [...partitions] },
        timestamp,
      });
      const result = new Map<number, bigint>();
      for (const [partition, { offset }] of answer.get(topic) ?? []) result.set(partition, offset);
      return result;
    },

    async fetch(node, topic, partitions, maxBytes, maxWaitMs) {
      const request = {
        node,
        maxBytes,
        minBytes: 1,
        maxWaitTime: Math.max(0, Math.round(maxWaitMs)),
        topics: [
          {
            topicId: topicIds.get(topic) ?? topic,
            partitions: partitions.map((p) => ({
              partition: p.partition,
              currentLeaderEpoch: -1,
              fetchOffset: p.offset,
              lastFetchedEpoch: -1,
              partitionMaxBytes: p.maxBytes,
            })),
          },
        ],
      };
      let response: Awaited<ReturnType<typeof consumer.fetch>>;
      try {
        response = await consumer.fetch(request);
      } catch (error) {
        // A partition's error fails the whole call; its response (with the other partitions' data) is kept.
        const partial = (error as { response?: typeof response }).response;
        if (partial?.responses === undefined) throw error;
        response = partial;
      }
      const result: FetchedPartition[] = [];
      for (const t of response.responses) {
        for (const p of t.partitions) {
          result.push({
            partition: p.partitionIndex,
            errorCode: p.errorCode,
            highWatermark: p.highWatermark,
            logStartOffset: p.logStartOffset,
            batches: p.records ?? [],
          });
        }
      }
      return result;
    },

    async commit(group, topic, offsets) {
      let committer = committers.get(group);
      if (committer === undefined) {
        committer = new Consumer({
          clientId: settings.clientId,
          groupId: group,
          bootstrapBrokers: [...settings.bootstrap],
          ...connectionOptions(settings.security),
          retries: 0,
          timeout: settings.requestTimeoutMs,
          connectTimeout: settings.requestTimeoutMs,
        });
        // Not a member of the group: Kafka takes such commits from a consumer that assigns its own partitions.
        committer.generationId = -1;
        committer.memberId = '';
        committers.set(group, committer);
      }
      await committer.commit({
        offsets: [...offsets].map(([partition, offset]) => ({ topic, partition, offset, leaderEpoch: -1 })),
      });
    },

    async close() {
      await Promise.all([consumer, ...committers.values()].map((c) => c.close(true)));
    },
  };
}

function hasErrorCode(error: unknown, code: number): boolean {
  if (!(error instanceof Error)) return false;
  if ((error as { apiCode?: unknown }).apiCode === code) return true;
  const nested = (error as { errors?: unknown }).errors;
  return Array.isArray(nested) && nested.some((e) => hasErrorCode(e, code));
}
