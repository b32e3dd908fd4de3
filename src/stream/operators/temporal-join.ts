/**
 * Process-time temporal join, inner or left (RisingWave's `JOIN t FOR SYSTEM_TIME AS OF
 * PROCTIME()`): a change of the left input meets the right input's rows as they are when it
 * arrives; a change of the right input updates them and emits nothing, so the rows it would
 * have met or left are not revisited. Output rows are `left ++ right` (NULL-padded for a left
 * row that meets nothing, in a left join).
 *
 * Delta: ΔL ⋈ R(now). A left insertion records the right rows it met (the memo); its
 * retraction takes back exactly those pairs, whatever the right side became since — so the
 * output stays a consistent changelog of a non-append-only left input.
 *
 * State: the right side by join key (key → distinct row → weight), and the memo of each left
 * row still held, by the left input's unique columns when the plan knows them (an aggregate's
 * groups: a group's new row replaces its old one under one key), else by the whole row. A left
 * row whose `cleanColumn` (a window column of an aggregate, say) is below the left input's
 * watermark there will never be retracted: its memo goes as the watermark passes it. So the state is the right side plus the left rows of the open windows.
 * Watermarks: the left input's pass on (its columns keep their place); the right input's stop.
 * Snapshot: the right side's rows and weights, each left row held with what its copies met,
 * and the last watermark of `cleanColumn`. Delta (incremental checkpoints): for each memo key
 * that changed since the last checkpoint, its left rows as they are now (replacing what the key
 * held) or one of its rows as gone, the bound below which the watermark let rows go, and the
 * right side whole if it changed.
 */
import { type Chunk, ChunkBuilder } from '../chunk.ts';
import { KeyMap } from '../key-map.ts';
import { Operator, type Watermark } from '../operator.ts';
import { hasNull, type Row, rowIdentity, rowsIdentical, type Value } from '../value.ts';

export interface TemporalJoinOptions {
  readonly type: 'inner' | 'left';
  readonly leftKey: (row: Row) => Value[];
  readonly rightKey: (row: Row) => Value[];
  readonly leftWidth: number;
  readonly rightWidth: number;
  /** Extra ON condition over the joined row `left ++ right`. */
  readonly residual?: (row: Row) => boolean | null;
  /** A left column carrying a watermark: memo entries below it are forgotten. */
  readonly cleanColumn?: number;
  /**
   * Left columns the left input's rows are unique on (an aggregate's groups): the memo holds a
   * left row by them, so that an update of a row (one retracted, one inserted with the same
   * key) is one memo entry changed, not one gone and one new.
   */
  readonly leftUnique?: readonly number[];
  readonly name?: string;
}

interface RightRow {
  readonly row: Row;
  weight: number;
}

/** Copies of one left row inserted while the right side was the same: what they met, and how many. */
interface Met {
  readonly right: readonly Row[];
  weight: number;
}

interface MemoEntry {
  readonly row: Row;
  readonly met: Met[];
}

interface TemporalJoinState {
  readonly kind: 'temporal_join';
  readonly type: TemporalJoinOptions['type'];
  readonly rightRows: Row[];
  readonly rightWeights: number[];
  readonly memo: { readonly row: Row; readonly met: { right: readonly Row[]; weight: number }[] }[];
  readonly watermark: Value | undefined;
}

interface TemporalJoinDelta {
  readonly kind: 'temporal_join-delta';
  readonly type: TemporalJoinOptions['type'];
  /** The right side whole, when it changed. */
  readonly right: { readonly rows: Row[]; readonly weights: number[] } | undefined;
  readonly forgotBelow: number | undefined;
  /** Left rows held no more. */
  readonly removed: Row[];
  readonly memo: TemporalJoinState['memo'];
  readonly watermark: Value | undefined;
}

export class TemporalJoin extends Operator {
  readonly arity = 2;
  readonly #o: TemporalJoinOptions;
  readonly #right = new KeyMap<Map<string, RightRow>>();
  /**
   * Left rows held, by their `cleanColumn` value (one bucket without a clean column), then by
   * `#entryKey`: the rows under one key (one, but for a moment within a chunk that inserts a
   * row's new version before retracting its old one).
   */
  readonly #memo: KeyMap<Map<string, MemoEntry[]>>;
  readonly #nulls: Row;
  #watermark: Value | undefined;
  #memoSize = 0;
  #rightSize = 0;
  // Changes since the last checkpoint, while tracked: a left row of each entry key whose rows changed.
  #touched = new Map<string, Row>();
  #rightChanged = false;
  #forgotBelow: number | undefined;

  constructor(options: TemporalJoinOptions) {
    super(options.name ?? 'temporal_join');
    this.#o = options;
    this.#memo = new KeyMap({ firstColumn: 0 });
    this.#nulls = new Array(options.rightWidth).fill(null);
  }

  /** Left rows held, and distinct right rows. */
  get stateRows(): [number, number] {
    return [this.#memoSize, this.#rightSize];
  }

  override get stateSize(): number {
    return this.#memoSize + this.#rightSize;
  }

  #memoKey(row: Row): Value[] {
    const c = this.#o.cleanColumn;
    return c === undefined ? [] : [row[c] as Value];
  }

  /** What the memo holds a left row by in its bucket: its unique columns, else the whole row. */
  #entryKey(row: Row): string {
    const unique = this.#o.leftUnique;
    return unique === undefined ? rowIdentity(row) : rowIdentity(unique.map((i) => row[i] as Value));
  }

  protected onChunk(chunk: Chunk, input: number): void {
    if (input === 1) this.#onRight(chunk);
    else this.#onLeft(chunk);
  }

  #onRight(chunk: Chunk): void {
    const { rows, weights } = chunk;
    if (this.trackingChanges) this.#rightChanged = true;
    for (let i = 0; i < rows.length; i++) {
      const row = rows[i] as Row;
      const w = weights[i] as number;
      let key: Value[];
      try {
        key = this.#o.rightKey(row);
      } catch (e) {
        this.fail(e);
        continue;
      }
      if (w === 0 || hasNull(key)) continue;
      let bucket = this.#right.get(key);
      if (bucket === undefined) {
        bucket = new Map();
        this.#right.set(key, bucket);
      }
      const id = rowIdentity(row);
      const e = bucket.get(id);
      if (e === undefined) {
        bucket.set(id, { row, weight: w });
        this.#rightSize++;
      } else {
        e.weight += w;
        if (e.weight !== 0) continue;
        bucket.delete(id);
        this.#rightSize--;
        if (bucket.size === 0) this.#right.delete(key);
      }
    }
  }

  /** The right rows `row` meets now, with multiplicity. */
  #meet(row: Row): Row[] {
    let key: Value[];
    try {
      key = this.#o.leftKey(row);
    } catch (e) {
      this.fail(e);
      return [];
    }
    if (hasNull(key)) return [];
    const bucket = this.#right.get(key);
    if (bucket === undefined) return [];
    const met: Row[] = [];
    const residual = this.#o.residual;
    for (const e of bucket.values()) {
      if (residual !== undefined && !this.test(residual, [...row, ...e.row])) continue;
      for (let k = 0; k < e.weight; k++) met.push(e.row);
    }
    return met;
  }

  #emit(out: ChunkBuilder, row: Row, right: readonly Row[], w: number): void {
    if (right.length === 0) {
      if (this.#o.type === 'left') out.push([...row, ...this.#nulls], w);
      return;
    }
    for (const r of right) out.push([...row, ...r], w);
  }

  #onLeft(chunk: Chunk): void {
    const out = new ChunkBuilder();
    const { rows, weights } = chunk;
    for (let i = 0; i < rows.length; i++) {
      const row = rows[i] as Row;
      const w = weights[i] as number;
      if (w === 0) continue;
      const memoKey = this.#memoKey(row);
      const id = this.#entryKey(row);
      let bucket = this.#memo.get(memoKey);
      const held = bucket?.get(id);
      const at = held === undefined ? -1 : this.#find(held, row);
      const entry = held?.[at];
      if (this.trackingChanges && (entry !== undefined || w > 0)) this.#touched.set(id, row);
      if (w < 0 && entry !== undefined) {
        this.#retract(out, entry, -w);
        if (entry.met.length === 0) {
          held?.splice(at, 1);
          this.#memoSize--;
          if (held?.length === 0) bucket?.delete(id);
          if (bucket?.size === 0) this.#memo.delete(memoKey);
        }
        continue;
      }
      // An insertion, or a retraction of a row below the watermark (never inserted while held).
      const right = this.#meet(row);
      this.#emit(out, row, right, w);
      if (w < 0) continue;
      if (entry !== undefined) {
        const last = entry.met[entry.met.length - 1];
        if (last !== undefined && sameRows(last.right, right)) last.weight += w;
        else entry.met.push({ right, weight: w });
        continue;
      }
      if (bucket === undefined) {
        bucket = new Map();
        this.#memo.set(memoKey, bucket);
      }
      const fresh: MemoEntry = { row, met: [{ right, weight: w }] };
      if (held === undefined) bucket.set(id, [fresh]);
      else held.push(fresh);
      this.#memoSize++;
    }
    this.emitBuilder(out);
  }

  /** Where `row` is among the rows held under its entry key; -1 when it is not. */
  #find(held: readonly MemoEntry[], row: Row): number {
    // Without unique columns the entry key is the row's identity: one row per key.
    if (this.#o.leftUnique === undefined) return held.length > 0 ? 0 : -1;
    const at = held.findIndex((e) => rowsIdentical(e.row, row));
    if (at >= 0 || held.length === 0) return at;
    const id = rowIdentity(row);
    return held.findIndex((e) => rowIdentity(e.row) === id);
  }

  /** Takes back `n` copies of a held left row, the latest first. */
  #retract(out: ChunkBuilder, entry: MemoEntry, n: number): void {
    let left = n;
    while (left > 0) {
      const last = entry.met[entry.met.length - 1];
      if (last === undefined) {
        // More retracted than inserted: an upstream fault, passed on as the weight it is.
        this.#emit(out, entry.row, this.#meet(entry.row), -left);
        return;
      }
      const k = Math.min(left, last.weight);
      this.#emit(out, entry.row, last.right, -k);
      last.weight -= k;
      left -= k;
      if (last.weight === 0) entry.met.pop();
    }
  }

  protected override onWatermark(wm: Watermark, input: number): void {
    if (input !== 0) return;
    const c = this.#o.cleanColumn;
    if (c !== undefined && wm.column === c && typeof wm.value === 'number') {
      this.#watermark = wm.value;
      this.#forgetBelow(wm.value);
    }
    this.emit(wm);
  }

  #forgetBelow(bound: number): void {
    if (this.trackingChanges) this.#forgotBelow = Math.max(this.#forgotBelow ?? bound, bound);
    for (const bucket of this.#memo.values()) {
      const t = bucket.values().next().value?.[0]?.row[this.#o.cleanColumn as number];
      if (typeof t === 'number' && t < bound)
        for (const held of bucket.values()) this.#memoSize -= held.length;
    }
    this.#memo.deleteFirstBelow(bound);
  }

  override snapshot(): TemporalJoinState {
    const { rows: rightRows, weights: rightWeights } = this.#rightSaved();
    const memo: TemporalJoinState['memo'] = [];
    for (const bucket of this.#memo.values())
      for (const held of bucket.values()) for (const e of held) memo.push(savedEntry(e));
    return {
      kind: 'temporal_join',
      type: this.#o.type,
      rightRows,
      rightWeights,
      memo,
      watermark: this.#watermark,
    };
  }

  #rightSaved(): { rows: Row[]; weights: number[] } {
    const rows: Row[] = [];
    const weights: number[] = [];
    for (const bucket of this.#right.values())
      for (const e of bucket.values()) {
        rows.push(e.row);
        weights.push(e.weight);
      }
    return { rows, weights };
  }

  override restore(state: unknown): void {
    const s = this.stateOf<TemporalJoinState>(state, 'temporal_join');
    if (s.type !== this.#o.type)
      throw new Error(`${this.name}: the snapshot is of a ${s.type} join, this one is ${this.#o.type}`);
    this.#right.clear();
    this.#memo.clear();
    this.#rightSize = 0;
    this.#memoSize = 0;
    this.#onRight({ kind: 'chunk', rows: s.rightRows, weights: s.rightWeights });
    this.#hold(s.memo);
    this.#watermark = s.watermark;
  }

  protected override takeStateDelta(): TemporalJoinDelta {
    const right = this.#rightChanged ? this.#rightSaved() : undefined;
    const removed: Row[] = [];
    const memo: TemporalJoinState['memo'] = [];
    // A key's rows are written as they are now (replacing what it held), or one of its rows as gone.
    for (const [id, row] of this.#touched) {
      const held = this.#memo.get(this.#memoKey(row))?.get(id);
      if (held === undefined) removed.push(row);
      else for (const e of held) memo.push(savedEntry(e));
    }
    const delta: TemporalJoinDelta = {
      kind: 'temporal_join-delta',
      type: this.#o.type,
      right,
      forgotBelow: this.#forgotBelow,
      removed,
      memo,
      watermark: this.#watermark,
    };
    this.forgetStateChanges();
    return delta;
  }

  protected override forgetStateChanges(): void {
    this.#touched = new Map();
    this.#rightChanged = false;
    this.#forgotBelow = undefined;
  }

  override applyStateDelta(delta: unknown): void {
    const d = this.stateOf<TemporalJoinDelta>(delta, 'temporal_join-delta');
    if (d.type !== this.#o.type)
      throw new Error(`${this.name}: the delta is of a ${d.type} join, this one is ${this.#o.type}`);
    if (d.right !== undefined) {
      this.#right.clear();
      this.#rightSize = 0;
      this.#onRight({ kind: 'chunk', rows: d.right.rows, weights: d.right.weights });
    }
    if (d.forgotBelow !== undefined) this.#forgetBelow(d.forgotBelow);
    for (const row of d.removed) {
      const key = this.#memoKey(row);
      const bucket = this.#memo.get(key);
      const id = this.#entryKey(row);
      const held = bucket?.get(id);
      if (bucket === undefined || held === undefined) continue;
      this.#memoSize -= held.length;
      bucket.delete(id);
      if (bucket.size === 0) this.#memo.delete(key);
    }
    this.#hold(d.memo);
    this.#watermark = d.watermark;
  }

  /** Holds saved memo entries: those of one entry key replace what the key held. */
  #hold(entries: TemporalJoinState['memo']): void {
    const replaced = new Map<Map<string, MemoEntry[]>, Set<string>>();
    for (const e of entries) {
      const key = this.#memoKey(e.row);
      let bucket = this.#memo.get(key);
      if (bucket === undefined) {
        bucket = new Map();
        this.#memo.set(key, bucket);
      }
      let ids = replaced.get(bucket);
      if (ids === undefined) {
        ids = new Set();
        replaced.set(bucket, ids);
      }
      const id = this.#entryKey(e.row);
      let held = bucket.get(id);
      if (!ids.has(id)) {
        ids.add(id);
        this.#memoSize -= held?.length ?? 0;
        held = [];
        bucket.set(id, held);
      }
      (held as MemoEntry[]).push(savedEntry(e));
      this.#memoSize++;
    }
  }
}

/** A memo entry with its `met` copied: the operator goes on changing the one it holds. */
function savedEntry(e: MemoEntry): TemporalJoinState['memo'][number] {
  return { row: e.row, met: e.met.map((m) => ({ right: m.right, weight: m.weight })) };
}

function sameRows(a: readonly Row[], b: readonly Row[]): boolean {
  return a.length === b.length && a.every((r, i) => r === b[i]);
}
