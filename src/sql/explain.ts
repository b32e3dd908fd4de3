/**
 * EXPLAIN: an indented text rendering of a logical plan, one node per line, children
 * indented below their parent. Expressions are shown with their input's column names.
 */
import type { BoundExpr } from './expr.ts';
import { formatInterval } from './literals.ts';
import { formatNumeric, isNumericValue } from './numeric.ts';
import type { OptimizerTrace } from './optimizer/optimize.ts';
import {
  type AggregateCall,
  defaultFrame,
  type FrameBound,
  type Plan,
  type PlanColumn,
  planInputs,
  type SortKey,
  type WindowCall,
  type WindowFrame,
} from './plan.ts';
import { bigintReplacer, shortType } from './types.ts';

export interface ExplainOptions {
  /** Also print each node's output columns with their types. */
  readonly verbose?: boolean;
}

/**
 * `EXPLAIN (TRACE)`: the plan as bound, then as each optimizer rule left it ("unchanged" when
 * the rule found nothing to rewrite).
 */
export function explainTrace(trace: OptimizerTrace, options: ExplainOptions = {}): string {
  const lines = ['bound plan'];
  const indented = (p: Plan) => {
    for (const l of explainPlan(p, options).split('\n')) lines.push(`  ${l}`);
  };
  indented(trace.bound);
  let last = trace.bound;
  for (const step of trace.steps) {
    if (step.plan === last) lines.push(`after rule "${step.rule}": unchanged`);
    else {
      lines.push(`after rule "${step.rule}"`);
      indented(step.plan);
    }
    last = step.plan;
  }
  return lines.join('\n');
}

export function explainPlan(plan: Plan, options: ExplainOptions = {}): string {
  const lines: string[] = [];
  render(plan, 0, lines, options.verbose === true);
  return lines.join('\n');
}

function render(p: Plan, depth: number, out: string[], verbose: boolean): void {
  const pad = '  '.repeat(depth);
  out.push(`${pad}${describe(p)}`);
  if (verbose) out.push(`${pad}  -> (${p.columns.map((c) => `${c.name} ${shortType(c.type)}`).join(', ')})`);
  for (const i of planInputs(p)) render(i, depth + 1, out, verbose);
}

function inputColumns(p: Plan): readonly PlanColumn[] {
  const ins = planInputs(p);
  if (p.kind === 'Join') return [...p.left.columns, ...p.right.columns];
  return ins[0]?.columns ?? [];
}

function describe(p: Plan): string {
  const cols = inputColumns(p);
  const ex = (e: BoundExpr) => exprToString(e, cols);
  const list = (es: readonly BoundExpr[]) => es.map(ex).join(', ');
  const keys = (ks: readonly SortKey[]) => ks.map((k) => sortKeyToString(k, cols)).join(', ');
  switch (p.kind) {
    case 'Scan':
      return `Scan ${p.relation} (${p.relationKind})`;
    case 'Values':
      return `Values ${p.rows.length} row${p.rows.length === 1 ? '' : 's'}`;
    case 'Filter':
      return `Filter ${ex(p.predicate)}`;
    case 'Project':
      return `Project ${p.exprs.map((e, i) => named(ex(e), p.columns[i]?.name)).join(', ')}`;
    case 'Tumble':
      return `Tumble time=${cols[p.timeColumn]?.name ?? `#${p.timeColumn}`} size=${formatInterval(p.size)}${offsetText(p.offset)}`;
    case 'Hop':
      return `Hop time=${cols[p.timeColumn]?.name ?? `#${p.timeColumn}`} slide=${formatInterval(p.slide)} size=${formatInterval(p.size)}${offsetText(p.offset)}`;
    case 'Aggregate': {
      const aggs = p.aggregates.map((a) => aggToString(a, cols));
      return `Aggregate group=[${list(p.groupKeys)}]${aggs.length > 0 ? ` aggs=[${aggs.join(', ')}]` : ''}`;
    }
    case 'Window':
      return `Window partition=[${list(p.partitionBy)}] order=[${keys(p.orderBy)}] functions=[${p.functions
        .map((f) => windowToString(f, cols))
        .join(', ')}]`;
    case 'TopN':
      return `TopN limit=${p.limit}${p.offset > 0 ? ` offset=${p.offset}` : ''} partition=[${list(p.partitionBy)}] order=[${keys(
        p.orderBy,
      )}]${p.rankFunction === undefined ? '' : ` rank=${p.rankFunction}`}`;
    case 'Join':
      return `${p.processTime === true ? 'TemporalJoin' : 'Join'} ${p.joinType} on [${p.leftKeys
        .map((k, i) => {
          const r = p.rightKeys[i];
          return `${exprToString(k, p.left.columns)} = ${r === undefined ? '?' : exprToString(r, p.right.columns)}`;
        })
        .join(', ')}]${p.residual === undefined ? '' : ` residual=${ex(p.residual)}`}`;
    case 'ProjectSet':
      return `ProjectSet functions=[${p.functions
        .map((f) => `${f.fn}(${f.args.map((a) => exprToString(a, p.input.columns)).join(', ')})`)
        .join(', ')}]`;
    case 'UnionAll':
      return `UnionAll ${p.inputs.length} inputs`;
    case 'Sort':
      return `Sort ${keys(p.keys)}`;
    case 'Limit':
      return `Limit ${p.limit ?? 'ALL'}${p.offset > 0 ? ` offset ${p.offset}` : ''}`;
    default: {
      const never: never = p;
      return never;
    }
  }
}

function offsetText(iv: { months: number; days: number; micros: number }): string {
  return iv.months === 0 && iv.days === 0 && iv.micros === 0 ? '' : ` offset=${formatInterval(iv)}`;
}

function named(text: string, name: string | undefined): string {
  return name === undefined || text === name ? text : `${text} AS ${name}`;
}

function sortKeyToString(k: SortKey, cols: readonly PlanColumn[]): string {
  const e = exprToString(k.expr, cols);
  const dir = k.descending ? ' DESC' : '';
  const nulls = k.nullsFirst !== k.descending ? (k.nullsFirst ? ' NULLS FIRST' : ' NULLS LAST') : '';
  return `${e}${dir}${nulls}`;
}

function aggToString(a: AggregateCall, cols: readonly PlanColumn[]): string {
  const ex = (e: BoundExpr) => exprToString(e, cols);
  const filter = a.filter === undefined ? '' : ` FILTER (WHERE ${ex(a.filter)})`;
  if (a.fn === 'count_star') return `count(*)${filter}`;
  if (a.fn === 'percentile_cont' || a.fn === 'percentile_disc' || a.fn === 'approx_percentile')
    return `${a.fn}(${a.direct.map(ex).join(', ')}) WITHIN GROUP (ORDER BY ${a.orderBy
      .map((k) => sortKeyToString(k, cols))
      .join(', ')})${filter}`;
  const order =
    a.orderBy.length > 0 ? ` ORDER BY ${a.orderBy.map((k) => sortKeyToString(k, cols)).join(', ')}` : '';
  return `${a.fn}(${a.distinct ? 'DISTINCT ' : ''}${a.args.map(ex).join(', ')}${order})${filter}`;
}

function windowToString(f: WindowCall, cols: readonly PlanColumn[]): string {
  const call =
    f.fn === 'count_star' ? 'count(*)' : `${f.fn}(${f.args.map((e) => exprToString(e, cols)).join(', ')})`;
  return f.frame === defaultFrame ? call : `${call} ${frameToString(f.frame, cols)}`;
}

function frameToString(f: WindowFrame, cols: readonly PlanColumn[]): string {
  if (f.mode === 'session') return `SESSION (next at ${exprToString(f.next, cols)})`;
  const bound = (b: FrameBound, which: 'start' | 'end'): string => {
    switch (b.kind) {
      case 'unbounded':
        return which === 'start' ? 'UNBOUNDED PRECEDING' : 'UNBOUNDED FOLLOWING';
      case 'current_row':
        return 'CURRENT ROW';
      case 'offset':
        return `${Math.abs(b.offset)} ${b.offset < 0 ? 'PRECEDING' : 'FOLLOWING'}`;
      case 'value':
        return `VALUE ${exprToString(b.value, cols)}`;
      default: {
        const never: never = b;
        return String(never);
      }
    }
  };
  return `${f.mode.toUpperCase()} BETWEEN ${bound(f.start, 'start')} AND ${bound(f.end, 'end')}`;
}

const infix = new Set([
  '+',
  '-',
  '*',
  '/',
  '%',
  '^',
  '=',
  '<>',
  '<',
  '<=',
  '>',
  '>=',
  '||',
  '~~',
  '!~~',
  '~~*',
  '!~~*',
  '~',
  '!~',
  '~*',
  '!~*',
]);

/** SQL-like text of a bound expression, column references by name (`#i` if unnamed). */
export function exprToString(e: BoundExpr, cols: readonly PlanColumn[]): string {
  const ex = (x: BoundExpr) => exprToString(x, cols);
  switch (e.kind) {
    case 'ColumnRef':
      return cols[e.index]?.name ?? e.name ?? `#${e.index}`;
    case 'Literal':
      return literalToString(e.value, e.type.name);
    case 'Call':
      if (infix.has(e.fn) && e.args.length === 2)
        return `(${ex(e.args[0] as BoundExpr)} ${e.fn} ${ex(e.args[1] as BoundExpr)})`;
      if (e.fn === 'neg') return `-${ex(e.args[0] as BoundExpr)}`;
      return `${e.fn}(${e.args.map(ex).join(', ')})`;
    case 'Cast':
      return `${ex(e.arg)}::${shortType(e.type)}`;
    case 'Case':
      return `CASE ${e.whens.map((w) => `WHEN ${ex(w.condition)} THEN ${ex(w.result)}`).join(' ')} ELSE ${ex(e.else)} END`;
    case 'And':
      return `(${e.args.map(ex).join(' AND ')})`;
    case 'Or':
      return `(${e.args.map(ex).join(' OR ')})`;
    case 'Not':
      return `NOT ${ex(e.arg)}`;
    case 'IsNull':
      return `${ex(e.arg)} IS ${e.negated ? 'NOT ' : ''}NULL`;
    case 'InList':
      return `${ex(e.arg)} ${e.negated ? 'NOT ' : ''}IN (${e.list.map(ex).join(', ')})`;
    case 'Coalesce':
      return `coalesce(${e.args.map(ex).join(', ')})`;
    case 'NullIf':
      return `nullif(${ex(e.left)}, ${ex(e.right)})`;
    default: {
      const never: never = e;
      return never;
    }
  }
}

function literalToString(v: unknown, type: string): string {
  if (v === null) return 'NULL';
  // a numeric literal as written: 1.50, not 1.5
  if (isNumericValue(v)) return v.special === undefined ? formatNumeric(v) : `'${v.special}'::numeric`;
  if (typeof v === 'string') return `'${v.replaceAll("'", "''")}'`;
  if (type === 'interval' && typeof v === 'object') return `'${formatInterval(v as never)}'::interval`;
  if (typeof v === 'object') return JSON.stringify(v, bigintReplacer);
  return String(v);
}
