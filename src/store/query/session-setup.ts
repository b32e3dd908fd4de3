/**
 * Makes a DuckDB connection answer like PostgreSQL: session settings (integer division,
 * UTC, PostgreSQL's NULL ordering), the functions rewritten calls name (function-names.ts,
 * type-names.ts) as temporary macros over the session's catalog tables, and a few scalar
 * functions written in JavaScript. Macros are created after `integer_division` is on, so
 * the `/` in their bodies divides integers as PostgreSQL does (numeric's functions:
 * numeric-functions.ts). A macro's arguments are
 * pasted into its body, so the relations a body reads are named `__tw_…`: an argument such
 * as `c.oid` must not end up naming the macro's own `c`.
 */

import {
  type DuckDBConnection,
  DuckDBScalarFunction,
  type DuckDBType,
  type DuckDBValue,
  LIST,
  listValue,
  TIMESTAMP,
  VARCHAR,
} from '@duckdb/node-api';
import { formatTimestampChar } from '../../engine/eval/functions/datetime.ts';
import { initcap, lower, upper } from '../../sql/case-mapping.ts';
import { limits } from '../../sql/limits.ts';
import { formatValue } from '../../sql/value-text.ts';
import { findCatalogRelation } from './catalog-relations.ts';
import { catalogTableSql, typeNamesTable } from './catalog-tables.ts';
import { fromDuckValue } from './duck-values.ts';
import { parseArrayText, parseIdentifier, quoteIdentifier } from './identifiers.ts';
import { intervalFunctions } from './interval-functions.ts';
import { jsonbFunctions } from './jsonb-functions.ts';
import { numericFunctions, numericMacros } from './numeric-functions.ts';
import type { CatalogSchema } from './rewrite.ts';
import { DATABASE, PUBLIC_SCHEMA } from './stored-relation.ts';
import { textCasts } from './text-casts.ts';

const settings = [
  'SET integer_division = true',
  "SET TimeZone = 'UTC'",
  "SET default_null_order = 'nulls_last_on_asc_first_on_desc'",
];

function table(schema: CatalogSchema, name: string, shared: string): string {
  const rel = findCatalogRelation(schema, name);
  if (rel === undefined) throw new Error(`no catalog relation ${schema}.${name}`);
  return catalogTableSql(rel, shared);
}

function sqlString(s: string): string {
  return `'${s.replaceAll("'", "''")}'`;
}

/**
 * `has_table_privilege(user, table, privilege)` as PostgreSQL answers it: a superuser has
 * every privilege, anyone SELECT on the catalog's relations, a user what was granted to it
 * (`… WITH GRANT OPTION`: granted so); an unknown user or relation is an error.
 */
function hasTablePrivilege(
  pgRoles: string,
  privileges: string,
  pgClass: string,
  pgNamespace: string,
): string {
  const role = `(SELECT __tw_r.rolsuper FROM ${pgRoles} __tw_r WHERE __tw_r.rolname = u)`;
  const privilege = `upper(trim(regexp_replace(p, '(?i)\\s+WITH\\s+GRANT\\s+OPTION\\s*$', '')))`;
  const grantOption = `regexp_matches(p, '(?i)\\s+WITH\\s+GRANT\\s+OPTION\\s*$')`;
  const relationOid = 'tw_regclass_oid(CAST(t AS VARCHAR))';
  const inPublic =
    `(SELECT __tw_n.nspname = ${sqlString(PUBLIC_SCHEMA)} FROM ${pgClass} __tw_c JOIN ${pgNamespace} __tw_n ` +
    `ON __tw_n.oid = __tw_c.relnamespace WHERE __tw_c.oid = ${relationOid})`;
  const relname = `(SELECT __tw_c.relname FROM ${pgClass} __tw_c WHERE __tw_c.oid = ${relationOid})`;
  const granted =
    `EXISTS (SELECT 1 FROM ${privileges} __tw_g WHERE __tw_g.grantee = u AND __tw_g.table_name = ${relname} ` +
    `AND __tw_g.privilege_type = ${privilege} AND (NOT ${grantOption} OR __tw_g.is_grantable = 'YES'))`;
  return (
    `CASE WHEN ${privilege} NOT IN ('SELECT', 'INSERT', 'UPDATE', 'DELETE', 'TRUNCATE', 'REFERENCES', 'TRIGGER') ` +
    `THEN error('unrecognized privilege type: "' || p || '"') ` +
    `WHEN ${role} IS NULL THEN error('role "' || u || '" does not exist') ` +
    `WHEN ${role} THEN ${relationOid} IS NOT NULL ` +
    `WHEN NOT ${inPublic} THEN ${privilege} = 'SELECT' AND NOT ${grantOption} ` +
    `ELSE ${granted} END`
  );
}

/** `lower` or `upper` of the macro argument `s`, as text. */
function caseMapped(fn: 'lower' | 'upper'): string {
  const text = 'CAST(s AS VARCHAR)';
  return `CASE WHEN strlen(${text}) = length(${text}) THEN ${fn}(${text}) ELSE tw_${fn}_unicode(${text}) END`;
}

/** The macros of a session; `shared` names the database of the shared catalog tables. */
function macros(backendPid: number, startedAt: string, shared: string): string[] {
  const settingsTable = table('pg_catalog', 'pg_settings', shared);
  const pgClass = table('pg_catalog', 'pg_class', shared);
  const pgNamespace = table('pg_catalog', 'pg_namespace', shared);
  const pgType = table('pg_catalog', 'pg_type', shared);
  const pgProc = table('pg_catalog', 'pg_proc', shared);
  const pgMatviews = table('pg_catalog', 'pg_matviews', shared);
  const pgRoles = table('pg_catalog', 'pg_roles', shared);
  const tablePrivileges = table('information_schema', 'table_privileges', shared);
  const typeNames = typeNamesTable(shared);
  const viewdef =
    `(SELECT __tw_m.definition FROM ${pgMatviews} __tw_m JOIN ${pgClass} __tw_c ON __tw_c.relname = __tw_m.matviewname ` +
    'WHERE CAST(__tw_c.oid AS VARCHAR) = CAST(v AS VARCHAR) OR __tw_c.relname = CAST(v AS VARCHAR) LIMIT 1)';
  const setting = (n: string) =>
    `(SELECT __tw_s.setting FROM ${settingsTable} __tw_s WHERE lower(__tw_s.name) = lower(${n}))`;
  // The schemas an unqualified name is looked up in (rewrite.ts): their names sort in that lookup's order.
  const visible = `(${sqlString('pg_catalog')}, ${sqlString(PUBLIC_SCHEMA)}, ${sqlString('rw_catalog')})`;
  const classByName =
    `(SELECT __tw_c.oid FROM ${pgClass} __tw_c JOIN ${pgNamespace} __tw_n ON __tw_n.oid = __tw_c.relnamespace ` +
    `WHERE __tw_c.relname = tw_parse_ident(s)[-1] AND (CASE WHEN len(tw_parse_ident(s)) = 1 ` +
    `THEN __tw_n.nspname IN ${visible} ELSE __tw_n.nspname = tw_parse_ident(s)[-2] END) ORDER BY __tw_n.nspname LIMIT 1)`;
  const built = limits().maxTextBytes;
  const tooLarge = "error('tidewatch:54000:requested length too large')";
  const pad = (f: string, fill: string) =>
    `CASE WHEN n > ${built} THEN ${tooLarge} ELSE ${f}(s, n, ${fill}) END`;
  // generate_series(a, b, s) as a list, refused before it is built when it would hold more than
  // `built` elements: when b lies past a + built·s (an end that overflows its type cannot).
  // The arguments are named once, in a struct a lambda reads, so nested calls are not pasted
  // twice; an unnamed one (row), as DuckDB loses a named field's name when its value is a macro.
  const series = (args: string) => {
    const [from, to, step] = ['__tw_p[1]', '__tw_p[2]', '__tw_p[3]'];
    const end = `try(${from} + ${built} * ${step})`;
    return (
      `list_transform([${args}], lambda __tw_p: CASE WHEN (${end} > ${from} AND ${to} >= ${end}) ` +
      `OR (${end} < ${from} AND ${to} <= ${end}) THEN ${tooLarge} ` +
      `ELSE generate_series(${from}, ${to}, ${step}) END)[1]`
    );
  };
  const def = (signature: string, body: string) => `CREATE OR REPLACE TEMP MACRO ${signature} AS ${body}`;
  const joined = (list: string) =>
    `CASE WHEN a IS NULL OR d IS NULL THEN NULL ELSE coalesce(array_to_string(${list}, d), '') END`;
  const constant = (name: string, value: string) => def(`${name}()`, value);
  const anyArity = (name: string, value: string) =>
    `CREATE OR REPLACE TEMP MACRO ${name}() AS ${value}, (a) AS ${value}, (a, b) AS ${value}, (a, b, c) AS ${value}, (a, b, c, d) AS ${value}`;
  return [
    def(
      'tw_current_setting(n)',
      `CASE WHEN ${setting('n')} IS NOT NULL THEN ${setting('n')} ` +
        `ELSE error('unrecognized configuration parameter "' || n || '"') END, (n, missing_ok) AS ${setting('n')}`,
    ),
    constant('tw_version', `'PostgreSQL ' || tw_current_setting('server_version') || ' (tidewatch)'`),
    constant('tw_current_schema', sqlString(PUBLIC_SCHEMA)),
    def(
      'tw_current_schemas(implicit)',
      `CASE WHEN implicit THEN [${sqlString('pg_catalog')}, ${sqlString(PUBLIC_SCHEMA)}] ELSE [${sqlString(PUBLIC_SCHEMA)}] END`,
    ),
    constant('tw_current_database', sqlString(DATABASE)),
    def('tw_quote_literal(s)', `'''' || replace(CAST(s AS VARCHAR), '''', '''''') || ''''`),
    def('tw_quote_nullable(s)', `coalesce(tw_quote_literal(s), 'NULL')`),
    def('tw_array_length(a, d)', 'CASE WHEN d = 1 AND len(a) > 0 THEN CAST(len(a) AS INTEGER) END'),
    def('tw_array_lower(a, d)', 'CASE WHEN d = 1 AND len(a) > 0 THEN 1 END'),
    def('tw_array_upper(a, d)', 'CASE WHEN d = 1 AND len(a) > 0 THEN CAST(len(a) AS INTEGER) END'),
    def('tw_array_ndims(a)', 'CASE WHEN len(a) > 0 THEN 1 END'),
    def('tw_cardinality(a)', 'CAST(len(a) AS INTEGER)'),
    def(
      'tw_array_contains(a, b)',
      'list_has_all(a, b) AND NOT list_contains(list_transform(b, x -> x IS NULL), true)',
    ),
    def('tw_array_contained(a, b)', 'tw_array_contains(b, a)'),
    def('tw_octet_length(s)', 'CAST(strlen(s) AS INTEGER)'),
    // ASCII text maps case in DuckDB itself; any other goes through PostgreSQL's per-character rules.
    // The cast types a bind parameter given for `s`: without it a query's Describe finds no columns.
    def('tw_lower(s)', caseMapped('lower')),
    def('tw_upper(s)', caseMapped('upper')),
    // NULL elements left out, or written as the third argument; an array of no text joins to ''
    def(
      'tw_array_to_string(a, d)',
      `${joined('a')}, (a, d, n) AS ${joined('list_transform(a, lambda __tw_x: coalesce(CAST(__tw_x AS VARCHAR), n))')}`,
    ),
    def(
      'tw_string_to_array(s, d)',
      `CASE WHEN s = '' THEN CAST([] AS VARCHAR[]) ELSE string_split(s, d) END`,
    ),
    def(
      'tw_format_type(o, m)',
      // numeric(p, s) from its typmod, as PostgreSQL packs it: ((p << 16) | s) + 4
      `CASE WHEN o = 1700 AND m >= 4 THEN 'numeric(' || CAST((m - 4) >> 16 AS VARCHAR) || ',' || ` +
        "CAST(xor((m - 4) & 2047, 1024) - 1024 AS VARCHAR) || ')' " +
        `ELSE coalesce((SELECT __tw_t.name FROM ${typeNames} __tw_t WHERE __tw_t.oid = o), '???') END`,
    ),
    def(
      'tw_pg_typeof(x)',
      `CASE regexp_replace(typeof(x), '\\(.*', '') WHEN 'INTEGER' THEN 'integer' WHEN 'BIGINT' THEN 'bigint' ` +
        `WHEN 'SMALLINT' THEN 'smallint' WHEN 'HUGEINT' THEN 'numeric' WHEN 'DECIMAL' THEN 'numeric' ` +
        `WHEN 'DOUBLE' THEN 'double precision' WHEN 'FLOAT' THEN 'real' WHEN 'VARCHAR' THEN 'text' ` +
        `WHEN 'BOOLEAN' THEN 'boolean' WHEN 'TIMESTAMP' THEN 'timestamp without time zone' ` +
        `WHEN 'TIMESTAMP WITH TIME ZONE' THEN 'timestamp with time zone' WHEN 'DATE' THEN 'date' ` +
        `WHEN 'TIME' THEN 'time without time zone' WHEN 'INTERVAL' THEN 'interval' WHEN 'BLOB' THEN 'bytea' ` +
        `WHEN '"NULL"' THEN 'unknown' ELSE lower(typeof(x)) END`,
    ),
    anyArity('tw_is_visible', 'true'),
    anyArity('tw_true', 'true'),
    anyArity('tw_false', 'false'),
    anyArity('tw_no_description', 'CAST(NULL AS VARCHAR)'),
    anyArity('tw_null_text', 'CAST(NULL AS VARCHAR)'),
    def('tw_zero(x)', 'CAST(0 AS BIGINT)'),
    def('tw_size_pretty(x)', `CAST(x AS VARCHAR) || ' bytes'`),
    def(
      'tw_get_userbyid(o)',
      `coalesce((SELECT __tw_r.rolname FROM ${pgRoles} __tw_r WHERE __tw_r.oid = o), 'unknown (OID=' || CAST(o AS VARCHAR) || ')')`,
    ),
    constant('tw_current_user', `tw_current_setting('session_authorization')`),
    def('tw_table_privilege(u, t, p)', hasTablePrivilege(pgRoles, tablePrivileges, pgClass, pgNamespace)),
    def(
      'tw_has_table_privilege(t, p)',
      'tw_table_privilege(tw_current_user(), t, p), (u, t, p) AS tw_table_privilege(u, t, p)',
    ),
    def('tw_get_viewdef(v)', `${viewdef}, (v, pretty) AS ${viewdef}`),
    def('tw_encoding_to_char(e)', `CASE WHEN e = 6 THEN 'UTF8' ELSE '' END`),
    constant('tw_backend_pid', `CAST(${backendPid} AS INTEGER)`),
    constant('tw_start_time', `CAST(${sqlString(startedAt)} AS TIMESTAMPTZ)`),
    def('tw_to_char(x, f)', 'tw_to_char_timestamp(CAST(x AS TIMESTAMP), f)'),
    def(
      'tw_repeat(s, n)',
      `CASE WHEN n > 0 AND CAST(strlen(s) AS DOUBLE) * n > ${built} THEN ${tooLarge} ELSE repeat(s, n) END`,
    ),
    // A built value past the limit fails; `x` is named once, so nested calls do not multiply it.
    def(
      'tw_checked_length(x)',
      `list_transform([x], lambda __tw_e: CASE WHEN len(__tw_e) > ${built} THEN ${tooLarge} ELSE __tw_e END)[1]`,
    ),
    def(
      'tw_series(__tw_from, __tw_to)',
      `${series('row(__tw_from, __tw_to, 1)')}, ` +
        `(__tw_from, __tw_to, __tw_step) AS ${series('row(__tw_from, __tw_to, __tw_step)')}`,
    ),
    def('tw_lpad(s, n)', `${pad('lpad', "' '")}, (s, n, f) AS ${pad('lpad', 'f')}`),
    def('tw_rpad(s, n)', `${pad('rpad', "' '")}, (s, n, f) AS ${pad('rpad', 'f')}`),
    def('tw_nonzero(b)', `CASE WHEN b = 0 THEN error('division by zero') ELSE b END`),
    // float8 power as PostgreSQL's dpow: its errors where DuckDB's pow gives Infinity, 0 or NaN.
    def(
      'tw_float_pow(a, b)',
      "CASE WHEN a = 0 AND b < 0 THEN error('zero raised to a negative power is undefined') " +
        'WHEN a < 0 AND isfinite(b) AND b <> floor(b) ' +
        "THEN error('a negative number raised to a non-integer power yields a complex result') " +
        "WHEN isinf(pow(a, b)) AND isfinite(a) AND isfinite(b) THEN error('value out of range: overflow') " +
        "WHEN pow(a, b) = 0 AND a <> 0 AND isfinite(a) AND isfinite(b) THEN error('value out of range: underflow') " +
        'ELSE pow(a, b) END',
    ),
    def(
      'tw_window_start(ts, size, off)',
      "ts - to_microseconds(((epoch_us(ts) - epoch_us(TIMESTAMP '1970-01-01' + off)) % " +
        "epoch_us(TIMESTAMP '1970-01-01' + size) + epoch_us(TIMESTAMP '1970-01-01' + size)) % " +
        "epoch_us(TIMESTAMP '1970-01-01' + size))",
    ),
    def(
      'tw_regclass_oid(s)',
      `CASE WHEN regexp_full_match(s, '[0-9]+') THEN CAST(s AS BIGINT) WHEN ${classByName} IS NOT NULL ` +
        `THEN ${classByName} ELSE error('relation "' || s || '" does not exist') END`,
    ),
    def(
      'tw_regclass_name(o)',
      `coalesce((SELECT CASE WHEN __tw_n.nspname IN ${visible} THEN tw_quote_ident(__tw_c.relname) ` +
        `ELSE tw_quote_ident(__tw_n.nspname) || '.' || tw_quote_ident(__tw_c.relname) END FROM ${pgClass} __tw_c ` +
        `JOIN ${pgNamespace} __tw_n ON __tw_n.oid = __tw_c.relnamespace WHERE __tw_c.oid = o), CAST(o AS VARCHAR))`,
    ),
    def(
      'tw_regtype_oid(s)',
      `coalesce((SELECT __tw_t.oid FROM ${typeNames} __tw_t WHERE __tw_t.name = lower(s)), ` +
        `(SELECT __tw_y.oid FROM ${pgType} __tw_y WHERE __tw_y.typname = lower(s)), error('type "' || s || '" does not exist'))`,
    ),
    def('tw_regtype_name(o)', `CASE WHEN o = 0 THEN '-' ELSE tw_format_type(o, NULL) END`),
    def(
      'tw_regnamespace_oid(s)',
      `coalesce((SELECT __tw_n.oid FROM ${pgNamespace} __tw_n WHERE __tw_n.nspname = s), error('schema "' || s || '" does not exist'))`,
    ),
    def(
      'tw_regnamespace_name(o)',
      `coalesce((SELECT __tw_n.nspname FROM ${pgNamespace} __tw_n WHERE __tw_n.oid = o), CAST(o AS VARCHAR))`,
    ),
    def(
      'tw_regproc_oid(s)',
      `coalesce((SELECT __tw_p.oid FROM ${pgProc} __tw_p WHERE __tw_p.proname = s), error('function "' || s || '" does not exist'))`,
    ),
    def(
      'tw_regproc_name(o)',
      `CASE WHEN o = 0 THEN '-' ELSE coalesce((SELECT __tw_p.proname FROM ${pgProc} __tw_p WHERE __tw_p.oid = o), ` +
        'CAST(o AS VARCHAR)) END',
    ),
    def(
      'tw_regrole_oid(s)',
      `coalesce((SELECT __tw_r.oid FROM ${pgRoles} __tw_r WHERE __tw_r.rolname = s), error('role "' || s || '" does not exist'))`,
    ),
    def('tw_regrole_name(o)', 'tw_get_userbyid(o)'),
  ];
}

function scalar(
  name: string,
  parameterTypes: readonly DuckDBType[],
  returnType: DuckDBType,
  fn: (...args: never[]) => unknown,
): DuckDBScalarFunction {
  return DuckDBScalarFunction.create({
    name,
    returnType,
    parameterTypes,
    mainFunction: (info, input, output) => {
      const vectors = parameterTypes.map((_, i) => input.getColumnVector(i));
      for (let row = 0; row < input.rowCount; row++) {
        const args = vectors.map((v) => v.getItem(row));
        if (args.some((a) => a === null)) {
          output.setItem(row, null);
          continue;
        }
        try {
          output.setItem(row, fn(...(args as never[])) as never);
        } catch (e) {
          info.setError((e as Error).message);
          return;
        }
      }
      output.flush();
    },
  });
}

/**
 * Scalar functions in JavaScript. DuckDB registers them for the whole database instance
 * (the last registration wins), so they must not depend on the session.
 */
function scalarFunctions(): DuckDBScalarFunction[] {
  return [
    scalar('tw_quote_ident', [VARCHAR], VARCHAR, (s: string) => quoteIdentifier(s)),
    scalar('tw_parse_ident', [VARCHAR], LIST(VARCHAR), (s: string) => listValue(parseIdentifier(s))),
    scalar('tw_array_text', [VARCHAR], LIST(VARCHAR), (s: string) => listValue(parseArrayText(s))),
    scalar('tw_initcap', [VARCHAR], VARCHAR, initcap),
    ...textCasts().map((c) =>
      scalar(c.name, [c.duck], VARCHAR, (v: DuckDBValue) =>
        formatValue(fromDuckValue(v, c.duck, c.type), c.type),
      ),
    ),
    scalar('tw_lower_unicode', [VARCHAR], VARCHAR, lower),
    scalar('tw_upper_unicode', [VARCHAR], VARCHAR, upper),
    scalar('tw_to_char_timestamp', [TIMESTAMP, VARCHAR], VARCHAR, (ts: { micros: bigint }, format: string) =>
      formatTimestampChar(Number(ts.micros), format, false),
    ),
    ...numericFunctions(),
    ...jsonbFunctions(),
    ...intervalFunctions(),
  ];
}

/** Settings, JavaScript functions and macros on `conn`; the catalog tables must exist. */
const MACRO_HEAD = /^CREATE OR REPLACE TEMP MACRO (\w+)\(/;

/**
 * Whether SQL about to run reads the session's catalog tables: directly (`temp.main.tw__…`)
 * or through a macro whose body does (`tw_current_setting`, `tw_pg_table_is_visible`…).
 * Queries that do not need not wait for the catalog to be brought up to date.
 */
export const readsCatalog: (sql: string) => boolean = (() => {
  const bodies = new Map<string, string>();
  for (const m of macros(0, '', 'tw_catalog')) {
    const name = MACRO_HEAD.exec(m)?.[1];
    if (name !== undefined) bodies.set(name, m);
  }
  const reading = new Set<string>();
  for (let grew = true; grew; ) {
    grew = false;
    for (const [name, body] of bodies)
      if (
        !reading.has(name) &&
        (body.includes('tw__') || [...reading].some((r) => new RegExp(`\\b${r}\\s*\\(`).test(body)))
      ) {
        reading.add(name);
        grew = true;
      }
  }
  const calls = new RegExp(`\\b(${[...reading].join('|')})\\s*\\(`, 'i');
  return (sql) => sql.includes('tw__') || calls.test(sql);
})();

export async function prepareConnection(
  conn: DuckDBConnection,
  backendPid: number,
  shared: string,
): Promise<void> {
  // One script each: a statement's own round trip costs more than most of these statements.
  await conn.run(settings.join(';\n'));
  for (const f of scalarFunctions()) conn.registerScalarFunction(f);
  await conn.run([...macros(backendPid, new Date().toISOString(), shared), ...numericMacros].join(';\n'));
}
