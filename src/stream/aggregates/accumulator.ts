/**
 * Aggregate calls and their accumulators.
 *
 * An accumulator is the state of one aggregate call in one group. It is a Z-set consumer:
 * `add(v, w)` adds `w` copies of the argument value `v` (w < 0 retracts), and `result()` is the
 * aggregate of the multiset accumulated so far — the same value whatever order or history of
 * inserts and retractions led there. NULL arguments are skipped by every aggregate except
 * array_agg (SQL). FILTER is applied by the operator; DISTINCT wraps the accumulator
 * (distinct.ts) so that it sees each distinct value once.
 *
 * `snapshot()` returns the accumulator's state as plain data (numbers, arrays, Maps of
 * values: what `v8.serialize` writes) and `restore(state)` loads it into an accumulator
 * created for the same call; `result()` and later changes then behave as in the original.
 * An accumulator that reads another's shared multiset (see `sharesValues`) snapshots that
 * multiset too: the aggregate operator saves and restores only the owner's.
 */
import type { Row, SortKey, Value } from '../value.ts';
import { BoolAndAccumulator, BoolOrAccumulator } from './bool.ts';
import { CountAccumulator, CountStarAccumulator } from './count.ts';
import { DistinctAccumulator } from './distinct.ts';
import {
  ArrayAggAccumulator,
  EdgeValueAccumulator,
  JsonbAggAccumulator,
  JsonbObjectAggAccumulator,
  StringAggAccumulator,
} from './list.ts';
import {
  InsertOnlyExtremeAccumulator,
  MaxAccumulator,
  MinAccumulator,
  SortedValuesAccumulator,
} from './min-max.ts';
import { ModeAccumulator } from './mode.ts';
import { PercentileContAccumulator, PercentileDiscAccumulator } from './percentile.ts';
import type { SortedMultiset } from './sorted-multiset.ts';
import {
  AvgAccumulator,
  DecimalAvgAccumulator,
  DecimalSumAccumulator,
  RealSumAccumulator,
  SumAccumulator,
} from './sum.ts';
import { NumericVarianceAccumulator, VarianceAccumulator } from './variance.ts';

export interface Accumulator {
  /** Adds `weight` copies of `value`; `sortKey` is the call's ORDER BY key (ordered aggregates). */
  add(value: Value, weight: number, sortKey?: Row): void;
  result(): Value;
  /** The state as plain data (a copy: later changes do not alter it). */
  snapshot(): unknown;
  /** Replaces the state with a `snapshot()` of an accumulator of the same call. */
  restore(state: unknown): void;
  /**
   * For an accumulator whose state grows with the values it holds (DISTINCT, min/max over
   * retractions, percentiles): from now on, record its changes for `takeChanges` (incremental
   * checkpoints write those rather than the whole state). Forgets what was recorded before.
   */
  trackChanges?(): void;
  /** What changed since tracking started or the last call, as plain data; recording goes on. */
  takeChanges?(): unknown;
  /** Applies `takeChanges()` of an accumulator of the same call on top of this one's state. */
  applyChanges?(changes: unknown): void;
}

export type AggregateKind =
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
  readonly kind: AggregateKind;
  /**
   * The argument (for percentiles: the WITHIN GROUP sort expression). Absent only for
   * `count(*)`.
   */
  readonly arg?: (row: Row) => Value;
  /** `FILTER (WHERE …)`: rows for which it is not TRUE are not aggregated. */
  readonly filter?: (row: Row) => boolean | null;
  readonly distinct?: boolean;
  /** ORDER BY inside the call (string_agg, array_agg, jsonb_agg…). Without it: first-insertion order. */
  readonly orderBy?: readonly SortKey[];
  /** Fraction for percentile_cont / percentile_disc / approx_percentile, in [0, 1]. */
  readonly fraction?: number;
  /** `WITHIN GROUP (ORDER BY x DESC)` for percentiles. */
  readonly desc?: boolean;
  /** Separator of string_agg (a constant; PostgreSQL allows an expression, rarely used). */
  readonly separator?: string;
  /**
   * The call's input only ever inserts (a source, through filters and windows): for min/max the
   * extreme so far is all the state, instead of every value in order for retractions; a
   * DISTINCT call records for checkpoints only the values it sees for the first time.
   */
  readonly insertOnly?: boolean;
  /**
   * What sum, avg and the variance family compute (their SQL result type): `int8` for the sum
   * of smallint/integer, `numeric` (exact, with PostgreSQL's display scales) for integers and
   * numeric otherwise; absent: double precision (float arguments).
   */
  readonly exact?: 'int8' | 'numeric';
  /** sum of reals: a real, its result rounded to float4 once per read (not per row). */
  readonly real?: boolean;
}

/**
 * Creates the state of `call` for one group. `shared`: the sorted multiset of an earlier call
 * over the same argument (see `sharesValues`), which this one then reads without feeding.
 */
export function createAccumulator(call: AggregateCall, shared?: SortedMultiset): Accumulator {
  const inner = createPlain(call, shared);
  return call.distinct === true ? new DistinctAccumulator(inner, call.insertOnly === true) : inner;
}

const multisetKinds = new Set<AggregateKind>([
  'min',
  'max',
  'percentile_cont',
  'percentile_disc',
  'approx_percentile',
]);

/** Whether `b` can read the value multiset that `a` maintains (same argument, FILTER, no DISTINCT). */
export function sharesValues(a: AggregateCall, b: AggregateCall): boolean {
  return (
    multisetKinds.has(a.kind) &&
    multisetKinds.has(b.kind) &&
    a.insertOnly !== true &&
    b.insertOnly !== true &&
    a.arg !== undefined &&
    a.arg === b.arg &&
    a.filter === b.filter &&
    a.distinct !== true &&
    b.distinct !== true
  );
}

/** The sorted multiset behind a min/max/percentile accumulator. */
export function valueMultiset(acc: Accumulator): SortedMultiset | undefined {
  return acc instanceof SortedValuesAccumulator ? acc.set : undefined;
}

function fraction(call: AggregateCall): number {
  const f = call.fraction ?? 0.5;
  if (!(f >= 0 && f <= 1)) {
    throw Object.assign(new Error(`percentile value ${f} is not between 0 and 1`), { sqlstate: '22003' });
  }
  return call.desc === true ? 1 - f : f;
}

function createPlain(call: AggregateCall, shared: SortedMultiset | undefined): Accumulator {
  switch (call.kind) {
    case 'count':
      return call.arg === undefined ? new CountStarAccumulator() : new CountAccumulator();
    case 'sum':
      if (call.exact !== undefined) return new DecimalSumAccumulator(call.exact);
      return call.real === true ? new RealSumAccumulator() : new SumAccumulator();
    case 'avg':
      return call.exact === undefined ? new AvgAccumulator() : new DecimalAvgAccumulator();
    case 'min':
      return call.insertOnly === true ? new InsertOnlyExtremeAccumulator('min') : new MinAccumulator(shared);
    case 'max':
      return call.insertOnly === true ? new InsertOnlyExtremeAccumulator('max') : new MaxAccumulator(shared);
    case 'percentile_cont':
    case 'approx_percentile':
      return new PercentileContAccumulator(fraction(call), shared);
    case 'percentile_disc':
      return new PercentileDiscAccumulator(call.fraction ?? 0.5, call.desc === true, shared);
    case 'string_agg':
      return new StringAggAccumulator(call.separator ?? ',', call.orderBy);
    case 'array_agg':
      return new ArrayAggAccumulator(call.orderBy);
    case 'jsonb_agg':
      return new JsonbAggAccumulator(call.orderBy);
    case 'jsonb_object_agg':
      return new JsonbObjectAggAccumulator(call.orderBy);
    case 'first_value':
    case 'last_value':
      return new EdgeValueAccumulator(call.kind === 'first_value' ? 'first' : 'last', call.orderBy ?? []);
    case 'mode':
      return new ModeAccumulator(call.desc === true);
    case 'bool_and':
      return new BoolAndAccumulator();
    case 'bool_or':
      return new BoolOrAccumulator();
    case 'stddev_samp':
    case 'stddev_pop':
    case 'var_samp':
    case 'var_pop':
      return call.exact === undefined
        ? new VarianceAccumulator(call.kind)
        : new NumericVarianceAccumulator(call.kind);
    default: {
      const never: never = call.kind;
      throw new Error(`unknown aggregate ${String(never)}`);
    }
  }
}
