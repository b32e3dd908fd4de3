/**
 * Equi-join with an optional residual predicate: inner, left, right and full outer.
 * Output rows are `left ++ right` (the missing side NULL-padded for outer rows).
 *
 * Delta (bilinear, DBSP): Δ(L ⋈ R) = ΔL ⋈ R + L ⋈ ΔR + ΔL ⋈ ΔR. Changes are processed one at a
 * time against the other side's current state, then added to their own side — which yields
 * exactly that sum. A pair's weight is the product of the two weights. Rows with a NULL in the
 * key never match (SQL equality).
 *
 * Outer joins: every stored row counts its matches (the summed weight of the other side's
 * rows with the same key that pass the residual). A preserved-side row with 0 matches is also
 * output NULL-padded; when its first match appears the padded row is retracted, and when its
 * last match disappears it is inserted again.
 *
 * State: both sides, indexed by join key (key → distinct row → weight and match count).
 * Output is emitted as input arrives (no buffering until the barrier).
 * Watermarks: for each `[leftCol, rightCol]` in `watermarkKeys` (equal key columns), the
 * minimum of both sides' watermarks is emitted on both output columns.
 *
 * Snapshot: per side, each key's bucket (the key, its rows in insertion order with their
 * weights and match counts) and the watermark alignment (per input and forwarded). Delta
 * (incremental checkpoints): per side the buckets changed since the last checkpoint as they are
 * now, the keys of those that emptied, and the bound below which a watermark closed buckets.
 */
import { type Chunk, ChunkBuilder } from '../chunk.ts';
import { KeyMap } from '../key-map.ts';
import {
  Operator,
  type Watermark,
  WatermarkAligner,
  type WatermarkAlignerState,
  watermark,
} from '../operator.ts';
import { hasNull, type Row, rowIdentity, type Value } from '../value.ts';

export type JoinType = 'inner' | 'left' | 'right' | 'full';

export interface JoinOptions {
  readonly type: JoinType;
  readonly leftKey: (row: Row) => Value[];
  readonly rightKey: (row: Row) => Value[];
  /** Column counts, for NULL padding and output positions. */
  readonly leftWidth: number;
  readonly rightWidth: number;
  /** Extra ON condition over the joined row `left ++ right`. */
  readonly residual?: (row: Row) => boolean | null;
  /**
   * Equal key columns that carry watermarks: `[left column, right column, index in the key]`.
   * The first pair also closes state: rows whose key there is below both sides' watermark
   * can meet no future row, so both sides forget them.
   */
  readonly watermarkKeys?: readonly (readonly [left: number, right: number, keyIndex: number])[];
  readonly name?: string;
}

interface Entry {
  readonly row: Row;
  weight: number;
  /** Summed weight of matching rows on the other side. */
  matches: number;
}

/** The rows of one side with one join key. */
interface Bucket {
  readonly key: Row;
  readonly rows: Map<string, Entry>;
}

type Side = KeyMap<Bucket>;

/** One side's buckets as plain data. */
interface SideState {
  readonly keys: Row[];
  readonly rows: Row[][];
  readonly weights: number[][];
  readonly matches: number[][];
}

interface JoinState {
  readonly kind: 'join';
  readonly type: JoinType;
  readonly sides: [SideState, SideState];
  readonly watermarks: WatermarkAlignerState;
}

interface JoinDelta {
  readonly kind: 'join-delta';
  readonly type: JoinType;
  /** Per side, the buckets changed (as they are now). */
  readonly sides: [SideState, SideState];
  /** Per side, the keys whose bucket emptied. */
  readonly removed: [Row[], Row[]];
  readonly closedBelow: number | undefined;
  readonly watermarks: WatermarkAlignerState;
}

export class Join extends Operator {
  readonly arity = 2;
  readonly #o: JoinOptions;
  readonly #sides: [Side, Side];
  readonly #pad: [boolean, boolean];
  readonly #nulls: [Row, Row];
  readonly #aligner = new WatermarkAligner(2);
  /** Per side, the keys of buckets changed since the last checkpoint (while tracked). */
  #touched: [KeyMap<Row>, KeyMap<Row>] = [new KeyMap(), new KeyMap()];
  #closedBelow: number | undefined;

  constructor(options: JoinOptions) {
    super(options.name ?? 'join');
    this.#o = options;
    const closing = options.watermarkKeys?.[0]?.[2];
    const sideOptions = closing === undefined ? {} : { firstColumn: closing };
    this.#sides = [new KeyMap(sideOptions), new KeyMap(sideOptions)];
    this.#pad = [
      options.type === 'left' || options.type === 'full',
      options.type === 'right' || options.type === 'full',
    ];
    this.#nulls = [new Array(options.leftWidth).fill(null), new Array(options.rightWidth).fill(null)];
  }

  /** Number of distinct rows held per side. */
  get stateRows(): [number, number] {
    const count = (s: Side) => {
      let n = 0;
      for (const b of s.values()) n += b.rows.size;
      return n;
    };
    return [count(this.#sides[0]), count(this.#sides[1])];
  }

  override get stateSize(): number {
    const [l, r] = this.stateRows;
    return l + r;
  }

  #joined(side: number, row: Row, other: Row): Row {
    return side === 0 ? [...row, ...other] : [...other, ...row];
  }

  #padded(side: number, row: Row): Row {
    return side === 0 ? [...row, ...this.#nulls[1]] : [...this.#nulls[0], ...row];
  }

  #matches(joined: Row): boolean {
    const r = this.#o.residual;
    return r === undefined ? true : this.test(r, joined);
  }

  protected onChunk(chunk: Chunk, input: number): void {
    const side = input === 0 ? 0 : 1;
    const other = 1 - side;
    const keyOf = side === 0 ? this.#o.leftKey : this.#o.rightKey;
    const mine = this.#sides[side] as Side;
    const theirs = this.#sides[other] as Side;
    const padMine = this.#pad[side] as boolean;
    const padTheirs = this.#pad[other] as boolean;
    const out = new ChunkBuilder();
    const { rows, weights } = chunk;
    for (let i = 0; i < rows.length; i++) {
      const row = rows[i] as Row;
      const w = weights[i] as number;
      if (w === 0) continue;
      let key: Value[];
      try {
        key = keyOf(row);
      } catch (e) {
        this.fail(e);
        continue;
      }
      if (hasNull(key)) {
        // Matches nothing, ever: no state needed.
        if (padMine) out.push(this.#padded(side, row), w);
        continue;
      }
      const k = key;
      const rk = rowIdentity(row);
      if (this.trackingChanges) {
        (this.#touched[side] as KeyMap<Row>).set(k, k);
        // An outer join counts matches on the other side's rows of the same key.
        if (padTheirs) (this.#touched[other] as KeyMap<Row>).set(k, k);
      }
      let bucket = mine.get(k);
      const existing = bucket?.rows.get(rk);
      let matches = 0;
      const candidates = theirs.get(k);
      if (candidates !== undefined) {
        for (const e of candidates.rows.values()) {
          const joined = this.#joined(side, row, e.row);
          if (!this.#matches(joined)) continue;
          out.push(joined, w * e.weight);
          matches += e.weight;
          if (padTheirs) {
            const before = e.matches;
            e.matches += w;
            if (before === 0 && e.matches !== 0) out.push(this.#padded(other, e.row), -e.weight);
            else if (before !== 0 && e.matches === 0) out.push(this.#padded(other, e.row), e.weight);
          }
        }
      }
      if (existing !== undefined) matches = existing.matches;
      if (padMine && matches === 0) out.push(this.#padded(side, row), w);
      if (existing !== undefined) {
        existing.weight += w;
        if (existing.weight === 0) {
          bucket?.rows.delete(rk);
          if (bucket?.rows.size === 0) mine.delete(k);
        }
      } else {
        if (bucket === undefined) {
          bucket = { key: k, rows: new Map() };
          mine.set(k, bucket);
        }
        bucket.rows.set(rk, { row, weight: w, matches });
      }
    }
    this.emitBuilder(out);
  }

  protected override onWatermark(wm: Watermark, input: number): void {
    const keys = this.#o.watermarkKeys;
    if (keys === undefined) return;
    for (const [i, [l, r]] of keys.entries()) {
      const col = input === 0 ? l : r;
      if (wm.column !== col) continue;
      // Track per key pair under the left column's id.
      const v = this.#aligner.update(input, l, wm.value);
      if (v === undefined) continue;
      if (i === 0 && typeof v === 'number') {
        for (const side of this.#sides) side.deleteFirstBelow(v);
        if (this.trackingChanges) this.#closedBelow = Math.max(this.#closedBelow ?? v, v);
      }
      this.emit(watermark(l, v));
      this.emit(watermark(this.#o.leftWidth + r, v));
    }
  }

  override snapshot(): JoinState {
    return {
      kind: 'join',
      type: this.#o.type,
      sides: [savedBuckets(this.#sides[0].values()), savedBuckets(this.#sides[1].values())],
      watermarks: this.#aligner.snapshot(),
    };
  }

  protected override takeStateDelta(): JoinDelta {
    const changed: [Bucket[], Bucket[]] = [[], []];
    const removed: [Row[], Row[]] = [[], []];
    for (const [i, touched] of this.#touched.entries())
      for (const key of touched.values()) {
        const bucket = this.#sides[i]?.get(key);
        if (bucket === undefined) removed[i]?.push(key);
        else changed[i]?.push(bucket);
      }
    const delta: JoinDelta = {
      kind: 'join-delta',
      type: this.#o.type,
      sides: [savedBuckets(changed[0]), savedBuckets(changed[1])],
      removed,
      closedBelow: this.#closedBelow,
      watermarks: this.#aligner.snapshot(),
    };
    this.forgetStateChanges();
    return delta;
  }

  protected override forgetStateChanges(): void {
    this.#touched = [new KeyMap(), new KeyMap()];
    this.#closedBelow = undefined;
  }

  override applyStateDelta(delta: unknown): void {
    const d = this.stateOf<JoinDelta>(delta, 'join-delta');
    if (d.type !== this.#o.type)
      throw new Error(`${this.name}: the delta is of a ${d.type} join, this one is ${this.#o.type}`);
    for (const [i, side] of this.#sides.entries()) {
      if (d.closedBelow !== undefined) side.deleteFirstBelow(d.closedBelow);
      for (const key of d.removed[i] as Row[]) side.delete(key);
      loadBuckets(side, d.sides[i] as SideState);
    }
    this.#aligner.restore(d.watermarks);
  }

  override restore(state: unknown): void {
    const s = this.stateOf<JoinState>(state, 'join');
    if (s.type !== this.#o.type)
      throw new Error(`${this.name}: the snapshot is of a ${s.type} join, this one is ${this.#o.type}`);
    for (const [i, side] of this.#sides.entries()) {
      side.clear();
      loadBuckets(side, s.sides[i] as SideState);
    }
    this.#aligner.restore(s.watermarks);
  }
}

/** Buckets as plain data (their rows in insertion order, with weights and match counts). */
function savedBuckets(buckets: Iterable<Bucket>): SideState {
  const out: SideState = { keys: [], rows: [], weights: [], matches: [] };
  for (const b of buckets) {
    const rows: Row[] = [];
    const weights: number[] = [];
    const matches: number[] = [];
    for (const e of b.rows.values()) {
      rows.push(e.row);
      weights.push(e.weight);
      matches.push(e.matches);
    }
    out.keys.push(b.key);
    out.rows.push(rows);
    out.weights.push(weights);
    out.matches.push(matches);
  }
  return out;
}

/** Sets the saved buckets into a side, replacing those of the same keys. */
function loadBuckets(side: Side, st: SideState): void {
  for (let b = 0; b < st.keys.length; b++) {
    const key = st.keys[b] as Row;
    const rows = st.rows[b] as Row[];
    const weights = st.weights[b] as number[];
    const matches = st.matches[b] as number[];
    const bucket: Bucket = { key, rows: new Map() };
    for (let j = 0; j < rows.length; j++) {
      const row = rows[j] as Row;
      bucket.rows.set(rowIdentity(row), { row, weight: weights[j] as number, matches: matches[j] as number });
    }
    side.set(key, bucket);
  }
}
