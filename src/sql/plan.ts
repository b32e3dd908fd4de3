/**
 * The typed logical plan: what `bindQuery` produces and what `src/stream/` compiles into a
 * dataflow. Each node lists its output columns (name + type); expressions inside a node
 * refer to its input's columns by index (for Join: left columns, then right columns).
 */

import type { RelationKind } from './catalog.ts';
import { type BoundExpr, columnRef, mapColumns } from './expr.ts';
import { type Interval, type SqlType, T } from './types.ts';

export interface PlanColumn {
  readonly name: string;
  readonly type: SqlType;
}

export interface SortKey {
  readonly expr: BoundExpr;
  readonly descending: boolean;
  /** PostgreSQL default: NULLS LAST for ASC, NULLS FIRST for DESC. */
  readonly nullsFirst: boolean;
}

export interface Scan {
  readonly kind: 'Scan';
  readonly relation: string;
  readonly relationKind: RelationKind;
  readonly columns: readonly PlanColumn[];
}

export interface Values {
  readonly kind: 'Values';
  readonly rows: readonly (readonly BoundExpr[])[];
  readonly columns: readonly PlanColumn[];
}

export interface Filter {
  readonly kind: 'Filter';
  readonly input: Plan;
  readonly predicate: BoundExpr;
  readonly columns: readonly PlanColumn[];
}

export interface Project {
  readonly kind: 'Project';
  readonly input: Plan;
  readonly exprs: readonly BoundExpr[];
  readonly columns: readonly PlanColumn[];
}

/** Appends `window_start`, `window_end` of the tumbling window holding `timeColumn`. */
export interface Tumble {
  readonly kind: 'Tumble';
  readonly input: Plan;
  readonly timeColumn: number;
  readonly size: Interval;
  readonly offset: Interval;
  readonly columns: readonly PlanColumn[];
}

/** One output row per hopping window holding `timeColumn`, with `window_start`, `window_end`. */
export interface Hop {
  readonly kind: 'Hop';
  readonly input: Plan;
  readonly timeColumn: number;
  readonly slide: Interval;
  readonly size: Interval;
  readonly offset: Interval;
  readonly columns: readonly PlanColumn[];
}

export type AggregateFunction =
  | 'count_star'
  | 'count'
  | 'sum'
  | 'avg'
  | 'min'
  | 'max'
  | 'percentile_cont'
  | 'percentile_disc'
  | 'approx_percentile'
  | 'string_agg'
  | 'array_agg'
  | 'jsonb_agg'
  | 'jsonb_object_agg'
  | 'bool_and'
  | 'bool_or'
  | 'stddev_samp'
  | 'stddev_pop'
  | 'var_samp'
  | 'var_pop'
  | 'first_value'
  | 'last_value'
  | 'mode';

export interface AggregateCall {
  readonly fn: AggregateFunction;
  /** Arguments over the aggregate's input (for ordered-set aggregates: the ORDER BY expression). */
  readonly args: readonly BoundExpr[];
  /** Direct arguments: the fraction of percentile_*, the relative error of approx_percentile. */
  readonly direct: readonly BoundExpr[];
  readonly distinct: boolean;
  readonly filter: BoundExpr | undefined;
  /** ORDER BY of WITHIN GROUP / string_agg(x, ',' ORDER BY y) / array_agg. */
  readonly orderBy: readonly SortKey[];
  readonly type: SqlType;
}

/** Output: the group keys, then one column per aggregate call. */
export interface Aggregate {
  readonly kind: 'Aggregate';
  readonly input: Plan;
  readonly groupKeys: readonly BoundExpr[];
  readonly aggregates: readonly AggregateCall[];
  readonly columns: readonly PlanColumn[];
}

export type WindowFunction =
  | 'row_number'
  | 'rank'
  | 'dense_rank'
  | 'lag'
  | 'lead'
  | 'first_value'
  | 'last_value'
  | 'sum'
  | 'count'
  | 'count_star'
  | 'avg'
  | 'min'
  | 'max';

/**
 * One end of a window frame: UNBOUNDED (PRECEDING for the start, FOLLOWING for the end),
 * CURRENT ROW, `n PRECEDING/FOLLOWING` rows or peer groups (`offset`: −n preceding, +n
 * following), or, in RANGE mode, the ORDER BY value the frame reaches from each row (`value`,
 * an expression over the input row: `key - offset` for an ascending PRECEDING bound).
 */
export type FrameBound =
  | { readonly kind: 'unbounded' }
  | { readonly kind: 'current_row' }
  | { readonly kind: 'offset'; readonly offset: number }
  | { readonly kind: 'value'; readonly value: BoundExpr };

/**
 * The rows a window function sees from each row: PostgreSQL's ROWS, RANGE and GROUPS frames,
 * or RisingWave's session frame (`SESSION WITH GAP g`): the rows of the row's session, where a
 * session ends where the next ORDER BY value reaches `next` (the last value plus the gap).
 */
export type WindowFrame =
  | { readonly mode: 'rows' | 'range' | 'groups'; readonly start: FrameBound; readonly end: FrameBound }
  | { readonly mode: 'session'; readonly next: BoundExpr };

/** PostgreSQL's default frame: RANGE BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW. */
export const defaultFrame: WindowFrame = Object.freeze({
  mode: 'range',
  start: Object.freeze({ kind: 'unbounded' }),
  end: Object.freeze({ kind: 'current_row' }),
});

export interface WindowCall {
  readonly fn: WindowFunction;
  readonly args: readonly BoundExpr[];
  readonly type: SqlType;
  /** What first_value, last_value and the aggregates see (ranking and lag/lead ignore it). */
  readonly frame: WindowFrame;
}

/**
 * Window functions sharing one PARTITION BY / ORDER BY, each with its frame. Output: the input
 * columns, then one column per call.
 */
export interface Window {
  readonly kind: 'Window';
  readonly input: Plan;
  readonly partitionBy: readonly BoundExpr[];
  readonly orderBy: readonly SortKey[];
  readonly functions: readonly WindowCall[];
  readonly columns: readonly PlanColumn[];
}

/** A set-returning function of a SELECT list: `unnest(array)`, `generate_series(start, stop[, step])`. */
export interface SetReturningCall {
  readonly fn: 'unnest' | 'generate_series';
  readonly args: readonly BoundExpr[];
  /** The type of one element it returns. */
  readonly type: SqlType;
}

/**
 * The set-returning functions of a SELECT list, as PostgreSQL runs them (in lockstep): each
 * input row becomes as many rows as its longest function returns, the shorter ones padded with
 * NULL (none when every function returns nothing). Output: the input columns, then one column
 * per call.
 */
export interface ProjectSet {
  readonly kind: 'ProjectSet';
  readonly input: Plan;
  readonly functions: readonly SetReturningCall[];
  readonly columns: readonly PlanColumn[];
}

/**
 * The first `limit` rows (after `offset`) of each partition in `orderBy` order. With a
 * `rankFunction`, the output is the input columns plus that rank (`row_number`, or `rank` /
 * `dense_rank`, which keep ties); without, the input columns only.
 */
export interface TopN {
  readonly kind: 'TopN';
  readonly input: Plan;
  readonly partitionBy: readonly BoundExpr[];
  readonly orderBy: readonly SortKey[];
  readonly limit: number;
  readonly offset: number;
  readonly rankFunction: 'row_number' | 'rank' | 'dense_rank' | undefined;
  readonly columns: readonly PlanColumn[];
}

export type JoinType = 'inner' | 'left' | 'full';

/**
 * Equi-join on `leftKeys[i] = rightKeys[i]` (keys over each side), plus a residual over both.
 * `processTime`: RisingWave's process-time temporal join (`JOIN t FOR SYSTEM_TIME AS OF
 * PROCTIME()`): a left change meets the right side as it is then; a later change of the right
 * side does not revisit the rows it met.
 */
export interface Join {
  readonly kind: 'Join';
  readonly joinType: JoinType;
  readonly processTime?: boolean;
  readonly left: Plan;
  readonly right: Plan;
  readonly leftKeys: readonly BoundExpr[];
  readonly rightKeys: readonly BoundExpr[];
  readonly residual: BoundExpr | undefined;
  readonly columns: readonly PlanColumn[];
}

export interface UnionAll {
  readonly kind: 'UnionAll';
  readonly inputs: readonly Plan[];
  readonly columns: readonly PlanColumn[];
}

/** Final presentation order (a view's ORDER BY). */
export interface Sort {
  readonly kind: 'Sort';
  readonly input: Plan;
  readonly keys: readonly SortKey[];
  readonly columns: readonly PlanColumn[];
}

export interface Limit {
  readonly kind: 'Limit';
  readonly input: Plan;
  readonly limit: number | undefined;
  readonly offset: number;
  readonly columns: readonly PlanColumn[];
}

export type Plan =
  | Scan
  | Values
  | Filter
  | Project
  | Tumble
  | Hop
  | Aggregate
  | Window
  | ProjectSet
  | TopN
  | Join
  | UnionAll
  | Sort
  | Limit;

export type PlanKind = Plan['kind'];

/** Inputs of a plan node, left to right. */
export function planInputs(p: Plan): readonly Plan[] {
  switch (p.kind) {
    case 'Scan':
    case 'Values':
      return [];
    case 'Filter':
    case 'Project':
    case 'Tumble':
    case 'Hop':
    case 'Aggregate':
    case 'Window':
    case 'ProjectSet':
    case 'TopN':
    case 'Sort':
    case 'Limit':
      return [p.input];
    case 'Join':
      return [p.left, p.right];
    case 'UnionAll':
      return p.inputs;
    default: {
      const never: never = p;
      return never;
    }
  }
}

/** The Projects `project` made (see `composesWithInput`). */
const composable = new WeakSet<Plan>();

/**
 * A Project of `exprs` over `input`: none when it is the identity, one projection when `input`
 * is a Project itself.
 */
export function project(input: Plan, exprs: readonly BoundExpr[], columns: readonly PlanColumn[]): Plan {
  // Identity: the input as it is.
  if (
    exprs.length === input.columns.length &&
    exprs.every(
      (e, i) => e.kind === 'ColumnRef' && e.index === i && columns[i]?.name === input.columns[i]?.name,
    )
  )
    return input;
  // Project over Project: one projection.
  if (input.kind === 'Project') {
    const inner = input.exprs;
    const composed = exprs.map((e) => mapColumns(e, (c) => inner[c.index] as BoundExpr));
    return project(input.input, composed, columns);
  }
  const p: Project = Object.freeze({
    kind: 'Project',
    input,
    exprs: Object.freeze([...exprs]),
    columns: Object.freeze([...columns]),
  });
  composable.add(p);
  return p;
}

/**
 * Whether `project` made the Project: a rewrite of its input makes it again through `project`,
 * so that it composes with a Project the rewrite left below it, as it would have when bound.
 */
export function composesWithInput(p: Plan): p is Project {
  return composable.has(p);
}

/** A plan node with its inputs replaced (in `planInputs` order); the node itself when they are the same. */
export function withInputs(p: Plan, inputs: readonly Plan[]): Plan {
  const old = planInputs(p);
  if (old.length === inputs.length && old.every((x, i) => x === inputs[i])) return p;
  switch (p.kind) {
    case 'Scan':
    case 'Values':
      return p;
    case 'Join':
      return Object.freeze({ ...p, left: inputs[0] as Plan, right: inputs[1] as Plan });
    case 'UnionAll':
      return Object.freeze({ ...p, inputs: Object.freeze([...inputs]) });
    default:
      return Object.freeze({ ...p, input: inputs[0] as Plan });
  }
}

/** Relations a plan reads (for dependency tracking: DROP … CASCADE / 2BP01). */
export function planRelations(p: Plan, into: Set<string> = new Set()): Set<string> {
  if (p.kind === 'Scan') into.add(p.relation);
  for (const i of planInputs(p)) planRelations(i, into);
  return into;
}

/** `count(*)`, with a FILTER when given. */
export function countRows(filter?: BoundExpr): AggregateCall {
  return Object.freeze({
    fn: 'count_star',
    args: [],
    direct: [],
    distinct: false,
    filter,
    orderBy: [],
    type: T.int8,
  });
}

/** The distinct rows of `input` (a GROUP BY on every column, no aggregates). */
export function distinctRows(input: Plan): Plan {
  return Object.freeze({
    kind: 'Aggregate',
    input,
    groupKeys: input.columns.map((c, i) => columnRef(i, c.name, c.type)),
    aggregates: [],
    columns: input.columns,
  });
}
