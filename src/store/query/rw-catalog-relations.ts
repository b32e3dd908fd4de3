/**
 * RisingWave's `rw_catalog` relations tidewatch can fill, with RisingWave's columns and types,
 * and one of tidewatch's own. A source's id is its OID in pg_class.
 *
 * - `rw_sources`: one row per source. As RisingWave shows them, the connector is upper-case
 *   (`KAFKA`, `POSIX_FS`) and format and encode are the names of its enums
 *   (`FORMAT_TYPE_PLAIN`, `ENCODE_TYPE_JSON`); a source without connector (it takes what
 *   tidewatch is given: HTTP, stdin, the generator) has NULL, as has one without a FORMAT
 *   clause. Every source is read once for all the views on it (`is_shared`) and only ever
 *   appended to. What tidewatch does not keep (creation times, cluster versions, ACLs) is NULL.
 * - `rw_kafka_source_metrics`: one row per partition of each Kafka source, as its reader last
 *   saw it: `high_watermark` is the broker's end of the partition (the offset the next message
 *   written gets), `latest_offset` the last offset consumed (NULL before the first), so that
 *   RisingWave's lag, `high_watermark - latest_offset - 1`, is the messages not read yet.
 * - `tidewatch_source_ingestion`: one row per ingestion of a source — its connector (kafka,
 *   file) or its durable log (log: HTTP posts, stdin, the generator) — as `/api/status` tells
 *   it: state, records and rejected units (dead letters) since the start, records behind (`lag`)
 *   where the input can tell, bytes behind for followed files, the last error.
 *
 * The last two change with every batch read: their tables are refilled at every query that
 * reads them.
 */
import type { Value } from '../../sql/types.ts';
import {
  type CatalogRelation,
  type CatalogRow,
  type CatalogSnapshot,
  NAMESPACE_OIDS,
  ROOT_OID,
  relation,
} from './catalog-relation-spec.ts';

/** `{"name": {"type": "plaintext", "value": "…"}}`: options as rw_sources shows them. */
function plaintextOptions(options: Readonly<Record<string, string>>): Value {
  return Object.fromEntries(
    Object.entries(options).map(([name, value]) => [name, { type: 'plaintext', value }]),
  ) as Value;
}

function kafkaPartitions(s: CatalogSnapshot): CatalogRow[] {
  return s.ingestion.flatMap((fed) =>
    fed.kind !== 'kafka'
      ? []
      : (fed.partitions ?? []).map((p) => ({
          source_id: s.relationOid(fed.source),
          partition_id: String(p.partition),
          high_watermark: p.highWatermark,
          latest_offset: p.position === null || p.position === 0 ? null : p.position - 1,
        })),
  );
}

function ingestions(s: CatalogSnapshot): CatalogRow[] {
  return s.ingestion.map((fed) => ({
    source_id: s.relationOid(fed.source),
    source_name: fed.source,
    kind: fed.kind,
    state: fed.state,
    records: fed.records,
    rejected: fed.rejected,
    lag: fed.lag ?? null,
    bytes_behind: fed.bytesBehind ?? null,
    error: fed.error ?? null,
  }));
}

export const rwCatalogRelations: readonly CatalogRelation[] = Object.freeze([
  relation(
    'rw_catalog',
    'rw_sources',
    'r',
    `id int4, name varchar, schema_id int4, owner int4, connector varchar, columns varchar[],
     format varchar, row_encode varchar, append_only bool, associated_table_id int4,
     connection_id int4, definition varchar, acl varchar[], initialized_at timestamptz,
     created_at timestamptz, initialized_at_cluster_version varchar,
     created_at_cluster_version varchar, is_shared bool, connector_props jsonb,
     format_encode_options jsonb`,
    (s) =>
      s.relations
        .filter((r) => r.kind === 'source' && r.source !== undefined)
        .map((r) => {
          const { options, format } = r.source ?? { options: {} };
          return {
            id: s.relationOid(r.name),
            name: r.name,
            schema_id: NAMESPACE_OIDS.public,
            owner: ROOT_OID,
            connector: options.connector?.toUpperCase() ?? null,
            columns: r.columns.map((c) => c.name),
            format: format === undefined ? null : `FORMAT_TYPE_${format.format}`,
            row_encode: format === undefined ? null : `ENCODE_TYPE_${format.encode}`,
            append_only: true,
            definition: r.definition ?? null,
            is_shared: true,
            connector_props: plaintextOptions(options),
            format_encode_options: plaintextOptions(format?.options ?? {}),
          };
        }),
  ),
  relation(
    'rw_catalog',
    'rw_kafka_source_metrics',
    'r',
    'source_id int4, partition_id varchar, high_watermark int8, latest_offset int8',
    kafkaPartitions,
    'ingestion',
  ),
  relation(
    'rw_catalog',
    'tidewatch_source_ingestion',
    'r',
    `source_id int4, source_name varchar, kind varchar, state varchar, records int8,
     rejected int8, lag int8, bytes_behind int8, error varchar`,
    ingestions,
    'ingestion',
  ),
]);
