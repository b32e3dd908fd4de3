/**
 * The PostgreSQL catalog tools introspect (`pg_catalog`, `information_schema`) and
 * RisingWave's `rw_catalog` (rw-catalog-relations.ts), computed from tidewatch's relations,
 * settings and sources' ingestion. Each relation is a column list and a function
 * from a catalog snapshot to rows; the session keeps them as temporary tables
 * (catalog-tables.ts). Everything belongs to database `dev`, schema `public`, user `root`.
 *
 * Choices where tidewatch is not PostgreSQL:
 * - tables and sources are `relkind 'r'` (sources hold retained events and are queried like
 *   tables), materialized views `'m'`;
 * - `information_schema.tables` lists materialized views with `table_type 'MATERIALIZED
 *   VIEW'` and `information_schema.views` lists them too, as RisingWave does;
 * - the catalog's own relations are listed as well (schemas `pg_catalog`,
 *   `information_schema`, `rw_catalog`), as PostgreSQL and RisingWave do;
 * - object identifiers are bigint; arrays of identifiers, ACLs and expressions are NULL.
 */
import type { SqlType, Value } from '../../sql/types.ts';
import { accessRelations, relationAcl } from './access-relations.ts';
import {
  type CatalogColumn,
  type CatalogRelation,
  type CatalogRow,
  type CatalogSnapshot,
  NAMESPACE_OIDS,
  ownerIdOf,
  ownerNameOf,
  ROOT_OID,
  relation,
} from './catalog-relation-spec.ts';
import { informationSchemaType, pgTypeOf, pgTypes } from './pg-types.ts';
import type { CatalogSchema } from './rewrite.ts';
import { rwCatalogRelations } from './rw-catalog-relations.ts';
import { DATABASE, PUBLIC_SCHEMA, type StoredRelation, USER } from './stored-relation.ts';

type Row = CatalogRow;

const DATABASE_OID = 5;
const HEAP_AM = 2;
const DEFAULT_COLLATION = 100;

function relkindOf(r: StoredRelation): string {
  return r.kind === 'materialized view' ? 'm' : 'r';
}

function tableType(r: StoredRelation): string {
  return r.kind === 'materialized view' ? 'MATERIALIZED VIEW' : 'BASE TABLE';
}

/** Every relation the catalog lists: tidewatch's, then the catalog's own. */
interface Listed {
  readonly oid: number;
  readonly name: string;
  readonly namespace: keyof typeof NAMESPACE_OIDS;
  readonly relkind: string;
  readonly columns: readonly CatalogColumn[];
  readonly stored?: StoredRelation;
}

/** OIDs of the catalog's own relations: fixed, below the first user OID (16384). */
const catalogOidBase = 12000;

function listed(s: CatalogSnapshot): Listed[] {
  const out: Listed[] = s.relations.map((r) => ({
    oid: s.relationOid(r.name),
    name: r.name,
    namespace: PUBLIC_SCHEMA,
    relkind: relkindOf(r),
    columns: r.columns,
    stored: r,
  }));
  catalogRelations.forEach((c, i) => {
    out.push({
      oid: catalogOidBase + i,
      name: c.name,
      namespace: c.schema,
      relkind: c.relkind,
      columns: c.columns,
    });
  });
  return out;
}

function numericFacts(t: SqlType): { precision: number | null; radix: number | null; scale: number | null } {
  switch (t.name) {
    case 'int2':
      return { precision: 16, radix: 2, scale: 0 };
    case 'int4':
      return { precision: 32, radix: 2, scale: 0 };
    case 'int8':
      return { precision: 64, radix: 2, scale: 0 };
    case 'float4':
      return { precision: 24, radix: 2, scale: null };
    case 'float8':
      return { precision: 53, radix: 2, scale: null };
    case 'numeric':
      return t.typmod === undefined
        ? { precision: null, radix: 10, scale: null }
        : // the low 11 bits of the typmod's scale, as PostgreSQL's view reads them (-2 → 2046)
          { precision: t.typmod[0], radix: 10, scale: t.typmod[1] & 0x7ff };
    default:
      return { precision: null, radix: null, scale: null };
  }
}

function datetimePrecision(t: SqlType): number | null {
  if (t.name === 'date') return 0;
  if (t.name === 'timestamp' || t.name === 'timestamptz' || t.name === 'time' || t.name === 'interval')
    return 6;
  return null;
}

const isText = (t: SqlType) => t.name === 'varchar' || t.name === 'text';

function attributes(s: CatalogSnapshot): Row[] {
  const out: Row[] = [];
  for (const r of listed(s))
    r.columns.forEach((c, i) => {
      const pt = pgTypeOf(c.type);
      out.push({
        attrelid: r.oid,
        attname: c.name,
        atttypid: pt.oid,
        attstattarget: -1,
        attlen: pt.length,
        attnum: i + 1,
        attndims: c.type.name === 'array' ? 1 : 0,
        attcacheoff: -1,
        // numeric(p, s): ((p << 16) | s) + 4, as PostgreSQL packs it
        atttypmod:
          c.type.typmod === undefined ? -1 : ((c.type.typmod[0] << 16) | (c.type.typmod[1] & 0x7ff)) + 4,
        attbyval: pt.byValue,
        attalign: pt.length === 8 ? 'd' : pt.length === 2 ? 's' : pt.length === 1 ? 'c' : 'i',
        attstorage: pt.length === -1 ? 'x' : 'p',
        attcompression: '',
        attnotnull: false,
        atthasdef: false,
        atthasmissing: false,
        attidentity: '',
        attgenerated: '',
        attisdropped: false,
        attislocal: true,
        attinhcount: 0,
        attcollation: pt.collatable ? DEFAULT_COLLATION : 0,
      });
    });
  return out;
}

function classes(s: CatalogSnapshot): Row[] {
  return listed(s).map((r) => ({
    oid: r.oid,
    relname: r.name,
    relnamespace: NAMESPACE_OIDS[r.namespace],
    reltype: 0,
    reloftype: 0,
    relowner: r.stored === undefined ? ROOT_OID : ownerIdOf(s.access, r.name),
    relam: r.relkind === 'v' ? 0 : HEAP_AM,
    relfilenode: r.relkind === 'v' ? 0 : r.oid,
    reltablespace: 0,
    relpages: 0,
    reltuples: -1,
    relallvisible: 0,
    reltoastrelid: 0,
    relhasindex: false,
    relisshared: false,
    relpersistence: 'p',
    relkind: r.relkind,
    relnatts: r.columns.length,
    relchecks: 0,
    relhasrules: r.relkind === 'v',
    relhastriggers: false,
    relhassubclass: false,
    relrowsecurity: false,
    relforcerowsecurity: false,
    relispopulated: true,
    relreplident: r.relkind === 'v' ? 'n' : 'd',
    relispartition: false,
    relrewrite: 0,
    relfrozenxid: 0,
    relminmxid: 0,
    relacl: (r.stored === undefined ? undefined : relationAcl(s.access, r.name, r.stored.kind)) ?? null,
  }));
}

function informationTables(s: CatalogSnapshot): Row[] {
  return listed(s).map((r) => ({
    table_catalog: DATABASE,
    table_schema: r.namespace,
    table_name: r.name,
    table_type: r.stored !== undefined ? tableType(r.stored) : r.relkind === 'v' ? 'VIEW' : 'BASE TABLE',
    is_insertable_into: r.stored?.kind === 'table' ? 'YES' : 'NO',
    is_typed: 'NO',
  }));
}

function informationColumns(s: CatalogSnapshot): Row[] {
  const out: Row[] = [];
  for (const r of listed(s))
    r.columns.forEach((c, i) => {
      const pt = pgTypeOf(c.type);
      const n = numericFacts(c.type);
      out.push({
        table_catalog: DATABASE,
        table_schema: r.namespace,
        table_name: r.name,
        column_name: c.name,
        ordinal_position: i + 1,
        column_default: null,
        is_nullable: 'YES',
        data_type: informationSchemaType(c.type),
        character_maximum_length: null,
        character_octet_length: isText(c.type) ? 1073741824 : null,
        numeric_precision: n.precision,
        numeric_precision_radix: n.radix,
        numeric_scale: n.scale,
        datetime_precision: datetimePrecision(c.type),
        collation_catalog: null,
        udt_catalog: DATABASE,
        udt_schema: 'pg_catalog',
        udt_name: pt.name,
        dtd_identifier: String(i + 1),
        is_self_referencing: 'NO',
        is_identity: 'NO',
        identity_cycle: 'NO',
        is_generated: 'NEVER',
        is_updatable: r.stored?.kind === 'table' ? 'YES' : 'NO',
      });
    });
  return out;
}

const views = (s: CatalogSnapshot) => s.relations.filter((r) => r.kind === 'materialized view');

const postgresRelations: readonly CatalogRelation[] = [
  relation('pg_catalog', 'pg_namespace', 'r', 'oid oid, nspname name, nspowner oid, nspacl text[]', () =>
    Object.entries(NAMESPACE_OIDS).map(([nspname, oid]) => ({ oid, nspname, nspowner: ROOT_OID })),
  ),
  relation(
    'pg_catalog',
    'pg_class',
    'r',
    `oid oid, relname name, relnamespace oid, reltype oid, reloftype oid, relowner oid, relam oid,
     relfilenode oid, reltablespace oid, relpages int4, reltuples float4, relallvisible int4,
     reltoastrelid oid, relhasindex bool, relisshared bool, relpersistence char, relkind char,
     relnatts int2, relchecks int2, relhasrules bool, relhastriggers bool, relhassubclass bool,
     relrowsecurity bool, relforcerowsecurity bool, relispopulated bool, relreplident char,
     relispartition bool, relrewrite oid, relfrozenxid int8, relminmxid int8, relacl text[],
     reloptions text[], relpartbound text`,
    classes,
  ),
  relation(
    'pg_catalog',
    'pg_attribute',
    'r',
    `attrelid oid, attname name, atttypid oid, attstattarget int4, attlen int2, attnum int2,
     attndims int4, attcacheoff int4, atttypmod int4, attbyval bool, attalign char, attstorage char,
     attcompression char, attnotnull bool, atthasdef bool, atthasmissing bool, attidentity char,
     attgenerated char, attisdropped bool, attislocal bool, attinhcount int4, attcollation oid,
     attacl text[], attoptions text[], attfdwoptions text[], attmissingval text`,
    attributes,
  ),
  relation(
    'pg_catalog',
    'pg_type',
    'r',
    `oid oid, typname name, typnamespace oid, typowner oid, typlen int2, typbyval bool, typtype char,
     typcategory char, typispreferred bool, typisdefined bool, typdelim char, typrelid oid,
     typsubscript text, typelem oid, typarray oid, typinput text, typoutput text, typreceive text,
     typsend text, typmodin text, typmodout text, typanalyze text, typalign char, typstorage char,
     typnotnull bool, typbasetype oid, typtypmod int4, typndims int4, typcollation oid,
     typdefaultbin text, typdefault text, typacl text[]`,
    () =>
      pgTypes.map((t) => ({
        oid: t.oid,
        typname: t.name,
        typnamespace: NAMESPACE_OIDS.pg_catalog as number,
        typowner: ROOT_OID,
        typlen: t.length,
        typbyval: t.byValue,
        typtype: t.name === 'unknown' ? 'p' : 'b',
        typcategory: t.category,
        typispreferred:
          t.name === 'text' || t.name === 'float8' || t.name === 'timestamptz' || t.name === 'bool',
        typisdefined: true,
        typdelim: ',',
        typrelid: 0,
        typsubscript: t.element !== 0 ? 'array_subscript_handler' : '-',
        typelem: t.element,
        typarray: t.array,
        typinput: `${t.element !== 0 ? 'array' : t.name}_in`,
        typoutput: `${t.element !== 0 ? 'array' : t.name}_out`,
        typalign: t.length === 8 ? 'd' : t.length === 2 ? 's' : t.length === 1 ? 'c' : 'i',
        typstorage: t.length === -1 ? 'x' : 'p',
        typnotnull: false,
        typbasetype: 0,
        typtypmod: -1,
        typndims: 0,
        typcollation: t.collatable ? DEFAULT_COLLATION : 0,
      })),
  ),
  relation(
    'pg_catalog',
    'pg_database',
    'r',
    `oid oid, datname name, datdba oid, encoding int4, datlocprovider char, datistemplate bool,
     datallowconn bool, datconnlimit int4, datfrozenxid int8, datminmxid int8, dattablespace oid,
     datcollate text, datctype text, daticulocale text, datcollversion text, datacl text[]`,
    () => [
      {
        oid: DATABASE_OID,
        datname: DATABASE,
        datdba: ROOT_OID,
        encoding: 6,
        datlocprovider: 'c',
        datistemplate: false,
        datallowconn: true,
        datconnlimit: -1,
        dattablespace: 1663,
        datcollate: 'C',
        datctype: 'C.UTF-8',
      },
    ],
  ),
  relation(
    'pg_catalog',
    'pg_settings',
    'v',
    `name text, setting text, unit text, category text, short_desc text, extra_desc text,
     context text, vartype text, source text, min_val text, max_val text, enumvals text[],
     boot_val text, reset_val text, sourcefile text, sourceline int4, pending_restart bool`,
    (s) =>
      s.settings.map((x) => ({
        name: x.name,
        setting: x.setting,
        category: 'tidewatch',
        context: 'user',
        vartype: 'string',
        source: 'default',
        boot_val: x.setting,
        reset_val: x.setting,
        pending_restart: false,
      })),
    'session',
  ),
  relation(
    'pg_catalog',
    'pg_tables',
    'v',
    `schemaname name, tablename name, tableowner name, tablespace name, hasindexes bool,
     hasrules bool, hastriggers bool, rowsecurity bool`,
    (s) =>
      s.relations
        .filter((r) => r.kind !== 'materialized view')
        .map((r) => ({
          schemaname: PUBLIC_SCHEMA,
          tablename: r.name,
          tableowner: ownerNameOf(s.access, r.name),
          hasindexes: false,
          hasrules: false,
          hastriggers: false,
          rowsecurity: false,
        })),
  ),
  relation('pg_catalog', 'pg_views', 'v', 'schemaname name, viewname name, viewowner name, definition text'),
  relation(
    'pg_catalog',
    'pg_matviews',
    'v',
    `schemaname name, matviewname name, matviewowner name, tablespace name, hasindexes bool,
     ispopulated bool, definition text`,
    (s) =>
      views(s).map((r) => ({
        schemaname: PUBLIC_SCHEMA,
        matviewname: r.name,
        matviewowner: ownerNameOf(s.access, r.name),
        hasindexes: false,
        ispopulated: true,
        definition: r.definition ?? null,
      })),
  ),
  relation(
    'pg_catalog',
    'pg_index',
    'r',
    `indexrelid oid, indrelid oid, indnatts int2, indnkeyatts int2, indisunique bool,
     indnullsnotdistinct bool, indisprimary bool, indisexclusion bool, indimmediate bool,
     indisclustered bool, indisvalid bool, indcheckxmin bool, indisready bool, indislive bool,
     indisreplident bool, indkey int2[], indcollation oid[], indclass oid[], indoption int2[],
     indexprs text, indpred text`,
  ),
  relation(
    'pg_catalog',
    'pg_indexes',
    'v',
    'schemaname name, tablename name, indexname name, tablespace name, indexdef text',
  ),
  relation(
    'pg_catalog',
    'pg_proc',
    'r',
    `oid oid, proname name, pronamespace oid, proowner oid, prolang oid, procost float4, prorows float4,
     provariadic oid, prosupport text, prokind char, prosecdef bool, proleakproof bool,
     proisstrict bool, proretset bool, provolatile char, proparallel char, pronargs int2,
     pronargdefaults int2, prorettype oid, proargtypes oid[], proallargtypes oid[],
     proargmodes char[], proargnames text[], proargdefaults text, protrftypes oid[], prosrc text,
     probin text, prosqlbody text, proconfig text[], proacl text[]`,
  ),
  relation('pg_catalog', 'pg_description', 'r', 'objoid oid, classoid oid, objsubid int4, description text'),
  relation(
    'pg_catalog',
    'pg_extension',
    'r',
    `oid oid, extname name, extowner oid, extnamespace oid, extrelocatable bool, extversion text,
     extconfig oid[], extcondition text[]`,
  ),
  relation('pg_catalog', 'pg_am', 'r', 'oid oid, amname name, amhandler text, amtype char', () => [
    { oid: HEAP_AM, amname: 'heap', amhandler: 'heap_tableam_handler', amtype: 't' },
    { oid: 403, amname: 'btree', amhandler: 'bthandler', amtype: 'i' },
  ]),
  relation('pg_catalog', 'pg_attrdef', 'r', 'oid oid, adrelid oid, adnum int2, adbin text'),
  relation(
    'pg_catalog',
    'pg_collation',
    'r',
    `oid oid, collname name, collnamespace oid, collowner oid, collprovider char,
     collisdeterministic bool, collencoding int4, collcollate text, collctype text,
     colliculocale text, collversion text`,
    () =>
      [
        [DEFAULT_COLLATION, 'default', 'd', null, null],
        [950, 'C', 'c', 'C', 'C'],
        [951, 'POSIX', 'c', 'POSIX', 'POSIX'],
      ].map(([oid, collname, collprovider, collcollate, collctype]) => ({
        oid,
        collname,
        collnamespace: NAMESPACE_OIDS.pg_catalog as number,
        collowner: ROOT_OID,
        collprovider,
        collisdeterministic: true,
        collencoding: -1,
        collcollate,
        collctype,
      })) as Row[],
  ),
  relation(
    'pg_catalog',
    'pg_constraint',
    'r',
    `oid oid, conname name, connamespace oid, contype char, condeferrable bool, condeferred bool,
     convalidated bool, conrelid oid, contypid oid, conindid oid, conparentid oid, confrelid oid,
     confupdtype char, confdeltype char, confmatchtype char, conislocal bool, coninhcount int4,
     connoinherit bool, conkey int2[], confkey int2[], conbin text`,
  ),
  relation(
    'pg_catalog',
    'pg_inherits',
    'r',
    'inhrelid oid, inhparent oid, inhseqno int4, inhdetachpending bool',
  ),
  relation(
    'pg_catalog',
    'pg_policy',
    'r',
    'oid oid, polname name, polrelid oid, polcmd char, polpermissive bool, polroles oid[], polqual text, polwithcheck text',
  ),
  relation(
    'pg_catalog',
    'pg_statistic_ext',
    'r',
    `oid oid, stxrelid oid, stxname name, stxnamespace oid, stxowner oid, stxstattarget int4,
     stxkeys int2[], stxkind char[], stxexprs text`,
  ),
  relation(
    'pg_catalog',
    'pg_publication',
    'r',
    `oid oid, pubname name, pubowner oid, puballtables bool, pubinsert bool, pubupdate bool,
     pubdelete bool, pubtruncate bool, pubviaroot bool`,
  ),
  relation('pg_catalog', 'pg_publication_namespace', 'r', 'oid oid, pnpubid oid, pnnspid oid'),
  relation(
    'pg_catalog',
    'pg_publication_rel',
    'r',
    'oid oid, prpubid oid, prrelid oid, prqual text, prattrs int2[]',
  ),
  relation(
    'pg_catalog',
    'pg_rewrite',
    'r',
    `oid oid, rulename name, ev_class oid, ev_type char, ev_enabled char, is_instead bool,
     ev_qual text, ev_action text`,
  ),
  relation(
    'pg_catalog',
    'pg_trigger',
    'r',
    `oid oid, tgrelid oid, tgparentid oid, tgname name, tgfoid oid, tgtype int2, tgenabled char,
     tgisinternal bool, tgconstrrelid oid, tgconstrindid oid, tgconstraint oid, tgdeferrable bool,
     tginitdeferred bool, tgnargs int2, tgattr int2[], tgargs text, tgqual text,
     tgoldtable name, tgnewtable name`,
  ),
  relation(
    'pg_catalog',
    'pg_tablespace',
    'r',
    'oid oid, spcname name, spcowner oid, spcacl text[], spcoptions text[]',
    () => [
      { oid: 1663, spcname: 'pg_default', spcowner: ROOT_OID },
      { oid: 1664, spcname: 'pg_global', spcowner: ROOT_OID },
    ],
  ),
  relation(
    'information_schema',
    'schemata',
    'v',
    `catalog_name name, schema_name name, schema_owner name, default_character_set_catalog name,
     default_character_set_schema name, default_character_set_name name, sql_path text`,
    () =>
      Object.keys(NAMESPACE_OIDS).map((schema_name) => ({
        catalog_name: DATABASE,
        schema_name,
        schema_owner: USER,
      })),
  ),
  relation(
    'information_schema',
    'tables',
    'v',
    `table_catalog name, table_schema name, table_name name, table_type text,
     self_referencing_column_name name, reference_generation text, user_defined_type_catalog name,
     user_defined_type_schema name, user_defined_type_name name, is_insertable_into text,
     is_typed text, commit_action text`,
    informationTables,
  ),
  relation(
    'information_schema',
    'columns',
    'v',
    `table_catalog name, table_schema name, table_name name, column_name name,
     ordinal_position int4, column_default text, is_nullable text, data_type text,
     character_maximum_length int4, character_octet_length int4, numeric_precision int4,
     numeric_precision_radix int4, numeric_scale int4, datetime_precision int4, interval_type text,
     interval_precision int4, character_set_catalog name, character_set_schema name,
     character_set_name name, collation_catalog name, collation_schema name, collation_name name,
     domain_catalog name, domain_schema name, domain_name name, udt_catalog name, udt_schema name,
     udt_name name, scope_catalog name, scope_schema name, scope_name name,
     maximum_cardinality int4, dtd_identifier name, is_self_referencing text, is_identity text,
     identity_generation text, identity_start text, identity_increment text, identity_maximum text,
     identity_minimum text, identity_cycle text, is_generated text, generation_expression text,
     is_updatable text`,
    informationColumns,
  ),
  relation(
    'information_schema',
    'views',
    'v',
    `table_catalog name, table_schema name, table_name name, view_definition text,
     check_option text, is_updatable text, is_insertable_into text, is_trigger_updatable text,
     is_trigger_deletable text, is_trigger_insertable_into text`,
    (s) =>
      views(s).map((r) => ({
        table_catalog: DATABASE,
        table_schema: PUBLIC_SCHEMA,
        table_name: r.name,
        view_definition: r.definition ?? null,
        check_option: 'NONE',
        is_updatable: 'NO',
        is_insertable_into: 'NO',
        is_trigger_updatable: 'NO',
        is_trigger_deletable: 'NO',
        is_trigger_insertable_into: 'NO',
      })),
  ),
];

/** PostgreSQL's catalog relations, then RisingWave's (their OIDs follow this order). */
export const catalogRelations: readonly CatalogRelation[] = Object.freeze([
  ...postgresRelations,
  ...rwCatalogRelations,
  ...accessRelations,
]);

const bySchemaAndName = new Map(catalogRelations.map((c) => [`${c.schema}.${c.name}`, c]));

export function findCatalogRelation(schema: CatalogSchema, name: string): CatalogRelation | undefined {
  return bySchemaAndName.get(`${schema}.${name}`);
}

/** A row as values in column order, absent columns NULL. */
export function rowValues(rel: CatalogRelation, row: Row): Value[] {
  return rel.columns.map((c) => row[c.name] ?? null);
}
