/**
 * Hash aggregate (GROUP BY with aggregate calls).
 *
 * Output rows are `[...groupKey, ...aggregateResults]`.
 *
 * Delta: for each input change `(row, w)` the group `g = groupBy(row)` adds `w` to its row
 * count and feeds `(arg(row), w)` to each call's accumulator (when the call's FILTER holds).
 * Group keys are equal for SQL (1.5 and 1.50 are one group); output rows carry the key values
 * of the row that opened the group, or that refilled it after it emptied.
 * Nothing is emitted until the barrier; then, for every group touched in the epoch:
 * `Δout = −old(g) + new(g)`, emitted only if the row changed. A group whose row count returns
 * to 0 retracts its row and vanishes. A global aggregate (no GROUP BY) always has exactly one
 * row, emitted at the first barrier even without input (count 0, sum NULL), as in SQL.
 *
 * State: per group, its key, row count, one accumulator per call (see aggregates/), and the
 * row last emitted. Memory is proportional to the groups (and, for min/max/percentile/
 * DISTINCT/string_agg, to the distinct values per group).
 *
 * Watermarks pass along `watermarks` (input column → output column of a group key), after
 * the barrier's output. A watermark `v` on the first such key column closes the groups whose
 * key there is below `v`: their last row has been emitted and stays in the view; their state
 * is dropped (memory stays proportional to the open windows).
 *
 * Snapshot (right after a barrier, when no group is dirty and no watermark held): per group
 * its key, row count, last output row and each call's accumulator state — columnar, one
 * array per call; a call that reads an earlier call's multiset saves nothing (`null`), and
 * restore recreates the accumulators the way new groups get them, so the sharing returns —
 * plus the last watermark passed on per column. The calls' kinds and sharing are saved too,
 * so restoring into an aggregate of other calls fails clearly.
 *
 * Delta (incremental checkpoints): the groups made since the last checkpoint as they are now,
 * in the snapshot's columns; of the groups it held that changed, the row count and what changed
 * in each accumulator (the values a DISTINCT, min/max or percentile multiset gained or lost,
 * not all it holds: `Accumulator.takeChanges`; the whole state of the small ones); the keys of
 * groups that emptied; and the bound below which a watermark closed groups. Applied in that
 * order reversed — close, remove, upsert, change — it brings the last checkpoint's groups to
 * these.
 */

import {
  type Accumulator,
  type AggregateCall,
  createAccumulator,
  sharesValues,
  valueMultiset,
} from '../aggregates/accumulator.ts';
import { CountAccumulator, CountStarAccumulator } from '../aggregates/count.ts';
import { DistinctAccumulator } from '../aggregates/distinct.ts';
import { SortedValuesAccumulator } from '../aggregates/min-max.ts';
import { DecimalSumAccumulator, SumAccumulator } from '../aggregates/sum.ts';
import { type Chunk, ChunkBuilder } from '../chunk.ts';
import { KeyMap } from '../key-map.ts';
import {
  HeldWatermarks,
  mapWatermark,
  Operator,
  type Watermark,
  type WatermarkEntries,
  type WatermarkMap,
} from '../operator.ts';
import { type Row, rowsIdentical, type SortKey, type Value } from '../value.ts';

/**
 * Group key of a row. It may write the key into `scratch` (one array per operator, reused for
 * every row) and return it, so the per-row lookup allocates nothing; the key is copied when
 * it starts a new group.
 */
export type GroupKey = (row: Row, scratch: Value[]) => Value[];

export interface AggregateOptions {
  /** Group key of a row; absent for a global aggregate. */
  readonly groupBy?: GroupKey;
  readonly calls: readonly AggregateCall[];
  readonly watermarks?: WatermarkMap;
  readonly name?: string;
}

interface Group {
  /** The key values output rows carry (those of a row that opened the group). */
  key: Row;
  count: number;
  readonly accs: Accumulator[];
  output: Row | null;
  dirty: boolean;
  /** Changed since the last checkpoint (only while changes are tracked). */
  unsaved: boolean;
  /**
   * Its accumulators are in the checkpoints written (or restored) so far, so a delta may carry
   * their changes (`Accumulator.takeChanges`) rather than their whole state.
   */
  saved: boolean;
  /** Emptied and dropped. */
  removed: boolean;
  /** How many times a watermark had closed groups when this one was made. */
  readonly born: number;
}

const NO_KEY: Row = [];

interface AggregateState {
  readonly kind: 'aggregate';
  /** Each call's kind (`count(*)`, `sum distinct`…), and the call whose multiset it reads (−1: its own). */
  readonly calls: string[];
  readonly owners: number[];
  readonly keys: Row[];
  readonly counts: number[];
  /**
   * The row last emitted per group; absent in snapshots since it is the group's key and
   * results (null for an emptied group), recomputed by restore.
   */
  readonly outputs?: (Row | null)[];
  /** Per call, the accumulator state of every group (in `keys` order); null for a sharing call. */
  readonly accs: (unknown[] | null)[];
  readonly watermarks: WatermarkEntries;
}

/** Groups changed since the last checkpoint (`AggregateState`'s columns) and what went. */
interface AggregateDelta extends Omit<AggregateState, 'kind'> {
  readonly kind: 'aggregate-delta';
  /**
   * Groups already in the checkpoint that changed: key, row count, and per call what changed in
   * its accumulator (`takeChanges`, or the whole state of one that records no changes). Absent
   * in deltas written before accumulators recorded changes.
   */
  readonly changed?: {
    readonly keys: Row[];
    readonly counts: number[];
    readonly accs: (unknown[] | null)[];
  };
  /** Keys of the groups that emptied. */
  readonly removed: Row[];
  /** Groups whose closing key is below it were closed by a watermark (undefined: none). */
  readonly closedBelow: number | undefined;
}

function callSignature(c: AggregateCall): string {
  const name =
    c.kind === 'count' && c.arg === undefined
      ? 'count(*)'
      : c.exact === undefined
        ? c.kind
        : `${c.kind} ${c.exact}`;
  return c.distinct === true ? `${name} distinct` : name;
}

/** How the hot loop feeds an accumulator (see onChunk). */
const Feed = { other: 0, countStar: 1, count: 2, sum: 3, sorted: 4, distinct: 5, decimal: 6 } as const;
type Feed = (typeof Feed)[keyof typeof Feed];

function feedOf(acc: Accumulator): Feed {
  if (acc instanceof CountStarAccumulator) return Feed.countStar;
  if (acc instanceof CountAccumulator) return Feed.count;
  if (acc instanceof SumAccumulator) return Feed.sum; // avg too: it adds up the same way
  if (acc instanceof DecimalSumAccumulator) return Feed.decimal; // and its avg
  if (acc instanceof DistinctAccumulator) return Feed.distinct;
  if (acc instanceof SortedValuesAccumulator) return Feed.sorted;
  return Feed.other;
}

/** A call as the hot loop reads it: every call has the same fields (one hidden class). */
interface Step {
  readonly arg: ((row: Row) => Value) | undefined;
  readonly filter: ((row: Row) => boolean | null) | undefined;
  readonly orderBy: readonly SortKey[] | undefined;
  /** False when the call reads an earlier call's sorted values instead of its own. */
  readonly feeds: boolean;
  readonly feed: Feed;
}

export class Aggregate extends Operator {
  readonly arity = 1;
  readonly #groupBy: GroupKey | undefined;
  readonly #scratch: Value[] = [];
  readonly #calls: readonly AggregateCall[];
  readonly #steps: readonly Step[];
  readonly #watermarks: WatermarkMap | undefined;
  readonly #groups: KeyMap<Group>;
  /** Group-key column whose watermark closes groups (−1: none). */
  readonly #closingColumn: number;
  readonly #held = new HeldWatermarks();
  #dirty: Group[] = [];
  // Changes since the last checkpoint, while tracked.
  #unsaved: Group[] = [];
  #closedBelow: number | undefined;
  /** Closes of groups by a watermark so far, and the bound of the last (bounds only grow). */
  #closes = 0;
  #lastClose = Number.NEGATIVE_INFINITY;
  // Per-row scratch: each call's argument, sort key and whether its FILTER passed.
  readonly #args: Value[];
  readonly #keys: (Row | undefined)[];
  readonly #pass: boolean[];
  /** For each call, the earlier call whose value multiset it reads (−1: it keeps its own). */
  readonly #owner: number[];

  constructor(options: AggregateOptions) {
    super(options.name ?? 'aggregate');
    this.#groupBy = options.groupBy;
    this.#calls = options.calls;
    this.#watermarks = options.watermarks;
    this.#closingColumn = options.watermarks?.[0]?.[1] ?? -1;
    this.#groups = new KeyMap(this.#closingColumn >= 0 ? { firstColumn: this.#closingColumn } : {});
    const n = options.calls.length;
    this.#args = new Array<Value>(n).fill(null);
    this.#keys = new Array<Row | undefined>(n).fill(undefined);
    this.#pass = new Array<boolean>(n).fill(false);
    this.#owner = options.calls.map((c, j) => options.calls.findIndex((d, i) => i < j && sharesValues(d, c)));
    this.#steps = options.calls.map((c, j) => ({
      arg: c.arg,
      filter: c.filter,
      orderBy: c.orderBy,
      feeds: (this.#owner[j] as number) < 0,
      feed: feedOf(createAccumulator(c)), // also validates the call now
    }));
    if (this.#groupBy === undefined) this.#group(NO_KEY);
  }

  /** Number of live groups. */
  get groups(): number {
    return this.#groups.size;
  }

  override get stateSize(): number {
    return this.#groups.size;
  }

  #group(key: Row): Group {
    let g = this.#groups.get(key);
    if (g === undefined) {
      if (key === this.#scratch) key = [...key];
      g = this.#newGroup(key, 0, null);
      g.dirty = true;
      this.#groups.set(key, g);
      this.#dirty.push(g);
    }
    return g;
  }

  #accumulators(): Accumulator[] {
    const accs: Accumulator[] = [];
    for (let j = 0; j < this.#calls.length; j++) {
      const owner = this.#owner[j] as number;
      const shared = owner >= 0 ? valueMultiset(accs[owner] as Accumulator) : undefined;
      accs.push(createAccumulator(this.#calls[j] as AggregateCall, shared));
    }
    return accs;
  }

  protected onChunk(chunk: Chunk): void {
    const { rows, weights } = chunk;
    const groupBy = this.#groupBy;
    const steps = this.#steps;
    const nCalls = steps.length;
    const args = this.#args;
    const keys = this.#keys;
    const pass = this.#pass;
    for (let i = 0; i < rows.length; i++) {
      const row = rows[i] as Row;
      const w = weights[i] as number;
      if (w === 0) continue;
      let key = NO_KEY;
      // Evaluate everything first. A group key that fails skips the row, leaving state intact;
      // an argument that fails is NULL and a FILTER that fails is false (RisingWave's way:
      // the row still counts), each failure counted.
      try {
        if (groupBy !== undefined) key = groupBy(row, this.#scratch);
      } catch (e) {
        this.fail(e);
        continue;
      }
      for (let j = 0; j < nCalls; j++) {
        const c = steps[j] as Step;
        let p = c.feeds;
        if (p && c.filter !== undefined) p = this.test(c.filter, row);
        pass[j] = p;
        if (!p) continue;
        try {
          args[j] = c.arg === undefined ? null : c.arg(row);
        } catch (e) {
          this.fail(e);
          args[j] = null;
        }
        if (c.orderBy !== undefined)
          keys[j] = c.orderBy.map((s) => {
            try {
              return s.value(row);
            } catch (e) {
              this.fail(e);
              return null;
            }
          });
      }
      let g = this.#groups.get(key);
      if (g === undefined) g = this.#group(key);
      else {
        if (!g.dirty) {
          g.dirty = true;
          this.#dirty.push(g);
        }
        // A group emptied and refilled (an UPDATE of its only row) takes the new row's key
        // values: equal for SQL, they may print otherwise (1.5 → 1.50).
        if (g.count === 0 && w > 0 && !rowsIdentical(g.key, key)) g.key = [...key];
      }
      g.count += w;
      const accs = g.accs;
      for (let j = 0; j < nCalls; j++) {
        if (!pass[j]) continue;
        const acc = accs[j] as Accumulator;
        const v = args[j] as Value;
        // One call site per common accumulator class, so each stays monomorphic (inlined)
        // instead of one megamorphic `acc.add` for all.
        try {
          switch ((steps[j] as Step).feed) {
            case Feed.countStar:
              (acc as CountStarAccumulator).n += w;
              break;
            case Feed.count:
              if (v !== null) (acc as CountAccumulator).n += w;
              break;
            case Feed.sum:
              (acc as SumAccumulator).add(v, w);
              break;
            case Feed.decimal:
              (acc as DecimalSumAccumulator).add(v, w);
              break;
            case Feed.sorted:
              (acc as SortedValuesAccumulator).add(v, w);
              break;
            case Feed.distinct:
              (acc as DistinctAccumulator).add(v, w, keys[j]);
              break;
            default:
              acc.add(v, w, keys[j]);
          }
        } catch (e) {
          this.fail(e);
        }
      }
    }
  }

  protected override onBarrier(): void {
    this.#emitChanges();
    for (const wm of this.#held.release()) {
      if (wm.column === this.#closingColumn && typeof wm.value === 'number') {
        this.#groups.deleteFirstBelow(wm.value);
        this.#closes++;
        this.#lastClose = Math.max(this.#lastClose, wm.value);
        if (this.trackingChanges) this.#closedBelow = Math.max(this.#closedBelow ?? wm.value, wm.value);
      }
      this.emit(wm);
    }
  }

  /** The row a settled group shows: its key and results, or none once it emptied. */
  #outputOf(g: Group): Row | null {
    if (this.#groupBy !== undefined && g.count <= 0) return null;
    const row: Value[] = [...g.key];
    for (const acc of g.accs) row.push(this.#result(acc));
    return row;
  }

  #emitChanges(): void {
    const dirty = this.#dirty;
    if (dirty.length === 0) return;
    this.#dirty = [];
    const out = new ChunkBuilder();
    const global = this.#groupBy === undefined;
    const tracking = this.trackingChanges;
    for (const g of dirty) {
      g.dirty = false;
      if (tracking && !g.unsaved) {
        g.unsaved = true;
        this.#unsaved.push(g);
      }
      if (!global && g.count <= 0) {
        if (g.output !== null) out.push(g.output, -1);
        g.output = null;
        if (g.count === 0) {
          this.#groups.delete(g.key);
          g.removed = true;
        }
        continue;
      }
      const next = this.#outputOf(g) as Row;
      if (g.output !== null) {
        if (rowsIdentical(g.output, next)) continue;
        out.push(g.output, -1);
      }
      out.push(next, 1);
      g.output = next;
    }
    this.emitBuilder(out);
  }

  /** An aggregate's value; one that fails (a text past the limit) is NULL, the failure counted. */
  #result(acc: Accumulator): Value {
    try {
      return acc.result();
    } catch (e) {
      this.fail(e);
      return null;
    }
  }

  protected override onWatermark(wm: Watermark): void {
    mapWatermark((w) => this.#held.hold(w), this.#watermarks, wm);
  }

  override snapshot(): AggregateState {
    this.assertSettled(this.#dirty.length, 'changed groups');
    this.assertSettled(this.#held.pending, 'held watermarks');
    return { kind: 'aggregate', ...this.#columns(this.#groups.values()) };
  }

  /** Groups as the snapshot's columns, with the calls and the watermarks passed on. */
  #columns(groups: Iterable<Group>): Omit<AggregateState, 'kind'> {
    return {
      calls: this.#calls.map(callSignature),
      owners: [...this.#owner],
      ...this.#groupColumns(groups, (acc) => acc.snapshot()),
      watermarks: this.#held.snapshot(),
    };
  }

  /** Groups' keys and counts, and per call (null: one sharing another's values) `state` of each accumulator. */
  #groupColumns(
    groups: Iterable<Group>,
    state: (acc: Accumulator) => unknown,
  ): { keys: Row[]; counts: number[]; accs: (unknown[] | null)[] } {
    const keys: Row[] = [];
    const counts: number[] = [];
    const accs = this.#owner.map((o) => (o < 0 ? ([] as unknown[]) : null));
    for (const g of groups) {
      keys.push(g.key);
      counts.push(g.count);
      for (let j = 0; j < accs.length; j++) accs[j]?.push(state(g.accs[j] as Accumulator));
    }
    return { keys, counts, accs };
  }

  protected override takeStateDelta(): AggregateDelta {
    this.assertSettled(this.#dirty.length, 'changed groups');
    // Applied in the order close, remove, upsert: a key emptied and refilled since is both
    // removed (its old group) and upserted (its new one).
    const whole: Group[] = [];
    const changed: Group[] = [];
    const removed: Row[] = [];
    for (const g of this.#unsaved) {
      if (g.removed) removed.push(g.key);
      else if (!this.#closed(g)) (g.saved ? changed : whole).push(g);
    }
    const delta: AggregateDelta = {
      kind: 'aggregate-delta',
      ...this.#columns(whole),
      changed: this.#changes(changed),
      removed,
      closedBelow: this.#closedBelow,
    };
    for (const g of whole) this.#saved(g);
    this.#forgetUnsaved();
    return delta;
  }

  /** Groups' keys and counts, and per call its accumulators' changes since the last checkpoint. */
  #changes(groups: readonly Group[]): NonNullable<AggregateDelta['changed']> {
    return this.#groupColumns(groups, (acc) =>
      acc.takeChanges !== undefined ? acc.takeChanges() : acc.snapshot(),
    );
  }

  /** `g` as just written whole (or restored): what its accumulators record starts afresh. */
  #saved(g: Group): void {
    g.saved = true;
    for (let j = 0; j < g.accs.length; j++) if ((this.#owner[j] as number) < 0) g.accs[j]?.trackChanges?.();
  }

  protected override forgetStateChanges(): void {
    this.#forgetUnsaved();
    // A whole state was just written or restored (or tracking starts): every group is in it.
    if (this.trackingChanges) for (const g of this.#groups.values()) this.#saved(g);
  }

  #forgetUnsaved(): void {
    for (const g of this.#unsaved) g.unsaved = false;
    this.#unsaved = [];
    this.#closedBelow = undefined;
  }

  /** Whether a watermark closed `g` after it was made (a group made after a close is open). */
  #closed(g: Group): boolean {
    if (g.born === this.#closes) return false;
    const v = g.key[this.#closingColumn];
    return typeof v === 'number' && v < this.#lastClose;
  }

  #newGroup(key: Row, count: number, output: Row | null): Group {
    return {
      key,
      count,
      accs: this.#accumulators(),
      output,
      dirty: false,
      unsaved: false,
      saved: false,
      removed: false,
      born: this.#closes,
    };
  }

  override restore(state: unknown): void {
    const s = this.stateOf<AggregateState>(state, 'aggregate');
    this.#checkCalls(s);
    this.#groups.clear();
    this.#dirty = [];
    this.#load(s);
  }

  override applyStateDelta(delta: unknown): void {
    const d = this.stateOf<AggregateDelta>(delta, 'aggregate-delta');
    this.#checkCalls(d);
    if (d.closedBelow !== undefined) this.#groups.deleteFirstBelow(d.closedBelow);
    for (const key of d.removed) this.#groups.delete(key);
    this.#load(d);
    if (d.changed !== undefined) this.#applyChanges(d.changed);
  }

  #applyChanges(changed: NonNullable<AggregateDelta['changed']>): void {
    for (let i = 0; i < changed.keys.length; i++) {
      const key = changed.keys[i] as Row;
      const g = this.#groups.get(key);
      if (g === undefined)
        throw new Error(
          `${this.name}: a checkpoint delta changes group ${JSON.stringify(key)}, which it does not hold`,
        );
      g.key = key;
      g.count = changed.counts[i] as number;
      for (let j = 0; j < g.accs.length; j++) {
        const acc = g.accs[j] as Accumulator;
        const change = changed.accs[j]?.[i];
        if (change === undefined) continue;
        if (acc.applyChanges !== undefined) acc.applyChanges(change);
        else acc.restore(change);
      }
      g.output = this.#outputOf(g);
    }
  }

  #checkCalls(s: Pick<AggregateState, 'calls' | 'owners'>): void {
    const calls = this.#calls.map(callSignature);
    if (s.calls.join(', ') !== calls.join(', ') || s.owners.join() !== this.#owner.join())
      throw new Error(
        `${this.name}: the snapshot's calls (${s.calls.join(', ')}; shared values ${s.owners.join()}) ` +
          `differ from this aggregate's (${calls.join(', ')}; shared values ${this.#owner.join()})`,
      );
  }

  /** Sets the groups of snapshot columns (replacing groups of the same keys), and the watermarks. */
  #load(s: Omit<AggregateState, 'kind'>): void {
    for (let i = 0; i < s.keys.length; i++) {
      const key = s.keys[i] as Row;
      const g = this.#newGroup(key, s.counts[i] as number, null);
      for (let j = 0; j < g.accs.length; j++) {
        const states = s.accs[j];
        if (states !== null && states !== undefined) (g.accs[j] as Accumulator).restore(states[i]);
      }
      // Right after a barrier every group's last row is its key and results (see #emitChanges).
      g.output = s.outputs?.[i] ?? this.#outputOf(g);
      this.#groups.set(key, g);
      if (this.trackingChanges) this.#saved(g);
    }
    this.#held.restore(s.watermarks);
  }
}
