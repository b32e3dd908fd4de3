/**
 * Names and PostgreSQL types of a query's result columns, read from the parse tree. DuckDB
 * reports names of its own (`count_star()`, `col0`) and types that are not PostgreSQL's
 * (sum of integers is HUGEINT, a numeric is carried as its text), so the session names
 * columns as PostgreSQL does (FigureColname: the column, function or type name, `?column?`)
 * and takes the type inferred here where it knows one of the same kind (result-types.ts
 * decides). The types of the other expressions of the query — WHERE, GROUP BY, HAVING,
 * ORDER BY (an output column's name or position too), join conditions, windows — are
 * inferred as well, for the rewriter to know where numerics are (rewrite-numeric.ts).
 *
 * Inference follows PostgreSQL's rules for what dashboards use: columns of relations
 * (tidewatch's, the catalog's, CTEs, subqueries, TUMBLE/HOP), literals, casts, arithmetic,
 * comparisons, aggregates (`count` bigint, `sum(int)` bigint, `sum(bigint)` and `avg(int)`
 * numeric…), window functions, `extract` (numeric), `date_trunc`, `now()`, string
 * functions. Anything else is left to DuckDB's type.
 */
import type { Node } from 'libpg-query';
import { columnName } from '../../sql/column-names.ts';
import { aggregateResultType } from '../../sql/functions.ts';
import {
  arrayOf,
  commonType,
  isInteger,
  isNumeric,
  isString,
  lookupType,
  numericCommon,
  type SqlType,
  T,
} from '../../sql/types.ts';
import { asNode, type Fields, fieldsIf, list, namesOf, stringConstant, stringOf } from './pg-tree.ts';
import type { CatalogSchema } from './rewrite.ts';
import type { StoredRelation } from './stored-relation.ts';

export interface OutputColumn {
  readonly name: string;
  readonly type: SqlType | undefined;
}

export interface ColumnSource {
  stored(name: string): StoredRelation | undefined;
  catalogColumns(schema: CatalogSchema, name: string): readonly { name: string; type: SqlType }[] | undefined;
}

interface RelationColumns {
  readonly alias: string;
  readonly columns: readonly OutputColumn[] | undefined;
}

class Scope {
  readonly relations: RelationColumns[] = [];
  readonly ctes: Map<string, readonly OutputColumn[] | undefined>;
  readonly parent: Scope | undefined;

  constructor(parent?: Scope, ctes?: Map<string, readonly OutputColumn[] | undefined>) {
    this.parent = parent;
    this.ctes = ctes ?? new Map();
  }

  cte(name: string): readonly OutputColumn[] | undefined | null {
    if (this.ctes.has(name)) return this.ctes.get(name);
    return this.parent === undefined ? null : this.parent.cte(name);
  }

  column(names: readonly string[]): SqlType | undefined {
    const col = names[names.length - 1];
    const rel = names.length >= 2 ? names[names.length - 2] : undefined;
    for (const r of this.relations) {
      if (rel !== undefined && r.alias !== rel) continue;
      const c = r.columns?.find((x) => x.name === col);
      if (c !== undefined) return c.type;
    }
    return this.parent?.column(names);
  }
}

const integerOps = new Set(['+', '-', '*', '/', '%']);
const booleanOps = new Set([
  '@>',
  '<@',
  '&&',
  '=',
  '<>',
  '!=',
  '<',
  '>',
  '<=',
  '>=',
  '~',
  '~*',
  '!~',
  '!~*',
  '~~',
  '~~*',
  '!~~',
  '!~~*',
]);
const textFunctions = new Set([
  'lower',
  'upper',
  'substr',
  'substring',
  'concat',
  'concat_ws',
  'replace',
  'trim',
  'btrim',
  'ltrim',
  'rtrim',
  'left',
  'right',
  'lpad',
  'rpad',
  'md5',
  'split_part',
  'initcap',
  'to_char',
  'string_agg',
  'quote_ident',
  'quote_literal',
  'format_type',
  'version',
  'current_setting',
  'current_database',
  'current_schema',
  'repeat',
  'reverse',
  'regexp_replace',
  'translate',
  'pg_get_userbyid',
  'pg_get_viewdef',
  'obj_description',
  'col_description',
  'array_to_string',
]);
const sameAsArgument = new Set([
  'any_value',
  'first_value',
  'last_value',
  'lag',
  'lead',
  'nth_value',
  'abs',
  'mode',
]);

/** The result types of jsonb's operators with a jsonb on the left (the boolean ones are above). */
const jsonbOperatorTypes: Readonly<Record<string, SqlType>> = {
  '->': T.jsonb,
  '#>': T.jsonb,
  '||': T.jsonb,
  '->>': T.text,
  '#>>': T.text,
  '?': T.boolean,
  '?|': T.boolean,
  '?&': T.boolean,
};

/** PostgreSQL's other names of aggregates. */
const aggregateAliases: Readonly<Record<string, string>> = { stddev: 'stddev_samp', variance: 'var_samp' };

function castType(tn: Fields | undefined): SqlType | undefined {
  if (tn === undefined) return undefined;
  const names = namesOf(tn.names) ?? [];
  const name = names[names.length - 1] ?? '';
  const base = name === 'name' || name === 'bpchar' ? T.varchar : lookupType(name);
  if (base === undefined) return undefined;
  let t = base;
  for (let i = 0; i < list(tn.arrayBounds).length; i++) t = arrayOf(t);
  return t;
}

function constantType(f: Fields): SqlType | undefined {
  if (f.isnull === true) return undefined;
  if (f.ival !== undefined) return T.int4;
  if (f.boolval !== undefined) return T.boolean;
  if (f.sval !== undefined) return T.text;
  const fval = (f.fval as Fields | undefined)?.fval;
  if (typeof fval === 'string') {
    if (!/^-?\d+$/.test(fval)) return T.numeric;
    const b = BigInt(fval);
    return b >= -(2n ** 63n) && b < 2n ** 63n ? T.int8 : T.numeric;
  }
  return undefined;
}

function common(types: readonly (SqlType | undefined)[]): SqlType | undefined {
  let out: SqlType | undefined;
  for (const t of types) {
    if (t === undefined) continue;
    if (out === undefined) out = t;
    else out = commonType(out, t) ?? out;
  }
  return out;
}

export class OutputColumns {
  readonly #source: ColumnSource;
  /** The type inferred for each expression looked at, by its fields object. */
  readonly #types = new WeakMap<object, SqlType>();

  constructor(source: ColumnSource) {
    this.#source = source;
  }

  /** The PostgreSQL type inferred for an expression of the select lists (after `of`). */
  typeOf(n: unknown): SqlType | undefined {
    const node = asNode(n);
    return node === undefined ? undefined : this.#types.get(node.fields);
  }

  /** The result columns of a query, or undefined when a `*` cannot be expanded. */
  of(select: Fields): OutputColumn[] | undefined {
    return this.#select(select, new Scope());
  }

  #select(f: Fields, outer: Scope): OutputColumn[] | undefined {
    let ctes: Map<string, readonly OutputColumn[] | undefined> | undefined;
    const w = f.withClause as Fields | undefined;
    let base = outer;
    if (w !== undefined) {
      ctes = new Map();
      base = new Scope(outer, ctes);
      for (const c of list(w.ctes)) {
        const cte = fieldsIf(c, 'CommonTableExpr');
        if (cte === undefined) continue;
        const query = fieldsIf(cte.ctequery, 'SelectStmt');
        const cols = query === undefined ? undefined : this.#select(query, base);
        const aliases = list(cte.aliascolnames).map(stringOf);
        ctes.set(
          String(cte.ctename),
          cols?.map((col, i) => ({ name: aliases[i] ?? col.name, type: col.type })),
        );
      }
    }
    if (f.op !== undefined && f.op !== 'SETOP_NONE') {
      const left = this.#select(f.larg as Fields, base);
      const right = this.#select(f.rarg as Fields, base);
      return left?.map((c, i) => ({ name: c.name, type: common([c.type, right?.[i]?.type]) }));
    }
    const values = list(f.valuesLists);
    if (values.length > 0) {
      const first = list(fieldsIf(values[0], 'List')?.items);
      return first.map((_, i) => ({
        name: `column${i + 1}`,
        type: common(values.map((v) => this.#type(list(fieldsIf(v, 'List')?.items)[i], base))),
      }));
    }
    const scope = new Scope(base);
    for (const item of list(f.fromClause)) this.#fromItem(item, scope);
    this.#type(f.whereClause, scope);
    const out: OutputColumn[] = [];
    for (const t of list(f.targetList)) {
      const rt = fieldsIf(t, 'ResTarget');
      if (rt === undefined) return undefined;
      const ref = fieldsIf(rt.val, 'ColumnRef');
      const fields = list(ref?.fields);
      if (ref !== undefined && asNode(fields[fields.length - 1])?.kind === 'A_Star') {
        const qualifier = stringOf(fields[fields.length - 2]);
        for (const r of scope.relations) {
          if (qualifier !== undefined && r.alias !== qualifier) continue;
          if (r.columns === undefined) return undefined;
          out.push(...r.columns);
        }
        continue;
      }
      out.push({
        name: typeof rt.name === 'string' ? rt.name : columnName(rt.val as Node),
        type: this.#type(rt.val, scope),
      });
    }
    this.#clauses(f, scope, out);
    return out;
  }

  /**
   * Types the expressions of GROUP BY, HAVING, ORDER BY, DISTINCT ON and named windows (the
   * select list and WHERE are typed already): an ORDER BY item naming an output column, or
   * its position, has that column's type.
   */
  #clauses(f: Fields, scope: Scope, out: readonly OutputColumn[]): void {
    for (const g of list(f.groupClause)) this.#type(g, scope);
    for (const d of list(f.distinctClause)) this.#type(d, scope);
    this.#type(f.havingClause, scope);
    for (const w of list(f.windowClause)) this.#windowDef(fieldsIf(w, 'WindowDef'), scope);
    for (const item of list(f.sortClause)) {
      const sortBy = fieldsIf(item, 'SortBy');
      const node = asNode(sortBy?.node);
      if (node === undefined) continue;
      const names = node.kind === 'ColumnRef' ? namesOf(node.fields.fields) : undefined;
      const position = node.kind === 'A_Const' ? (node.fields.ival as Fields | undefined) : undefined;
      let t: SqlType | undefined;
      if (names?.length === 1) t = out.find((c) => c.name === names[0])?.type;
      else if (position !== undefined) t = out[Number(position.ival ?? 0) - 1]?.type;
      if (t !== undefined) this.#types.set(node.fields, t);
      else this.#type(sortBy?.node, scope);
    }
  }

  #windowDef(w: Fields | undefined, scope: Scope): void {
    if (w === undefined) return;
    for (const p of list(w.partitionClause)) this.#type(p, scope);
    for (const o of list(w.orderClause)) this.#type(fieldsIf(o, 'SortBy')?.node, scope);
  }

  #fromItem(n: unknown, scope: Scope): void {
    const node = asNode(n);
    if (node === undefined) return;
    const f = node.fields;
    const alias = f.alias as Fields | undefined;
    const rename = (name: string, cols: readonly OutputColumn[] | undefined) => {
      const colnames = list(alias?.colnames).map(stringOf);
      scope.relations.push({
        alias: typeof alias?.aliasname === 'string' ? alias.aliasname : name,
        columns: cols?.map((c, i) => ({ name: colnames[i] ?? c.name, type: c.type })),
      });
    };
    switch (node.kind) {
      case 'RangeVar': {
        const name = String(f.relname);
        rename(
          name,
          this.#relation(typeof f.schemaname === 'string' ? f.schemaname : undefined, name, scope),
        );
        return;
      }
      case 'RangeSubselect': {
        const q = fieldsIf(f.subquery, 'SelectStmt');
        rename('', q === undefined ? undefined : this.#select(q, scope));
        return;
      }
      case 'JoinExpr':
        this.#fromItem(f.larg, scope);
        this.#fromItem(f.rarg, scope);
        this.#type(f.quals, scope);
        return;
      case 'RangeFunction': {
        const call = fieldsIf(list(fieldsIf(list(f.functions)[0], 'List')?.items)[0], 'FuncCall');
        const names = namesOf(call?.funcname) ?? [];
        const name = names[names.length - 1] ?? '';
        const args = list(call?.args);
        if (name === 'tumble' || name === 'hop') {
          const relNames = namesOf(fieldsIf(args[0], 'ColumnRef')?.fields) ?? [];
          const colNames = namesOf(fieldsIf(args[1], 'ColumnRef')?.fields) ?? [];
          const relName = relNames[relNames.length - 1] ?? '';
          const cols = this.#relation(relNames.length > 1 ? relNames[0] : undefined, relName, scope);
          const time = cols?.find((c) => c.name === colNames[colNames.length - 1])?.type;
          rename(
            relName,
            cols === undefined
              ? undefined
              : [...cols, { name: 'window_start', type: time }, { name: 'window_end', type: time }],
          );
          return;
        }
        const type = call === undefined ? undefined : this.#type({ FuncCall: call }, scope);
        const element = name === 'unnest' && type?.name === 'array' ? type.element : type;
        rename(name, [
          { name: typeof alias?.aliasname === 'string' ? alias.aliasname : name, type: element },
        ]);
        return;
      }
    }
  }

  #relation(schema: string | undefined, name: string, scope: Scope): readonly OutputColumn[] | undefined {
    if (schema === undefined) {
      const cte = scope.cte(name);
      if (cte !== null) return cte;
    }
    if (schema === undefined || schema === 'pg_catalog') {
      const cols = this.#source.catalogColumns('pg_catalog', name);
      if (cols !== undefined) return cols;
    }
    if (schema === 'information_schema' || schema === 'rw_catalog')
      return this.#source.catalogColumns(schema, name);
    const stored = this.#source.stored(name)?.columns;
    if (stored !== undefined || schema !== undefined) return stored;
    return this.#source.catalogColumns('rw_catalog', name);
  }

  #type(n: unknown, scope: Scope): SqlType | undefined {
    const node = asNode(n);
    if (node === undefined) return undefined;
    const known = this.#types.get(node.fields);
    if (known !== undefined) return known;
    const t = this.#typeOfNode(node.kind, node.fields, scope);
    if (t !== undefined) this.#types.set(node.fields, t);
    this.#children(node.kind, node.fields, scope);
    return t;
  }

  /** Types the sub-expressions a node's own type did not need (arguments of a comparison…). */
  #children(kind: string, f: Fields, scope: Scope): void {
    switch (kind) {
      case 'A_Expr':
        for (const side of [f.lexpr, f.rexpr])
          if (Array.isArray(side)) for (const e of side) this.#type(e, scope);
          else if (fieldsIf(side, 'List') !== undefined)
            for (const e of list(fieldsIf(side, 'List')?.items)) this.#type(e, scope);
          else this.#type(side, scope);
        return;
      case 'BoolExpr':
      case 'FuncCall':
      case 'CoalesceExpr':
      case 'MinMaxExpr':
        for (const a of list(f.args)) this.#type(a, scope);
        if (kind === 'FuncCall') {
          this.#type(f.agg_filter, scope);
          for (const o of list(f.agg_order)) this.#type(fieldsIf(o, 'SortBy')?.node, scope);
          if (f.over !== undefined) this.#windowDef(f.over as Fields, scope);
        }
        return;
      case 'NullTest':
      case 'BooleanTest':
      case 'TypeCast':
      case 'CollateClause':
        this.#type(f.arg, scope);
        return;
      case 'CaseExpr':
        this.#type(f.arg, scope);
        for (const w of list(f.args)) {
          const cw = fieldsIf(w, 'CaseWhen');
          this.#type(cw?.expr, scope);
          this.#type(cw?.result, scope);
        }
        this.#type(f.defresult, scope);
        return;
      case 'A_ArrayExpr':
        for (const e of list(f.elements)) this.#type(e, scope);
        return;
      case 'SubLink': {
        this.#type(f.testexpr, scope);
        const q = fieldsIf(f.subselect, 'SelectStmt');
        if (q !== undefined) this.#select(q, scope);
        return;
      }
      default:
        return;
    }
  }

  #typeOfNode(kind: string, f: Fields, scope: Scope): SqlType | undefined {
    switch (kind) {
      case 'ColumnRef': {
        const names = namesOf(f.fields);
        return names === undefined ? undefined : scope.column(names);
      }
      case 'A_Const':
        return constantType(f);
      case 'TypeCast':
        return castType(f.typeName as Fields | undefined);
      case 'FuncCall':
        return this.#functionType(f, scope);
      case 'A_Expr':
        return this.#operatorType(f, scope);
      case 'BoolExpr':
      case 'NullTest':
      case 'BooleanTest':
        return T.boolean;
      case 'SubLink': {
        if (f.subLinkType !== 'EXPR_SUBLINK' && f.subLinkType !== 'ARRAY_SUBLINK') return T.boolean;
        const q = fieldsIf(f.subselect, 'SelectStmt');
        const first = q === undefined ? undefined : this.#select(q, scope)?.[0]?.type;
        return f.subLinkType === 'ARRAY_SUBLINK' && first !== undefined ? arrayOf(first) : first;
      }
      case 'CaseExpr':
        return common([
          ...list(f.args).map((w) => this.#type(fieldsIf(w, 'CaseWhen')?.result, scope)),
          this.#type(f.defresult, scope),
        ]);
      case 'CoalesceExpr':
      case 'MinMaxExpr':
        return common(list(f.args).map((a) => this.#type(a, scope)));
      case 'A_ArrayExpr': {
        const e = common(list(f.elements).map((a) => this.#type(a, scope)));
        return e === undefined ? undefined : arrayOf(e);
      }
      case 'CollateClause':
        return this.#type(f.arg, scope);
      case 'A_Indirection': {
        const t = this.#type(f.arg, scope);
        const subscripts = list(f.indirection).filter((x) => asNode(x)?.kind === 'A_Indices');
        if (subscripts.length === 0 || t?.name !== 'array') return undefined;
        return subscripts.some((s) => fieldsIf(s, 'A_Indices')?.is_slice === true) ? t : t.element;
      }
      case 'SQLValueFunction':
        return valueFunctionType(String(f.op));
      default:
        return undefined;
    }
  }

  #functionType(f: Fields, scope: Scope): SqlType | undefined {
    const names = namesOf(f.funcname) ?? [];
    const name = names[names.length - 1] ?? '';
    const args = list(f.args);
    const arg = (i: number) => this.#type(args[i], scope);
    const ordered = () => this.#type(fieldsIf(list(f.agg_order)[0], 'SortBy')?.node, scope);
    if (textFunctions.has(name)) return T.text;
    if (sameAsArgument.has(name)) return name === 'mode' ? ordered() : arg(0);
    switch (name) {
      case 'count':
      case 'row_number':
      case 'rank':
      case 'dense_rank':
      case 'ntile':
        return T.int8;
      case 'sum':
      case 'avg':
      case 'min':
      case 'max':
      case 'stddev':
      case 'stddev_samp':
      case 'stddev_pop':
      case 'variance':
      case 'var_samp':
      case 'var_pop': {
        const t = arg(0);
        if (t === undefined) return undefined;
        return (
          aggregateResultType(aggregateAliases[name] ?? name, t) ??
          (name === 'min' || name === 'max' ? t : undefined)
        );
      }
      case 'percent_rank':
      case 'cume_dist':
      case 'date_part':
      case 'random':
        return T.float8;
      case 'percentile_cont':
        return ordered()?.name === 'interval' ? T.interval : T.float8;
      case 'percentile_disc':
        return ordered();
      case 'extract':
        return T.numeric;
      case 'date_trunc':
      case 'date_bin':
      case 'time_bucket':
        return arg(1)?.name === 'date' ? T.timestamptz : arg(1);
      case 'now':
      case 'transaction_timestamp':
      case 'statement_timestamp':
      case 'clock_timestamp':
      case 'to_timestamp':
        return T.timestamptz;
      case 'length':
      case 'char_length':
      case 'character_length':
      case 'octet_length':
      case 'strpos':
      case 'position':
      case 'array_length':
      case 'cardinality':
      case 'array_lower':
      case 'array_upper':
        return T.int4;
      case 'bool_and':
      case 'bool_or':
      case 'every':
        return T.boolean;
      case 'jsonb_agg':
      case 'json_agg':
      case 'jsonb_object_agg':
      case 'json_object_agg':
      case 'to_jsonb':
      case 'to_json':
      case 'jsonb_build_array':
      case 'json_build_array':
      case 'jsonb_build_object':
      case 'json_build_object':
        return T.jsonb;
      case 'jsonb_typeof':
        return T.text;
      case 'array_agg': {
        const t = arg(0);
        return t === undefined ? undefined : arrayOf(t);
      }
      case 'string_to_array':
      case 'parse_ident':
        return arrayOf(T.text);
      case 'generate_series':
        return common([arg(0), arg(1)]);
      case 'round':
      case 'trunc':
      case 'floor':
      case 'ceil':
      case 'ceiling': {
        const t = arg(0);
        return t !== undefined && isInteger(t) ? (args.length > 1 ? T.numeric : T.float8) : t;
      }
      case 'sign':
        return arg(0);
      case 'sqrt':
      case 'exp':
      case 'ln':
      case 'log10':
        return arg(0)?.name === 'numeric' ? T.numeric : arg(0) === undefined ? undefined : T.float8;
      case 'log':
        return args.some((_, i) => arg(i)?.name === 'numeric') ? T.numeric : T.float8;
      case 'power':
      case 'pow': {
        const [a, b] = [arg(0), arg(1)];
        if (a === undefined || b === undefined) return undefined;
        const float = (t: SqlType) => t.name === 'float4' || t.name === 'float8';
        return !float(a) && !float(b) && (a.name === 'numeric' || b.name === 'numeric')
          ? T.numeric
          : T.float8;
      }
      case 'mod': {
        const [a, b] = [arg(0), arg(1)];
        return a === undefined || b === undefined || !isNumeric(a) || !isNumeric(b)
          ? undefined
          : numericCommon(a, b);
      }
      default:
        return undefined;
    }
  }

  #operatorType(f: Fields, scope: Scope): SqlType | undefined {
    if (f.kind !== 'AEXPR_OP') return f.kind === 'AEXPR_NULLIF' ? this.#type(f.lexpr, scope) : T.boolean;
    const names = namesOf(f.name) ?? [];
    const op = names[names.length - 1] ?? '';
    if (booleanOps.has(op)) return T.boolean;
    const r = this.#type(f.rexpr, scope);
    if (f.lexpr === undefined) return op === '-' || op === '+' ? r : undefined;
    const l = this.#type(f.lexpr, scope);
    if (l?.name === 'jsonb' && jsonbOperatorTypes[op] !== undefined) return jsonbOperatorTypes[op];
    if (op === '||' && r?.name === 'jsonb' && stringConstant(f.lexpr) !== undefined) return T.jsonb;
    if (op === '||') return l?.name === 'array' ? l : r?.name === 'array' ? r : T.text;
    if (l === undefined || r === undefined) return undefined;
    if (op === '^') return l.name === 'numeric' || r.name === 'numeric' ? T.numeric : T.float8;
    if (integerOps.has(op) && isNumeric(l) && isNumeric(r)) return numericCommon(l, r);
    const time = (t: SqlType) => t.name === 'timestamp' || t.name === 'timestamptz';
    if (op === '-' && time(l) && time(r)) return T.interval;
    if ((op === '+' || op === '-') && time(l) && r.name === 'interval') return l;
    if (op === '+' && l.name === 'interval' && time(r)) return r;
    if ((op === '+' || op === '-') && l.name === 'date' && isInteger(r)) return T.date;
    if (op === '-' && l.name === 'date' && r.name === 'date') return T.int4;
    if ((op === '+' || op === '-') && l.name === 'date' && r.name === 'interval') return T.timestamp;
    if ((op === '*' || op === '/') && l.name === 'interval' && isNumeric(r)) return T.interval;
    if (op === '*' && isNumeric(l) && r.name === 'interval') return T.interval;
    if ((op === '+' || op === '-') && l.name === 'interval' && r.name === 'interval') return T.interval;
    if (isString(l) && isString(r)) return undefined;
    return undefined;
  }
}

function valueFunctionType(op: string): SqlType | undefined {
  if (op.startsWith('SVFOP_CURRENT_DATE')) return T.date;
  if (op.startsWith('SVFOP_CURRENT_TIMESTAMP')) return T.timestamptz;
  if (op.startsWith('SVFOP_LOCALTIMESTAMP')) return T.timestamp;
  if (op.startsWith('SVFOP_LOCALTIME')) return T.time;
  if (op.startsWith('SVFOP_CURRENT_TIME')) return undefined;
  return T.varchar;
}
