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
 * - `rw_sinks`: one row per sink, RisingWave's columns: the connector upper-case, `sink_type`
 *   the name of RisingWave's enum (`SINK_TYPE_UPSERT`…), options as rw_sources shows them.
 * - `tidewatch_sinks`: one row per sink — the relation it reads, its delivery's state
 *   (`delivering`, `idle`, `retrying`, `stopped`), messages delivered, changes pending, retries
 *   since the start, dead letters and notifications held back by throttling since its creation,
 *   the last epoch delivered whole and the last error.
 *
 * All but rw_sources change with every batch read or delivered: their tables are refilled at
 * every query that reads them (rw_sinks too, being made from the same list).
 */
import type { Value } from '../../sql/types.ts';
import {
  type CatalogRelation,
  type CatalogRow,
  type CatalogSnapshot,
  NAMESPACE_OIDS,
  ownerIdOf,
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

function sinkRows(s: CatalogSnapshot): CatalogRow[] {
  return s.sinks.map((sink) => ({
    id: sinkOid(s, sink.name),
    name: sink.name,
    schema_id: NAMESPACE_OIDS.public,
    owner: ownerIdOf(s.access, sink.name),
    connector: sink.options.connector?.toUpperCase() ?? '',
    sink_type: sink.sinkType,
    definition: sink.definition,
    connector_props: plaintextOptions(sink.options),
    format_encode_options: sink.format === undefined ? null : plaintextOptions(sink.format.options),
  }));
}

/** A sink's id: after the relations' OIDs, in name order (stable while the catalog is). */
function sinkOid(s: CatalogSnapshot, name: string): number {
  const base = Math.max(0, ...s.relations.map((r) => s.relationOid(r.name)));
  return base + 1 + s.sinks.findIndex((k) => k.name === name);
}

function sinkDeliveries(s: CatalogSnapshot): CatalogRow[] {
  return s.sinks.map((sink) => {
    const d = sink.delivery;
    return {
      sink_id: sinkOid(s, sink.name),
      sink_name: sink.name,
      sink_from: sink.from,
      connector: sink.options.connector ?? null,
      state: d?.state ?? 'stopped',
      delivered: d?.delivered ?? null,
      pending: d?.pending ?? null,
      retries: d?.retries ?? null,
      dead_letters: d?.deadLetters ?? null,
      held_back: d?.heldBack ?? null,
      delivered_epoch: d?.deliveredEpoch ?? null,
      error: d?.lastError ?? null,
    };
  });
}

function viewErrors(s: CatalogSnapshot): CatalogRow[] {
  return s.views.map((v) => ({
    view_id: s.relationOid(v.name),
    view_name: v.name,
    errors: v.errors,
    last_error: v.lastError ?? null,
  }));
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
            owner: ownerIdOf(s.access, r.name),
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
  relation(
    'rw_catalog',
    'tidewatch_view_errors',
    'r',
    'view_id int4, view_name varchar, errors int8, last_error varchar',
    viewErrors,
    'ingestion',
  ),
  relation(
    'rw_catalog',
    'rw_sinks',
    'r',
    `id int4, name varchar, schema_id int4, owner int4, connector varchar, sink_type varchar,
     connection_id int4, definition varchar, acl varchar[], initialized_at timestamptz,
     created_at timestamptz, initialized_at_cluster_version varchar,
     created_at_cluster_version varchar, connector_props jsonb, format_encode_options jsonb`,
    sinkRows,
    'ingestion',
  ),
  relation(
    'rw_catalog',
    'tidewatch_sinks',
    'r',
    `sink_id int4, sink_name varchar, sink_from varchar, connector varchar, state varchar,
     delivered int8, pending int8, retries int8, dead_letters int8, held_back int8,
     delivered_epoch int8, error varchar`,
    sinkDeliveries,
    'ingestion',
  ),
]);
