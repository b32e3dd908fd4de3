/**
 * PostgreSQL type OIDs and lengths (pg_type.oid, typlen) of tidewatch's SQL types, both
 * ways: what RowDescription and ParameterDescription announce, and what a client's Parse
 * names as parameter types.
 */
import { arrayOf, type SqlType, T, type TypeName } from '../../sql/types.ts';

type ScalarName = Exclude<TypeName, 'array'>;

interface TypeEntry {
  readonly oid: number;
  readonly arrayOid: number;
  readonly length: number;
}

/** `unknown` results are sent as text, as PostgreSQL resolves unknown output columns. */
const entries: Readonly<Record<ScalarName, TypeEntry>> = {
  boolean: { oid: 16, arrayOid: 1000, length: 1 },
  bytea: { oid: 17, arrayOid: 1001, length: -1 },
  int8: { oid: 20, arrayOid: 1016, length: 8 },
  int2: { oid: 21, arrayOid: 1005, length: 2 },
  int4: { oid: 23, arrayOid: 1007, length: 4 },
  text: { oid: 25, arrayOid: 1009, length: -1 },
  unknown: { oid: 25, arrayOid: 1009, length: -1 },
  float4: { oid: 700, arrayOid: 1021, length: 4 },
  float8: { oid: 701, arrayOid: 1022, length: 8 },
  varchar: { oid: 1043, arrayOid: 1015, length: -1 },
  date: { oid: 1082, arrayOid: 1182, length: 4 },
  time: { oid: 1083, arrayOid: 1183, length: 8 },
  timestamp: { oid: 1114, arrayOid: 1115, length: 8 },
  timestamptz: { oid: 1184, arrayOid: 1185, length: 8 },
  interval: { oid: 1186, arrayOid: 1187, length: 16 },
  numeric: { oid: 1700, arrayOid: 1231, length: -1 },
  jsonb: { oid: 3802, arrayOid: 3807, length: -1 },
};

/** The scalar type an array type's values finally hold (PostgreSQL arrays are one type whatever their dimensions). */
function arrayElementType(t: SqlType): SqlType {
  let e = t.element ?? T.text;
  while (e.name === 'array') e = e.element ?? T.text;
  return e;
}

function entry(t: SqlType): TypeEntry {
  return entries[t.name === 'array' ? 'text' : t.name];
}

export function typeOid(t: SqlType): number {
  return t.name === 'array' ? entry(arrayElementType(t)).arrayOid : entry(t).oid;
}

/** pg_type.typlen: the fixed size in bytes, -1 for variable-length types. */
export function typeLength(t: SqlType): number {
  return t.name === 'array' ? -1 : entry(t).length;
}

/** Types clients name that tidewatch holds as one of its own. */
const aliases: Readonly<Record<number, SqlType>> = {
  18: T.varchar, // "char"
  19: T.text, // name
  114: T.jsonb, // json
  1042: T.varchar, // bpchar
  199: arrayOf(T.jsonb), // _json
  1014: arrayOf(T.varchar), // _bpchar
};

const byOid: ReadonlyMap<number, SqlType> = (() => {
  const m = new Map<number, SqlType>();
  for (const [name, e] of Object.entries(entries) as [ScalarName, TypeEntry][]) {
    if (name === 'unknown') continue;
    m.set(e.oid, T[name]);
    m.set(e.arrayOid, arrayOf(T[name]));
  }
  for (const [oid, t] of Object.entries(aliases)) m.set(Number(oid), t);
  return m;
})();

/** The type a client means by `oid`; undefined when tidewatch has no such type. */
export function typeOfOid(oid: number): SqlType | undefined {
  return byOid.get(oid);
}
