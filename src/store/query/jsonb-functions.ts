/**
 * jsonb in ad-hoc queries, with the engine's own code: DuckDB carries a jsonb as its JSON
 * text (the store's VARCHAR form), and these JavaScript functions parse it, run the
 * evaluator's kernels (`#>`, `#>>`, `@>`, `<@`, `?`, `?|`, `?&`, `||`, jsonb_typeof) and print the
 * result as PostgreSQL does. Values are converted as to_jsonb converts them
 * (`tw_to_jsonb_<type>`, by their PostgreSQL type): jsonb_agg is the conversion of DuckDB's
 * `list` of the values, jsonb_object_agg an object of a list of `[key, value as jsonb]` pairs
 * (`tw_jsonb_object`, a later pair replacing an earlier one of the same key). rewrite-jsonb.ts
 * calls them.
 */
import {
  BIGINT,
  BOOLEAN,
  DATE,
  DOUBLE,
  type DuckDBListValue,
  type DuckDBScalarFunction,
  type DuckDBType,
  type DuckDBValue,
  INTEGER,
  INTERVAL,
  LIST,
  SMALLINT,
  TIME,
  TIMESTAMP,
  TIMESTAMPTZ,
  VARCHAR,
} from '@duckdb/node-api';
import { jsonbKernel } from '../../engine/eval/functions/jsonb.ts';
import { SqlError } from '../../sql/errors.ts';
import { storedJsonb } from '../../sql/jsonb-value.ts';
import { toJson } from '../../sql/to-jsonb.ts';
import { arrayOf, type SqlType, T, type TypeName } from '../../sql/types.ts';
import { formatJsonb } from '../../sql/value-text.ts';
import type { Value } from '../../stream/value.ts';
import { fromDuckValue } from './duck-values.ts';
import { scalar } from './scalar-function.ts';

const TEXT_LIST = LIST(VARCHAR);

/** jsonb operators: the function each becomes, its right operand's DuckDB type and its result's. */
export const jsonbOperators: Readonly<
  Record<string, { readonly fn: string; readonly right: DuckDBType; readonly result: DuckDBType }>
> = {
  '#>': { fn: 'tw_jsonb_path', right: TEXT_LIST, result: VARCHAR },
  '#>>': { fn: 'tw_jsonb_path_text', right: TEXT_LIST, result: VARCHAR },
  '@>': { fn: 'tw_jsonb_contains', right: VARCHAR, result: BOOLEAN },
  '<@': { fn: 'tw_jsonb_contained', right: VARCHAR, result: BOOLEAN },
  '?': { fn: 'tw_jsonb_exists', right: VARCHAR, result: BOOLEAN },
  '?|': { fn: 'tw_jsonb_exists_any', right: TEXT_LIST, result: BOOLEAN },
  '?&': { fn: 'tw_jsonb_exists_all', right: TEXT_LIST, result: BOOLEAN },
  '||': { fn: 'tw_jsonb_concat', right: VARCHAR, result: VARCHAR },
};

/** The PostgreSQL types whose values the aggregates convert, and how DuckDB carries them. */
const convertible: ReadonlyMap<TypeName, DuckDBType> = new Map<TypeName, DuckDBType>([
  ['boolean', BOOLEAN],
  ['int2', SMALLINT],
  ['int4', INTEGER],
  ['int8', BIGINT],
  ['float4', DOUBLE],
  ['float8', DOUBLE],
  ['numeric', VARCHAR],
  ['text', VARCHAR],
  ['varchar', VARCHAR],
  ['timestamp', TIMESTAMP],
  ['timestamptz', TIMESTAMPTZ],
  ['date', DATE],
  ['time', TIME],
  ['interval', INTERVAL],
  ['jsonb', VARCHAR],
]);

/** The function converting a value of `t` to jsonb text, or undefined for a type it does not know. */
export function toJsonbFunction(t: SqlType | undefined): string | undefined {
  let element = t;
  let depth = 0;
  while (element?.name === 'array') {
    element = element.element;
    depth++;
  }
  if (element === undefined || !convertible.has(element.name) || depth > 2) return undefined;
  return `tw_to_jsonb_${element.name}${'_array'.repeat(depth)}`;
}

function printed(v: Value): string | null {
  return v === null ? null : formatJsonb(v);
}

function texts(l: DuckDBListValue): Value[] {
  return l.items as Value[];
}

function operatorFunction(op: string): DuckDBScalarFunction {
  const spec = jsonbOperators[op] as (typeof jsonbOperators)[string];
  const kernel = jsonbKernel(`jsonb ${op}`, []);
  if (kernel === undefined) throw new Error(`no kernel for jsonb ${op}`);
  const fn = kernel.fn as (a: Value, b: Value) => Value;
  const jsonRight = op === '@>' || op === '<@' || op === '||';
  const right = spec.right === TEXT_LIST ? texts : jsonRight ? storedJsonb : (s: Value) => s;
  const result = op === '#>' || op === '||' ? printed : (v: Value) => v;
  return scalar(spec.fn, [VARCHAR, spec.right], spec.result, (j: string, r: never) =>
    result(fn(storedJsonb(j), right(r))),
  );
}

/** `tw_to_jsonb_<type>`, and `…_array`, `…_array_array` for arrays of it (jsonb_agg's lists). */
function conversions(): DuckDBScalarFunction[] {
  const out: DuckDBScalarFunction[] = [];
  for (const [name, duck] of convertible) {
    let sql = T[name as keyof typeof T] as SqlType;
    let duckType = duck;
    for (const suffix of ['', '_array', '_array_array']) {
      const [t, d] = [sql, duckType];
      out.push(
        scalar(`tw_to_jsonb_${name}${suffix}`, [d], VARCHAR, (v: DuckDBValue) =>
          formatJsonb(toJson(fromDuckValue(v, d, t), t)),
        ),
      );
      sql = arrayOf(sql);
      duckType = LIST(duckType);
    }
  }
  return out;
}

/** The JavaScript functions of jsonb, for the session to register. */
export function jsonbFunctions(): DuckDBScalarFunction[] {
  const typeOf = jsonbKernel('jsonb_typeof', [])?.fn as (v: Value) => Value;
  return [
    ...Object.keys(jsonbOperators).map(operatorFunction),
    scalar('tw_jsonb_typeof', [VARCHAR], VARCHAR, (j: string) => typeOf(storedJsonb(j))),
    scalar('tw_jsonb_array', [TEXT_LIST], VARCHAR, (l: DuckDBListValue) =>
      formatJsonb(l.items.map((v) => (v === null || v === undefined ? null : JSON.parse(v as string)))),
    ),
    scalar('tw_jsonb_object', [LIST(TEXT_LIST)], VARCHAR, (l: DuckDBListValue) => {
      const out: Record<string, Value> = {};
      for (const pair of l.items) {
        const [k, v] = (pair as DuckDBListValue).items as (string | null)[];
        if (k === null || k === undefined) throw new SqlError('22023', 'field name must not be null');
        out[k] = v === null || v === undefined ? null : JSON.parse(v);
      }
      return formatJsonb(out);
    }),
    ...conversions(),
  ];
}
