/**
 * Compile step: the SQL front end's logical plan (src/sql/plan.ts) → operators of a
 * `Dataflow` (src/stream). Expressions become plain row functions through the evaluator
 * (src/engine/eval); plan nodes map one to one onto operators:
 *
 * | plan                 | operator                                                   |
 * | -------------------- | ---------------------------------------------------------- |
 * | Scan                 | `ScanPort` hung on the relation's upstream operator        |
 * | Values               | a one-off dataflow source, fed once                        |
 * | Filter / Project     | `Filter` / `Project` (`selectColumns` for plain columns)   |
 * | Tumble / Hop         | `Tumble` / `Hop` (intervals in microseconds)               |
 * | Aggregate            | `Aggregate` (one accumulator per call)                     |
 * | Window               | `OverWindow`                                               |
 * | TopN                 | `TopN`                                                     |
 * | Join                 | `Join`; `TemporalJoin` for FOR SYSTEM_TIME AS OF PROCTIME() |
 * | UnionAll             | `Union`                                                    |
 * | Sort                 | nothing: a view's order is applied when it is read         |
 * | Limit (over Sort)    | a global `TopN`                                            |
 *
 * Each relation is read once: the caller says which operator carries a relation's changes
 * (`upstream`): a source's or table's dataflow source, or an upstream view's `Materialize`.
 * Every Scan hangs a `ScanPort` on it, where a new view is backfilled.
 *
 * Common subplans are compiled once. Within a query, equal subplans (a CTE read twice) share
 * one operator. Across queries, stateless subplans (scan, filter, project, tumble, hop,
 * union) over relations whose past is not replayed into new views (sources) are kept in
 * `ctx.shared` and reused: five views over `TUMBLE(website_logs_source, …)` tumble each
 * event once. The caller counts which queries use which operators (`operators`) and
 * removes an operator from the dataflow when its last user is dropped.
 */
import { notSupported, SqlError, SqlState } from '../sql/errors.ts';
import type { BoundExpr } from '../sql/expr.ts';
import { intervalMicros } from '../sql/literals.ts';
import {
  defaultFrame,
  type Plan,
  type AggregateCall as PlanAggregateCall,
  type FrameBound as PlanFrameBound,
  type SortKey as PlanSortKey,
  type WindowFrame as PlanWindowFrame,
  planInputs,
} from '../sql/plan.ts';
import { uniqueKey } from '../sql/plan-keys.ts';
import { toJson } from '../sql/to-jsonb.ts';
import type { Interval } from '../sql/types.ts';
import type { AggregateCall } from '../stream/aggregates/accumulator.ts';
import type { Chunk } from '../stream/chunk.ts';
import type { Dataflow } from '../stream/graph.ts';
import { Operator } from '../stream/operator.ts';
import { Aggregate, type GroupKey } from '../stream/operators/aggregate.ts';
import { EowcOverWindow } from '../stream/operators/eowc-over-window.ts';
import { Expire } from '../stream/operators/expire.ts';
import { Filter } from '../stream/operators/filter.ts';
import { Hop } from '../stream/operators/hop.ts';
import { Join } from '../stream/operators/join.ts';
import { OverWindow, type WindowCall } from '../stream/operators/over-window.ts';
import { Project, selectColumns } from '../stream/operators/project.ts';
import { ProjectSet } from '../stream/operators/project-set.ts';
import { TemporalJoin } from '../stream/operators/temporal-join.ts';
import { TopN } from '../stream/operators/top-n.ts';
import { Tumble } from '../stream/operators/tumble.ts';
import { Union } from '../stream/operators/union.ts';
import type { Row, SortKey, Value } from '../stream/value.ts';
import type { FrameBound, WindowFrame } from '../stream/window-frame.ts';
import { compileExpr, compilePredicate } from './eval/compile.ts';
import type { EvalOptions } from './eval/functions/registry.ts';
import { insertOnly } from './insert-only.ts';
import { joinWatermarkKeys, planWatermarks, watermarkKeys } from './plan-watermarks.ts';
import { elementsOf } from './set-returning.ts';
import { clockInView, readsClock, splitTemporal } from './temporal-filter.ts';

/**
 * Pass-through at the entry of a compiled query: forwards its upstream's changes; `inject`
 * feeds a backfill into the compiled query only.
 */
export class ScanPort extends Operator {
  readonly arity = 1;
  readonly relation: string;

  constructor(relation: string) {
    super(`scan ${relation}`);
    this.relation = relation;
  }

  protected onChunk(chunk: Chunk): void {
    this.emit(chunk);
  }

  inject(chunk: Chunk): void {
    this.stats.rowsIn += chunk.rows.length;
    this.emit(chunk);
  }
}

export interface CompileContext {
  readonly graph: Dataflow;
  /** The operator carrying a relation's changes. */
  readonly upstream: (relation: string) => Operator;
  /** Unique name for a one-off source (VALUES). */
  readonly uniqueName: (base: string) => string;
  /** Stateless operators shared across queries, by plan (see the header); omit to share none. */
  readonly shared?: Map<string, Operator>;
  /** Whether a relation's past is never replayed into a new query (so its scan can be shared). */
  readonly liveOnly?: (relation: string) => boolean;
  /**
   * The plan runs for ever (a view): NOW() is allowed only in temporal filters, which become
   * `Expire` operators. Off for a one-off query, where NOW() is simply the current time.
   */
  readonly continuous?: boolean;
  /** Evaluator options: the clock NOW() reads in a one-off query. */
  readonly eval?: EvalOptions;
  /** The columns of a relation that carry a watermark (none when omitted). */
  readonly watermarks?: (relation: string) => readonly number[];
  /** The columns a relation's rows are unique on, when known (`relationKey`). */
  readonly keyOf?: (relation: string) => readonly number[] | undefined;
  /**
   * EMIT ON WINDOW CLOSE: window functions ordered by a watermark column emit each row once,
   * when final (eowc-over-window.ts).
   */
  readonly emitOnWindowClose?: boolean;
}

export interface CompiledQuery {
  /** The operator producing the query's changes. */
  readonly output: Operator;
  /** Every operator the query uses, its own and shared ones (statistics, removal). */
  readonly operators: readonly Operator[];
  /** Output columns that carry a watermark (see plan-watermarks.ts). */
  readonly watermarkColumns: readonly number[];
  readonly scans: readonly ScanPort[];
  /** One-off sources of VALUES lists with the rows to push into them once. */
  readonly constants: readonly { readonly source: string; readonly rows: readonly Row[] }[];
  /** Whether window functions emit on window close themselves (nothing to hold back after them). */
  readonly closesWindows: boolean;
}

type RowFn = (row: Row) => Value;

/** Compiles `plan` into `ctx.graph`. On error, the operators it added are removed again. */
export function compilePlan(plan: Plan, ctx: CompileContext): CompiledQuery {
  const c = new PlanCompiler(ctx);
  try {
    const output = c.node(plan);
    return {
      output,
      operators: [...c.operators],
      watermarkColumns: c.watermarks(plan),
      scans: c.scans,
      constants: c.constants,
      closesWindows: c.closesWindows,
    };
  } catch (e) {
    ctx.graph.remove(c.added);
    if (ctx.shared !== undefined) forgetShared(ctx.shared, c.added);
    throw e;
  }
}

/** Drops removed operators from a shared-subplan map. */
export function forgetShared(shared: Map<string, Operator>, removed: Iterable<Operator>): void {
  const gone = new Set(removed);
  for (const [k, op] of shared) if (gone.has(op)) shared.delete(k);
}

/** JSON of plans and expressions that keeps bigints (int8, numeric digits), ±Infinity, NaN and −0 apart. */
function keyReplacer(_k: string, v: unknown): unknown {
  if (typeof v === 'bigint') return `${v}n`;
  if (typeof v === 'number' && (!Number.isFinite(v) || Object.is(v, -0)))
    return `#${Object.is(v, -0) ? '-0' : v}`;
  return v;
}

/** A plan's identity: equal keys compute equal changes from the same inputs. */
function planKey(p: Plan): string {
  return JSON.stringify(p, keyReplacer);
}

/** Integer and float4 values are already doubles: their cast to float8 changes nothing. */
const widensToFloat8: ReadonlySet<string> = new Set(['int2', 'int4', 'int8', 'float4']);

function withoutWideningCast(e: BoundExpr): BoundExpr {
  return e.kind === 'Cast' && e.type.name === 'float8' && widensToFloat8.has(e.arg.type.name) ? e.arg : e;
}

const statelessKinds: ReadonlySet<Plan['kind']> = new Set(['Filter', 'Project', 'Tumble', 'Hop', 'UnionAll']);

/** Evaluates a constant expression (no column references). */
export function constant(e: BoundExpr, options?: EvalOptions): Value {
  return compileExpr(e, options)([]);
}

function micros(iv: Interval, what: string): number {
  const m = intervalMicros(iv);
  if (m === undefined) throw notSupported(`${what} with months`);
  return m;
}

class PlanCompiler {
  readonly ctx: CompileContext;
  /** Operators the query uses, in the order first used. */
  readonly operators = new Set<Operator>();
  /** Operators this compile added to the graph. */
  readonly added: Operator[] = [];
  readonly scans: ScanPort[] = [];
  /** Operators by plan key, within this query. */
  readonly #memo = new Map<string, Operator>();
  readonly constants: { source: string; rows: Row[] }[] = [];
  closesWindows = false;
  /** Compiled expressions by structure, so equal arguments share one function (and state). */
  readonly #fns = new Map<string, RowFn>();
  readonly #preds = new Map<string, (row: Row) => boolean | null>();

  constructor(ctx: CompileContext) {
    this.ctx = ctx;
  }

  #add<T extends Operator>(op: T, ...inputs: Operator[]): T {
    this.ctx.graph.add(op, ...inputs);
    this.added.push(op);
    this.operators.add(op);
    return op;
  }

  /** The operator computing `p`: a shared one when an equal subplan was compiled before. */
  node(p: Plan): Operator {
    const key = planKey(p);
    const known = this.#memo.get(key);
    if (known !== undefined) return known;
    const shared = this.#shareable(p) ? this.ctx.shared : undefined;
    let op = shared?.get(key);
    if (op === undefined) {
      op = this.#build(p);
      shared?.set(key, op);
    } else {
      for (const input of planInputs(p)) this.node(input); // count the shared ancestors as used
      this.operators.add(op);
      if (op instanceof ScanPort) this.scans.push(op);
    }
    this.#memo.set(key, op);
    return op;
  }

  watermarks(p: Plan): number[] {
    return planWatermarks(p, (relation) => this.ctx.watermarks?.(relation) ?? []);
  }

  #shareable(p: Plan): boolean {
    if (this.ctx.shared === undefined) return false;
    if (p.kind === 'Scan') return this.ctx.liveOnly?.(p.relation) === true;
    if (p.kind === 'Filter' && readsClock(p.predicate)) return false; // a temporal filter holds state
    return statelessKinds.has(p.kind) && planInputs(p).every((i) => this.#shareable(i));
  }

  fn(e: BoundExpr): RowFn {
    if (this.ctx.continuous === true && readsClock(e)) throw clockInView();
    const k = JSON.stringify(e, keyReplacer);
    let f = this.#fns.get(k);
    if (f === undefined) {
      f = compileExpr(e, this.ctx.eval) as RowFn;
      this.#fns.set(k, f);
    }
    return f;
  }

  pred(e: BoundExpr): (row: Row) => boolean | null {
    if (this.ctx.continuous === true && readsClock(e)) throw clockInView();
    const k = `?${JSON.stringify(e, keyReplacer)}`;
    let f = this.#preds.get(k);
    if (f === undefined) {
      f = compilePredicate(e, this.ctx.eval) as (row: Row) => boolean | null;
      this.#preds.set(k, f);
    }
    return f;
  }

  keys(es: readonly BoundExpr[]): ((row: Row) => Value[]) | undefined {
    if (es.length === 0) return undefined;
    const fs = es.map((e) => this.fn(e));
    if (fs.length === 1) {
      const f0 = fs[0] as RowFn;
      return (row) => [f0(row)];
    }
    return (row) => fs.map((f) => f(row));
  }

  /** An aggregate's group key, written into the operator's scratch array. */
  groupKey(es: readonly BoundExpr[]): GroupKey | undefined {
    if (es.length === 0) return undefined;
    const cols = es.map((e) => (e.kind === 'ColumnRef' ? e.index : -1));
    if (cols.every((c) => c >= 0)) {
      const n = cols.length;
      return (row, out) => {
        for (let i = 0; i < n; i++) out[i] = row[cols[i] as number] as Value;
        return out;
      };
    }
    const fs = es.map((e) => this.fn(e));
    const n = fs.length;
    return (row, out) => {
      for (let i = 0; i < n; i++) out[i] = (fs[i] as RowFn)(row);
      return out;
    };
  }

  /** A call's frame for the window operator; nothing for the default frame. */
  frame(f: PlanWindowFrame): { frame?: WindowFrame } {
    if (f === defaultFrame) return {};
    if (f.mode === 'session') return { frame: { mode: 'session', next: this.fn(f.next) } };
    const bound = (b: PlanFrameBound): FrameBound =>
      b.kind === 'value' ? { kind: 'value', value: this.fn(b.value) } : b;
    return { frame: { mode: f.mode, start: bound(f.start), end: bound(f.end) } };
  }

  sortKeys(ks: readonly PlanSortKey[]): SortKey[] {
    return ks.map((k) => ({ value: this.fn(k.expr), desc: k.descending, nullsFirst: k.nullsFirst }));
  }

  #build(p: Plan): Operator {
    switch (p.kind) {
      case 'Scan': {
        const up = this.ctx.upstream(p.relation);
        const port = this.#add(new ScanPort(p.relation), up);
        this.scans.push(port);
        return port;
      }
      case 'Values': {
        const name = this.ctx.uniqueName('values');
        const src = this.ctx.graph.source(name, p.columns.length);
        this.added.push(src);
        this.operators.add(src);
        const rows = p.rows.map((r) => r.map((e) => constant(e, this.ctx.eval)));
        this.constants.push({ source: name, rows });
        return src;
      }
      case 'Filter': {
        const input = this.node(p.input);
        if (this.ctx.continuous !== true) return this.#add(new Filter(this.pred(p.predicate)), input);
        const { plain, temporal } = splitTemporal(p.predicate);
        let op = plain === undefined ? input : this.#add(new Filter(this.pred(plain)), input);
        for (const t of temporal) op = this.#add(new Expire({ ...t, clock: 'processing-time' }), op);
        return op;
      }
      case 'Project': {
        const input = this.node(p.input);
        if (p.exprs.every((e) => e.kind === 'ColumnRef')) {
          const cols = p.exprs.map((e) => (e.kind === 'ColumnRef' ? e.index : -1));
          const identity = cols.length === p.input.columns.length && cols.every((c, i) => c === i);
          if (identity) return input;
          return this.#add(selectColumns(cols), input);
        }
        const fs = p.exprs.map((e) => this.fn(e));
        const copies = p.exprs.flatMap((e, i) => (e.kind === 'ColumnRef' ? [[e.index, i] as const] : []));
        return this.#add(
          new Project((row) => fs.map((f) => f(row)), { watermarks: copies, columns: fs }),
          input,
        );
      }
      case 'Tumble':
        return this.#add(
          new Tumble({
            timeColumn: p.timeColumn,
            size: micros(p.size, 'TUMBLE size'),
            offset: micros(p.offset, 'TUMBLE offset'),
            width: p.input.columns.length,
          }),
          this.node(p.input),
        );
      case 'Hop':
        return this.#add(
          new Hop({
            timeColumn: p.timeColumn,
            slide: micros(p.slide, 'HOP slide'),
            size: micros(p.size, 'HOP size'),
            offset: micros(p.offset, 'HOP offset'),
            width: p.input.columns.length,
          }),
          this.node(p.input),
        );
      case 'Aggregate': {
        const input = this.node(p.input);
        const groupBy = this.groupKey(p.groupKeys);
        const inserts = this.ctx.continuous === true && insertOnly(p.input);
        const calls = p.aggregates.map((a) => this.aggregateCall(a, inserts));
        const watermarks = watermarkKeys(p.groupKeys, this.watermarks(p.input));
        return this.#add(
          new Aggregate(groupBy === undefined ? { calls } : { groupBy, calls, watermarks }),
          input,
        );
      }
      case 'Window': {
        const input = this.node(p.input);
        const partitionBy = this.keys(p.partitionBy);
        const calls: WindowCall[] = p.functions.map((f): WindowCall => {
          switch (f.fn) {
            case 'row_number':
            case 'rank':
            case 'dense_rank':
              return { kind: f.fn };
            case 'lag':
            case 'lead': {
              const arg = this.fn(f.args[0] as BoundExpr);
              const off = f.args[1] === undefined ? 1 : Number(constant(f.args[1]));
              const def = f.args[2] === undefined ? null : constant(f.args[2]);
              return { kind: f.fn, arg, offset: off, default: def };
            }
            case 'first_value':
            case 'last_value':
              return { kind: f.fn, arg: this.fn(f.args[0] as BoundExpr), ...this.frame(f.frame) };
            case 'count_star':
              return { kind: 'count', ...this.frame(f.frame) };
            case 'sum':
            case 'avg': {
              const exact =
                f.type.name === 'int8' ? 'int8' : f.type.name === 'numeric' ? 'numeric' : undefined;
              const arg = this.fn(f.args[0] as BoundExpr);
              return { kind: f.fn, arg, ...(exact === undefined ? {} : { exact }), ...this.frame(f.frame) };
            }
            case 'count':
            case 'min':
            case 'max':
              return { kind: f.fn, arg: this.fn(f.args[0] as BoundExpr), ...this.frame(f.frame) };
            default: {
              const never: never = f.fn;
              throw notSupported(`window function ${String(never)}`);
            }
          }
        });
        const inputWatermarks = this.watermarks(p.input);
        const first = p.orderBy[0];
        if (
          this.ctx.emitOnWindowClose === true &&
          first?.expr.kind === 'ColumnRef' &&
          !first.descending &&
          inputWatermarks.includes(first.expr.index)
        ) {
          checkClosable(p);
          this.closesWindows = true;
          return this.#add(
            new EowcOverWindow({
              calls,
              orderBy: this.sortKeys(p.orderBy),
              watermarkColumn: first.expr.index,
              passWatermarks: watermarkKeys(p.partitionBy, inputWatermarks).map(([c]) => c),
              ...(partitionBy === undefined ? {} : { partitionBy }),
            }),
            input,
          );
        }
        const o = {
          calls,
          orderBy: this.sortKeys(p.orderBy),
          watermarks: watermarkKeys(p.partitionBy, inputWatermarks),
          ...(partitionBy === undefined ? {} : { partitionBy }),
        };
        return this.#add(new OverWindow(o), input);
      }
      case 'TopN': {
        const input = this.node(p.input);
        const partitionBy = this.keys(p.partitionBy);
        return this.#add(
          new TopN({
            orderBy: this.sortKeys(p.orderBy),
            limit: p.limit,
            offset: p.offset,
            rank: p.rankFunction ?? 'row_number',
            withRank: p.rankFunction !== undefined,
            watermarks: watermarkKeys(p.partitionBy, this.watermarks(p.input)),
            ...(partitionBy === undefined ? {} : { partitionBy }),
          }),
          input,
        );
      }
      case 'Join': {
        // A temporal join's right side is compiled (and so backfilled) first: the left rows of a
        // backfill must meet the table as it is.
        const lookup = p.processTime === true ? this.node(p.right) : undefined;
        const left = this.node(p.left);
        const right = lookup ?? this.node(p.right);
        const lk = this.keys(p.leftKeys) ?? (() => []);
        const rk = this.keys(p.rightKeys) ?? (() => []);
        const residual = p.residual === undefined ? undefined : this.pred(p.residual);
        if (p.processTime === true) {
          if (p.joinType === 'full') throw notSupported('FULL JOIN with FOR SYSTEM_TIME AS OF PROCTIME()');
          const cleanColumn = this.watermarks(p.left)[0];
          const leftUnique = uniqueKey(p.left, this.ctx.keyOf);
          return this.#add(
            new TemporalJoin({
              type: p.joinType,
              leftKey: lk,
              rightKey: rk,
              leftWidth: p.left.columns.length,
              rightWidth: p.right.columns.length,
              ...(residual === undefined ? {} : { residual }),
              ...(cleanColumn === undefined ? {} : { cleanColumn }),
              ...(leftUnique === undefined ? {} : { leftUnique }),
            }),
            left,
            right,
          );
        }
        return this.#add(
          new Join({
            type: p.joinType,
            leftKey: lk,
            rightKey: rk,
            leftWidth: p.left.columns.length,
            rightWidth: p.right.columns.length,
            watermarkKeys: joinWatermarkKeys(p, this.watermarks(p.left), this.watermarks(p.right)),
            ...(residual === undefined ? {} : { residual }),
          }),
          left,
          right,
        );
      }
      case 'UnionAll': {
        const ins = p.inputs.map((i) => this.node(i));
        if (ins.length === 1) return ins[0] as Operator;
        return this.#add(new Union(ins.length), ...ins);
      }
      case 'ProjectSet': {
        const input = this.node(p.input);
        const functions = p.functions.map((f) =>
          elementsOf(
            f,
            f.args.map((a) => this.fn(a)),
          ),
        );
        return this.#add(new ProjectSet(functions), input);
      }
      case 'Sort':
        return this.node(p.input);
      case 'Limit': {
        const sorted = p.input.kind === 'Sort' ? p.input : undefined;
        const input = this.node(sorted?.input ?? p.input);
        return this.#add(
          new TopN({
            orderBy: sorted === undefined ? [] : this.sortKeys(sorted.keys),
            limit: p.limit ?? Number.POSITIVE_INFINITY,
            offset: p.offset,
          }),
          input,
        );
      }
      default: {
        const never: never = p;
        throw new SqlError(SqlState.featureNotSupported, `plan node ${String(never)}`);
      }
    }
  }

  /** jsonb_agg's value as jsonb; jsonb_object_agg's `[key, value as jsonb]`. */
  jsonArgument(args: readonly BoundExpr[]): (row: Row) => Value {
    const [k, v] = args as [BoundExpr, BoundExpr | undefined];
    const key = this.fn(k);
    if (v === undefined) return (row) => toJson(key(row), k.type);
    const value = this.fn(v);
    return (row) => [key(row), toJson(value(row), v.type)];
  }

  /** `insertOnlyInput`: the aggregate's input never retracts (see insert-only.ts). */
  aggregateCall(a: PlanAggregateCall, insertOnlyInput = false): AggregateCall {
    const filter = a.filter === undefined ? undefined : this.pred(a.filter);
    const base = {
      ...(filter === undefined ? {} : { filter }),
      ...(a.distinct ? { distinct: true, ...(insertOnlyInput ? { insertOnly: true } : {}) } : {}),
    };
    const arg0 = a.args[0];
    switch (a.fn) {
      case 'count_star':
        return { kind: 'count', ...base };
      case 'percentile_cont':
      case 'percentile_disc':
      case 'approx_percentile': {
        const key = a.orderBy[0];
        const argExpr = key?.expr ?? arg0;
        if (argExpr === undefined) throw notSupported(`${a.fn} without WITHIN GROUP`);
        const f = a.direct[0] === undefined ? 0.5 : Number(constant(a.direct[0]));
        return {
          kind: a.fn,
          // Same values as the uncast column, so min/max over it can share the sorted values.
          arg: this.fn(withoutWideningCast(argExpr)),
          fraction: f,
          ...(key?.descending === true ? { desc: true } : {}),
          ...base,
        };
      }
      case 'string_agg': {
        const sep = a.args[1] === undefined ? ',' : constant(a.args[1]);
        return {
          kind: 'string_agg',
          arg: this.fn(arg0 as BoundExpr),
          separator: sep === null ? '' : String(sep),
          ...(a.orderBy.length > 0 ? { orderBy: this.sortKeys(a.orderBy) } : {}),
          ...base,
        };
      }
      case 'array_agg':
      case 'first_value':
      case 'last_value':
        return {
          kind: a.fn,
          arg: this.fn(arg0 as BoundExpr),
          ...(a.orderBy.length > 0 ? { orderBy: this.sortKeys(a.orderBy) } : {}),
          ...base,
        };
      case 'jsonb_agg':
      case 'jsonb_object_agg':
        return {
          kind: a.fn,
          arg: this.jsonArgument(a.args),
          ...(a.orderBy.length > 0 ? { orderBy: this.sortKeys(a.orderBy) } : {}),
          ...base,
        };
      case 'mode':
        return {
          kind: 'mode',
          arg: this.fn(arg0 as BoundExpr),
          ...(a.orderBy[0]?.descending === true ? { desc: true } : {}),
          ...base,
        };
      case 'sum':
      case 'avg':
      case 'stddev_samp':
      case 'stddev_pop':
      case 'var_samp':
      case 'var_pop': {
        if (arg0 === undefined) throw notSupported(`${a.fn} without argument`);
        const exact = a.type.name === 'int8' ? 'int8' : a.type.name === 'numeric' ? 'numeric' : undefined;
        const real = a.fn === 'sum' && a.type.name === 'float4';
        return {
          kind: a.fn,
          arg: this.fn(arg0),
          ...(exact === undefined ? {} : { exact }),
          ...(real ? { real } : {}),
          ...base,
        };
      }
      case 'min':
      case 'max':
        if (arg0 === undefined) throw notSupported(`${a.fn} without argument`);
        return { kind: a.fn, arg: this.fn(arg0), ...(insertOnlyInput ? { insertOnly: true } : {}), ...base };
      case 'count':
      case 'bool_and':
      case 'bool_or':
        if (arg0 === undefined) throw notSupported(`${a.fn} without argument`);
        return { kind: a.fn, arg: this.fn(arg0), ...base };
      default: {
        const never: never = a.fn;
        throw notSupported(`aggregate ${String(never)}`);
      }
    }
  }
}

/** Window functions that see rows no watermark ever completes cannot emit on window close. */
function checkClosable(p: Extract<Plan, { kind: 'Window' }>): void {
  for (const f of p.functions)
    if (f.frame.mode !== 'session' && f.frame.end.kind === 'unbounded' && !RANKING.has(f.fn))
      throw notSupported(`${f.fn} over a frame to UNBOUNDED FOLLOWING with EMIT ON WINDOW CLOSE`);
}

const RANKING = new Set(['row_number', 'rank', 'dense_rank', 'lag', 'lead']);
