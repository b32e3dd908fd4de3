/**
 * PostgreSQL type names in casts, as DuckDB must read them. Most are understood as written
 * (`int4`, `double precision`, `timestamp with time zone`); the rest are mapped: text-like
 * types are VARCHAR, object identifiers are BIGINT, and the `reg*` types are looked up in the
 * session's catalog. A cast to numeric is rewritten before it gets here (rewrite-numeric.ts:
 * numeric is its exact text); only an array of numeric is read as doubles (DuckDB's own
 * default, DECIMAL(18,3), would round to three decimals).
 */

export type CastTarget =
  | { readonly kind: 'type'; readonly duck: string }
  /** A cast to an object-identifier alias type: by name from a string constant, to a name otherwise. */
  | { readonly kind: 'reg'; readonly fromName: string; readonly toName: string };

const mapped: Readonly<Record<string, string>> = {
  text: 'VARCHAR',
  varchar: 'VARCHAR',
  bpchar: 'VARCHAR',
  char: 'VARCHAR',
  name: 'VARCHAR',
  citext: 'VARCHAR',
  json: 'VARCHAR',
  jsonb: 'VARCHAR',
  aclitem: 'VARCHAR',
  pg_node_tree: 'VARCHAR',
  oid: 'BIGINT',
  xid: 'BIGINT',
  cid: 'BIGINT',
  int2vector: 'SMALLINT[]',
  oidvector: 'BIGINT[]',
  bool: 'BOOLEAN',
  int2: 'SMALLINT',
  int4: 'INTEGER',
  int8: 'BIGINT',
  float4: 'REAL',
  float8: 'DOUBLE',
  timestamp: 'TIMESTAMP',
  timestamptz: 'TIMESTAMPTZ',
  date: 'DATE',
  time: 'TIME',
  timetz: 'TIMETZ',
  interval: 'INTERVAL',
  bytea: 'BLOB',
  uuid: 'UUID',
};

const regTypes: Readonly<Record<string, { fromName: string; toName: string }>> = {
  regclass: { fromName: 'tw_regclass_oid', toName: 'tw_regclass_name' },
  regtype: { fromName: 'tw_regtype_oid', toName: 'tw_regtype_name' },
  regnamespace: { fromName: 'tw_regnamespace_oid', toName: 'tw_regnamespace_name' },
  regproc: { fromName: 'tw_regproc_oid', toName: 'tw_regproc_name' },
  regprocedure: { fromName: 'tw_regproc_oid', toName: 'tw_regproc_name' },
  regrole: { fromName: 'tw_regrole_oid', toName: 'tw_regrole_name' },
};

/**
 * How a cast to the type named `names` (as parsed: `pg_catalog.int4`) must be written for
 * DuckDB, or undefined to keep the text as written. `hasTypmods`: `numeric(10,2)` stays a
 * DECIMAL; `qualified`: the text names a schema, which DuckDB would not understand.
 */
export function castTarget(
  names: readonly string[],
  hasTypmods: boolean,
  qualified: boolean,
): CastTarget | undefined {
  const name = names[names.length - 1] ?? '';
  const reg = regTypes[name];
  if (reg !== undefined) return { kind: 'reg', ...reg };
  if (name === 'numeric' || name === 'decimal')
    return hasTypmods ? undefined : { kind: 'type', duck: 'DOUBLE' };
  const duck = mapped[name];
  if (duck === undefined) return undefined;
  const differs = duck === 'VARCHAR' || duck === 'BIGINT' || duck.endsWith('[]') || name === 'float4';
  return differs || qualified ? { kind: 'type', duck } : undefined;
}
