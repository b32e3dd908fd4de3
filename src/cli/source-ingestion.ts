/**
 * The sources' ingestion as the PostgreSQL endpoint's catalog shows it (rw_kafka_source_metrics,
 * tidewatch_source_ingestion), from what `/api/status` tells of it: the connector-specific
 * figures of a status (`detail`) are read where they have the shape the Kafka and file
 * connectors give them, and left out otherwise.
 */
import type { IngestionStatus } from '../runtime/ingestion.ts';
import type { PartitionProgress, SourceIngestion } from '../store/query/ad-hoc-session.ts';

const isRecord = (v: unknown): v is Readonly<Record<string, unknown>> => typeof v === 'object' && v !== null;
const offset = (v: unknown): number | null => (typeof v === 'number' ? v : null);

function partitionOf(p: unknown): PartitionProgress[] {
  if (!isRecord(p) || typeof p.partition !== 'number') return [];
  return [{ partition: p.partition, position: offset(p.position), highWatermark: offset(p.highWatermark) }];
}

/** One row per ingestion, by source name and then kind. */
export function sourceIngestion(
  fed: Readonly<Record<string, readonly IngestionStatus[]>>,
): SourceIngestion[] {
  const out: SourceIngestion[] = [];
  for (const [source, statuses] of Object.entries(fed))
    for (const s of statuses) {
      const detail = s.detail ?? {};
      out.push({
        source,
        kind: s.kind,
        state: s.state,
        records: s.records,
        rejected: s.rejected,
        ...(s.lag === undefined ? {} : { lag: s.lag }),
        ...(typeof detail.bytesBehind === 'number' ? { bytesBehind: detail.bytesBehind } : {}),
        ...(s.error === undefined ? {} : { error: s.error }),
        ...(Array.isArray(detail.partitions) ? { partitions: detail.partitions.flatMap(partitionOf) } : {}),
      });
    }
  return out.sort((a, b) =>
    a.source !== b.source ? (a.source < b.source ? -1 : 1) : a.kind < b.kind ? -1 : a.kind > b.kind ? 1 : 0,
  );
}
