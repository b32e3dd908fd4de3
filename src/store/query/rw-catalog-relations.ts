/**
 * RisingWave's `rw_catalog` relations tidewatch can fill, with RisingWave's columns and types.
 * A source's id is its OID in pg_class.
 *
 * - `rw_sources`: one row per source. As RisingWave shows them, the connector is upper-case
 *   (`KAFKA`, `POSIX_FS`) and format and encode are the names of its enums
 *   (`FORMAT_TYPE_PLAIN`, `ENCODE_TYPE_JSON`); a source without connector (it takes what
 *   tidewatch is given: HTTP, stdin, the generator) has NULL, as has one without a FORMAT
 *   clause. Every source is read once for all the views on it (`is_shared`) and only ever
 *   appended to. What tidewatch does not keep (creation times, cluster versions, ACLs) is NULL.
 */
import type { Value } from '../../sql/types.ts';
import { type CatalogRelation, NAMESPACE_OIDS, ROOT_OID, relation } from './catalog-relation-spec.ts';

/** `{"name": {"type": "plaintext", "value": "…"}}`: options as rw_sources shows them. */
function plaintextOptions(options: Readonly<Record<string, string>>): Value {
  return Object.fromEntries(
    Object.entries(options).map(([name, value]) => [name, { type: 'plaintext', value }]),
  ) as Value;
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
]);
