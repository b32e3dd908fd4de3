/**
 * How a catalog relation is defined: a column list written as `'oid oid, relname name'`, a
 * function from a catalog snapshot to rows, and what its rows change with, which decides when
 * its table is refilled (catalog-tables.ts). Also the namespaces and the owner every catalog
 * relation refers to.
 */
import { arrayOf, type SqlType, T, type Value } from '../../sql/types.ts';
import type { CatalogSchema } from './rewrite.ts';
import type { StoredRelation } from './stored-relation.ts';

export interface CatalogColumn {
  readonly name: string;
  readonly type: SqlType;
}

export interface CatalogSetting {
  readonly name: string;
  readonly setting: string;
}

/** One Kafka partition a source reads, as its reader last saw it. */
export interface PartitionProgress {
  readonly partition: number;
  /** Offset of the next message to read; null until the start is resolved. */
  readonly position: number | null;
  /** The broker's end of the partition (offset of the next message written); null before the first fetch. */
  readonly highWatermark: number | null;
}

/** How one ingestion of a source (its connector, or its durable log) is doing now. */
export interface SourceIngestion {
  readonly source: string;
  /** `kafka`, `file`, `log`. */
  readonly kind: string;
  /** `reading`, `waiting`, `retrying`, `ended`, `failed`. */
  readonly state: string;
  /** Records pushed into the engine by this process. */
  readonly records: number;
  /** Units rejected into the dead letters by this process. */
  readonly rejected: number;
  /** Records in the input not read yet, where the connector can tell. */
  readonly lag?: number;
  /** Bytes of the followed files not read yet (file sources). */
  readonly bytesBehind?: number;
  readonly error?: string;
  /** Kafka sources: every partition of the topic. */
  readonly partitions?: readonly PartitionProgress[];
}

/** A sink as the catalog shows it: its definition, and how its delivery is doing. */
export interface CatalogSink {
  readonly name: string;
  /** The table or view it reads. */
  readonly from: string;
  readonly definition: string;
  /** Its `WITH (…)` options, names lower-case. */
  readonly options: Readonly<Record<string, string>>;
  readonly format?: {
    readonly format: string;
    readonly encode: string;
    readonly options: Readonly<Record<string, string>>;
  };
  /** RisingWave's name of its type: `SINK_TYPE_APPEND_ONLY`, `SINK_TYPE_FORCE_APPEND_ONLY`, `SINK_TYPE_UPSERT`. */
  readonly sinkType: string;
  /** Its delivery now; undefined while it does not run. */
  readonly delivery?: {
    readonly state: string;
    readonly delivered: number;
    readonly pending: number;
    readonly retries: number;
    readonly deadLetters: number;
    readonly heldBack: number;
    readonly deliveredEpoch: number | null;
    readonly lastError?: string;
  };
}

/** How a materialized view is running: the expression errors it met (NULL in their rows). */
export interface ViewRuntime {
  readonly name: string;
  readonly errors: number;
  readonly lastError?: string;
}

/** What changes while tidewatch runs, read again at every query of a relation made of it. */
export interface LiveState {
  readonly ingestion?: () => readonly SourceIngestion[] | Promise<readonly SourceIngestion[]>;
  readonly sinks?: () => readonly CatalogSink[] | Promise<readonly CatalogSink[]>;
  readonly views?: () => readonly ViewRuntime[] | Promise<readonly ViewRuntime[]>;
}

/** What the catalog is computed from. */
export interface CatalogSnapshot {
  /** Users and their grants. */
  readonly access: CatalogAccess;
  /** tidewatch's relations, sorted by name. */
  readonly relations: readonly StoredRelation[];
  readonly settings: readonly CatalogSetting[];
  /** The OID of a tidewatch relation. */
  readonly relationOid: (name: string) => number;
  readonly ingestion: readonly SourceIngestion[];
  readonly sinks: readonly CatalogSink[];
  readonly views: readonly ViewRuntime[];
}

export type CatalogRow = Readonly<Record<string, Value>>;

/**
 * What a catalog relation's rows change with: tidewatch's relations (`catalog`: tables all
 * sessions share, refilled once per change), the session's settings (`session`), or the
 * sources' ingestion and the sinks' delivery (`ingestion`: the session's own tables, refilled
 * at every query that reads them).
 */
export type ChangesWith = 'catalog' | 'session' | 'ingestion';

export interface CatalogRelation {
  readonly schema: CatalogSchema;
  readonly name: string;
  /** `r` for a catalog table, `v` for a catalog view (as in PostgreSQL). */
  readonly relkind: 'r' | 'v';
  readonly columns: readonly CatalogColumn[];
  readonly changesWith: ChangesWith;
  rows(s: CatalogSnapshot): readonly CatalogRow[];
}

export const NAMESPACE_OIDS: Readonly<Record<CatalogSchema | 'public', number>> = {
  pg_catalog: 11,
  public: 2200,
  information_schema: 13182,
  rw_catalog: 13183,
};
export const ROOT_OID = 10;

const columnTypes: Readonly<Record<string, SqlType>> = {
  oid: T.int8,
  name: T.varchar,
  text: T.text,
  varchar: T.varchar,
  char: T.varchar,
  bool: T.boolean,
  int2: T.int2,
  int4: T.int4,
  int8: T.int8,
  float4: T.float4,
  timestamptz: T.timestamptz,
  jsonb: T.jsonb,
  'oid[]': arrayOf(T.int8),
  'text[]': arrayOf(T.text),
  'varchar[]': arrayOf(T.varchar),
  'int2[]': arrayOf(T.int2),
  'char[]': arrayOf(T.varchar),
};

/** `'oid oid, relname name'` → columns. */
function columns(spec: string): CatalogColumn[] {
  return spec
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')
    .map((s) => {
      const [name, type] = s.split(/\s+/) as [string, string];
      const t = columnTypes[type];
      if (t === undefined) throw new Error(`catalog column ${name}: unknown type ${type}`);
      return Object.freeze({ name, type: t });
    });
}

export function relation(
  schema: CatalogSchema,
  name: string,
  relkind: 'r' | 'v',
  spec: string,
  rows: (s: CatalogSnapshot) => readonly CatalogRow[] = () => [],
  changesWith: ChangesWith = 'catalog',
): CatalogRelation {
  return Object.freeze({
    schema,
    name,
    relkind,
    columns: Object.freeze(columns(spec)),
    changesWith,
    rows,
  });
}

/** A user as pg_user, pg_roles and rw_users show it. */
export interface CatalogUser {
  readonly id: number;
  readonly name: string;
  readonly superuser: boolean;
  readonly createdb: boolean;
  readonly createuser: boolean;
  readonly login: boolean;
  readonly hasPassword: boolean;
}

/** A privilege granted on a tidewatch relation (information_schema.table_privileges). */
export interface CatalogGrant {
  readonly grantee: string;
  readonly grantor: string;
  readonly relation: string;
  readonly privilege: string;
  readonly grantable: boolean;
}

export interface CatalogAccess {
  readonly users: readonly CatalogUser[];
  readonly grants: readonly CatalogGrant[];
  /** The owners of relations and sinks not owned by root, by name (absent: root's). */
  readonly owners?: Readonly<Record<string, number>>;
}

/** The id of the user owning a tidewatch relation or sink. */
export function ownerIdOf(access: CatalogAccess, object: string): number {
  return access.owners?.[object] ?? ROOT_OID;
}

/** The name of the user owning a tidewatch relation or sink. */
export function ownerNameOf(access: CatalogAccess, object: string): string {
  const id = ownerIdOf(access, object);
  return access.users.find((u) => u.id === id)?.name ?? 'root';
}

/** Root alone: the catalog's users where the caller tells of none. */
export const ROOT_ONLY: CatalogAccess = {
  users: [
    {
      id: 10,
      name: 'root',
      superuser: true,
      createdb: true,
      createuser: true,
      login: true,
      hasPassword: false,
    },
  ],
  grants: [],
};
