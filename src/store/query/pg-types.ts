/**
 * PostgreSQL's view of tidewatch's types: the OID, `pg_type` facts, the name `format_type`
 * prints and the names information_schema uses. OIDs are PostgreSQL's own, so clients that
 * decode by OID (pgx, psycopg, JDBC) recognise them.
 */
import { formatType, type SqlType, T, type TypeName } from '../../sql/types.ts';

export interface PgType {
  readonly oid: number;
  /** `typname`: `int4`, `_int4`. */
  readonly name: string;
  /** What `format_type` prints: `integer`, `integer[]`. */
  readonly display: string;
  /** `typlen`: bytes, or -1 for variable length. */
  readonly length: number;
  /** `typcategory`. */
  readonly category: string;
  /** Element type of an array type (0 otherwise). */
  readonly element: number;
  /** The array type of this type (0 for arrays). */
  readonly array: number;
  readonly byValue: boolean;
  /** Collatable (text types): `typcollation` 100. */
  readonly collatable: boolean;
}

interface Base {
  readonly oid: number;
  readonly name: string;
  readonly display: string;
  readonly length: number;
  readonly category: string;
  readonly array: number;
  readonly collatable?: boolean;
}

const bases: readonly Base[] = [
  { oid: 16, name: 'bool', display: 'boolean', length: 1, category: 'B', array: 1000 },
  { oid: 17, name: 'bytea', display: 'bytea', length: -1, category: 'U', array: 1001 },
  { oid: 18, name: 'char', display: '"char"', length: 1, category: 'Z', array: 1002 },
  { oid: 19, name: 'name', display: 'name', length: 64, category: 'S', array: 1003, collatable: true },
  { oid: 20, name: 'int8', display: 'bigint', length: 8, category: 'N', array: 1016 },
  { oid: 21, name: 'int2', display: 'smallint', length: 2, category: 'N', array: 1005 },
  { oid: 22, name: 'int2vector', display: 'int2vector', length: -1, category: 'A', array: 1006 },
  { oid: 23, name: 'int4', display: 'integer', length: 4, category: 'N', array: 1007 },
  { oid: 24, name: 'regproc', display: 'regproc', length: 4, category: 'N', array: 1008 },
  { oid: 25, name: 'text', display: 'text', length: -1, category: 'S', array: 1009, collatable: true },
  { oid: 26, name: 'oid', display: 'oid', length: 4, category: 'N', array: 1028 },
  { oid: 30, name: 'oidvector', display: 'oidvector', length: -1, category: 'A', array: 1013 },
  {
    oid: 194,
    name: 'pg_node_tree',
    display: 'pg_node_tree',
    length: -1,
    category: 'Z',
    array: 0,
    collatable: true,
  },
  { oid: 700, name: 'float4', display: 'real', length: 4, category: 'N', array: 1021 },
  { oid: 701, name: 'float8', display: 'double precision', length: 8, category: 'N', array: 1022 },
  { oid: 705, name: 'unknown', display: 'unknown', length: -2, category: 'X', array: 0 },
  { oid: 1033, name: 'aclitem', display: 'aclitem', length: 12, category: 'U', array: 1034 },
  {
    oid: 1043,
    name: 'varchar',
    display: 'character varying',
    length: -1,
    category: 'S',
    array: 1015,
    collatable: true,
  },
  { oid: 1082, name: 'date', display: 'date', length: 4, category: 'D', array: 1182 },
  { oid: 1083, name: 'time', display: 'time without time zone', length: 8, category: 'D', array: 1183 },
  {
    oid: 1114,
    name: 'timestamp',
    display: 'timestamp without time zone',
    length: 8,
    category: 'D',
    array: 1115,
  },
  {
    oid: 1184,
    name: 'timestamptz',
    display: 'timestamp with time zone',
    length: 8,
    category: 'D',
    array: 1185,
  },
  { oid: 1186, name: 'interval', display: 'interval', length: 16, category: 'T', array: 1187 },
  { oid: 1700, name: 'numeric', display: 'numeric', length: -1, category: 'N', array: 1231 },
  { oid: 2205, name: 'regclass', display: 'regclass', length: 4, category: 'N', array: 2210 },
  { oid: 2206, name: 'regtype', display: 'regtype', length: 4, category: 'N', array: 2211 },
  { oid: 3802, name: 'jsonb', display: 'jsonb', length: -1, category: 'U', array: 3807 },
  { oid: 4089, name: 'regnamespace', display: 'regnamespace', length: 4, category: 'N', array: 4090 },
];

function build(): PgType[] {
  const out: PgType[] = [];
  for (const b of bases) {
    const byValue = b.length > 0 && b.length <= 8 && b.name !== 'name' && b.name !== 'aclitem';
    out.push({
      oid: b.oid,
      name: b.name,
      display: b.display,
      length: b.length,
      category: b.category,
      element: 0,
      array: b.array,
      byValue,
      collatable: b.collatable === true,
    });
    if (b.array !== 0)
      out.push({
        oid: b.array,
        name: `_${b.name}`,
        display: `${b.display}[]`,
        length: -1,
        category: 'A',
        element: b.oid,
        array: 0,
        byValue: false,
        collatable: b.collatable === true,
      });
  }
  return out;
}

/** Every type the catalog lists, in OID order. */
export const pgTypes: readonly PgType[] = Object.freeze(build().sort((a, b) => a.oid - b.oid));

const byName = new Map(pgTypes.map((t) => [t.name, t]));

const typnames: Readonly<Record<Exclude<TypeName, 'array'>, string>> = {
  boolean: 'bool',
  int2: 'int2',
  int4: 'int4',
  int8: 'int8',
  numeric: 'numeric',
  float4: 'float4',
  float8: 'float8',
  varchar: 'varchar',
  text: 'text',
  timestamp: 'timestamp',
  timestamptz: 'timestamptz',
  date: 'date',
  time: 'time',
  interval: 'interval',
  jsonb: 'jsonb',
  bytea: 'bytea',
  unknown: 'unknown',
};

/** The `pg_type` entry of a tidewatch type (arrays of arrays are arrays of the element). */
export function pgTypeOf(t: SqlType): PgType {
  if (t.name === 'array') {
    let e = t.element ?? T.text;
    while (e.name === 'array') e = e.element ?? T.text;
    const base = byName.get(typnames[e.name]) as PgType;
    return byName.get(`_${base.name}`) ?? (byName.get('_text') as PgType);
  }
  return byName.get(typnames[t.name]) as PgType;
}

/** `information_schema.columns.data_type`: the display name, `ARRAY` for arrays. */
export function informationSchemaType(t: SqlType): string {
  return t.name === 'array' ? 'ARRAY' : formatType(t);
}
