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
 * State: the right side by join key (key → distinct row → weight), and the memo: per left row
 * still held, what its copies met, by the left input's unique columns when the plan knows them
 * (an aggregate's groups), else by the whole row. The memo keeps neither the left rows nor
 * copies of the right ones: a retraction carries its row, and the right rows met are the right
 * side's own. So a group's update (its old row retracted, its new one inserted) that meets the
 * same right rows leaves its entry as it was, and an incremental checkpoint writes nothing for
 * it. Under unique columns an entry may hold an old and a new row for a moment (the new one
 * inserted first); a retraction then takes what the oldest met. An inner join with a condition
 * beyond its keys (a rule's threshold) keeps no entry for a row that met nothing, and its
 * entries keep each version's row, which a retraction is matched with (`#skipsUnmet`). A left
 * row whose `cleanColumn` (a window column of an aggregate, say) is below the left input's
 * watermark there will never be retracted: its entry goes as the watermark passes it. So the state is the right side plus
 * an entry per left row of the open windows.
 * Watermarks: the left input's pass on (its columns keep their place); the right input's stop.
 * Snapshot: the right side's rows and weights, each entry's key, clean value and what it met,
 * and the last watermark of `cleanColumn`. Delta (incremental checkpoints): each entry that
 * differs from the last checkpoint (as it is now, or gone), the bound below which the
 * watermark let entries go, and the right side whole if it changed. Snapshots and deltas of
 * earlier versions, which held each left row, are read too.
 */
import { type Chunk, ChunkBuilder } from '../chunk.ts';
import { KeyMap } from '../key-map.ts';
import { Operator, type Watermark } from '../operator.ts';
import { hasNull, type Row, rowIdentity, rowsIdentical, type Value, valueIdentity } from '../value.ts';

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

/**
 * Copies of left rows inserted while the right side was the same: what they met, and how many;
 * under unique columns, the row they were (an entry holds the versions of one left key).
 */
interface Met {
  readonly right: readonly Row[];
  weight: number;
  readonly left?: Row;
}

/** The left rows held under one entry key: their clean column's value, and what they met, oldest first. */
interface MemoEntry {
  readonly clean: Value;
  readonly met: Met[];
}

/** An entry as saved: `key` is its entry key. */
interface SavedEntry {
  readonly key: string;
  readonly clean: Value;
  readonly met: { right: readonly Row[]; weight: number; left?: Row }[];
}

/** How versions before this one saved a left row held (by entry key). */
interface SavedRow {
  readonly row: Row;
  readonly met: { right: readonly Row[]; weight: number }[];
}

interface TemporalJoinState {
  readonly kind: 'temporal_join';
  readonly type: TemporalJoinOptions['type'];
  readonly rightRows: Row[];
  readonly rightWeights: number[];
  readonly memo: readonly (SavedEntry | SavedRow)[];
  readonly watermark: Value | undefined;
}

interface TemporalJoinDelta {
  readonly kind: 'temporal_join-delta';
  readonly type: TemporalJoinOptions['type'];
  /** The right side whole, when it changed. */
  readonly right: { readonly rows: Row[]; readonly weights: number[] } | undefined;
  readonly forgotBelow: number | undefined;
  /** Entries held no more (earlier versions: a left row of each). */
  readonly removed: readonly ({ readonly key: string; readonly clean: Value } | Row)[];
  readonly memo: TemporalJoinState['memo'];
  readonly watermark: Value | undefined;
}

/** An entry touched since the last checkpoint, and what it met then (undefined: it was not held). */
interface Touched {
  readonly clean: Value;
  readonly before: readonly Met[] | undefined;
}

export class TemporalJoin extends Operator {
  readonly arity = 2;
  readonly #o: TemporalJoinOptions;
  readonly #right = new KeyMap<Map<string, RightRow>>();
  /** Entries by their `cleanColumn` value (one bucket without a clean column), then by `#entryKey`. */
  readonly #memo: KeyMap<Map<string, MemoEntry>>;
  readonly #nulls: Row;
  #watermark: Value | undefined;
  #memoSize = 0;
  #rightSize = 0;
  // Changes since the last checkpoint, while tracked: each entry touched, by entry key.
  #touched = new Map<string, Touched>();
  #rightChanged = false;
  #forgotBelow: number | undefined;
  /**
   * Without a residual condition, what a right bucket's rows meet is the same for every left row:
   * made once per bucket and shared by the entries that met it (no array per left row), until
   * the bucket changes.
   */
  #meets = new WeakMap<Map<string, RightRow>, Row[]>();
  /** The memo's bucket key, filled in place (KeyMap keeps values, not the key arrays). */
  readonly #bucket: Value[];
  /**
   * An inner join with a condition beyond its keys keeps nothing of left rows that met nothing
   * (a detection under its threshold: nearly every row): their retraction takes nothing back.
   * Its entries then hold each version of a left key apart, with the row, since a version that
   * met nothing is not there to be taken back in its turn.
   */
  readonly #skipsUnmet: boolean;

  constructor(options: TemporalJoinOptions) {
    super(options.name ?? 'temporal_join');
    this.#o = options;
    this.#memo = new KeyMap({ firstColumn: 0 });
    this.#nulls = new Array(options.rightWidth).fill(null);
    this.#bucket = options.cleanColumn === undefined ? [] : [null];
    this.#skipsUnmet = options.type === 'inner' && options.residual !== undefined;
  }

  /** Memo entries (left rows held, by entry key), and distinct right rows. */
  get stateRows(): [number, number] {
    return [this.#memoSize, this.#rightSize];
  }

  override get stateSize(): number {
    return this.#memoSize + this.#rightSize;
  }

  /** The value of a left row's clean column (NULL without one). */
  #clean(row: Row): Value {
    const c = this.#o.cleanColumn;
    return c === undefined ? null : (row[c] as Value);
  }

  /** The memo's bucket key for a clean value: valid until the next call. */
  #bucketKey(clean: Value): Value[] {
    if (this.#bucket.length === 1) this.#bucket[0] = clean;
    return this.#bucket;
  }

  /** What the memo holds a left row by in its bucket: its unique columns, else the whole row. */
  #entryKey(row: Row): string {
    const unique = this.#o.leftUnique;
    return unique === undefined ? rowIdentity(row) : columnsIdentity(row, unique);
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
      } else this.#meets.delete(bucket);
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
  #meet(row: Row): readonly Row[] {
    let key: Value[];
    try {
      key = this.#o.leftKey(row);
    } catch (e) {
      this.fail(e);
      return NOTHING;
    }
    if (hasNull(key)) return NOTHING;
    const bucket = this.#right.get(key);
    if (bucket === undefined) return NOTHING;
    const residual = this.#o.residual;
    const kept = residual === undefined ? this.#meets.get(bucket) : undefined;
    if (kept !== undefined) return kept;
    let met: Row[] | undefined;
    for (const e of bucket.values()) {
      if (residual !== undefined && !this.test(residual, [...row, ...e.row])) continue;
      met ??= [];
      for (let k = 0; k < e.weight; k++) met.push(e.row);
    }
    if (residual === undefined) this.#meets.set(bucket, met ?? []);
    return met ?? NOTHING;
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
    const skipsUnmet = this.#skipsUnmet;
    const versions = skipsUnmet && this.#o.leftUnique !== undefined;
    for (let i = 0; i < rows.length; i++) {
      const row = rows[i] as Row;
      const w = weights[i] as number;
      if (w === 0) continue;
      // An insertion that meets nothing here leaves no trace: no entry to look up.
      let right: readonly Row[] | undefined;
      if (skipsUnmet && w > 0) {
        right = this.#meet(row);
        if (right === NOTHING) continue;
      }
      const clean = this.#clean(row);
      const bucketKey = this.#bucketKey(clean);
      const id = this.#entryKey(row);
      let bucket = this.#memo.get(bucketKey);
      const entry = bucket?.get(id);
      if (this.trackingChanges && entry !== undefined && !this.#touched.has(id))
        this.#touched.set(id, { clean, before: copyMet(entry.met) });
      if (w < 0 && entry !== undefined) {
        this.#retract(out, row, entry, -w);
        if (entry.met.length === 0) {
          bucket?.delete(id);
          this.#memoSize--;
          if (bucket?.size === 0) this.#memo.delete(bucketKey);
        }
        continue;
      }
      // Kept nothing of: it met nothing (but for a row below the watermark, never inserted while held).
      if (w < 0 && skipsUnmet && !this.#belowWatermark(clean)) continue;
      // An insertion, or a retraction of a row below the watermark (never inserted while held).
      right ??= this.#meet(row);
      this.#emit(out, row, right, w);
      if (w < 0 || (skipsUnmet && right === NOTHING)) continue;
      const met: Met = versions ? { right, weight: w, left: row } : { right, weight: w };
      if (entry !== undefined) {
        const last = entry.met[entry.met.length - 1];
        if (!versions && last !== undefined && sameRows(last.right, right)) last.weight += w;
        else entry.met.push(met);
        continue;
      }
      if (bucket === undefined) {
        bucket = new Map();
        this.#memo.set(bucketKey, bucket);
      }
      bucket.set(id, { clean, met: [met] });
      this.#memoSize++;
      if (this.trackingChanges && !this.#touched.has(id)) this.#touched.set(id, { clean, before: undefined });
    }
    this.emitBuilder(out);
  }

  /** Whether a left row's clean value is below the watermark: its entry, if any, was let go. */
  #belowWatermark(clean: Value): boolean {
    return typeof clean === 'number' && this.#watermark !== undefined && clean < (this.#watermark as number);
  }

  /**
   * Takes back `n` copies of `row`, held in `entry`: under unique columns what the oldest rows
   * met (an old row is retracted after its new version was inserted, never before), else the
   * latest (the rows of an entry are then all the same row). Where rows that met nothing are
   * not kept (`#skipsUnmet`), under unique columns what this version of the row met, found by
   * the row (entries saved before versions were kept: the oldest), and nothing for copies that
   * met nothing.
   */
  #retract(out: ChunkBuilder, row: Row, entry: MemoEntry, n: number): void {
    const versions = this.#skipsUnmet && this.#o.leftUnique !== undefined;
    const oldestFirst = this.#o.leftUnique !== undefined;
    let left = n;
    while (left > 0) {
      let at = oldestFirst ? 0 : entry.met.length - 1;
      if (versions && entry.met[0]?.left !== undefined)
        at = entry.met.findIndex((m) => m.left !== undefined && rowsIdentical(m.left, row));
      const met = entry.met[at];
      if (met === undefined) {
        if (this.#skipsUnmet) return; // the rest met nothing
        // More retracted than inserted: an upstream fault, passed on as the weight it is.
        this.#emit(out, row, this.#meet(row), -left);
        return;
      }
      const k = Math.min(left, met.weight);
      this.#emit(out, row, met.right, -k);
      met.weight -= k;
      left -= k;
      if (met.weight === 0) entry.met.splice(at, 1);
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
      const t = bucket.values().next().value?.clean;
      if (typeof t === 'number' && t < bound) this.#memoSize -= bucket.size;
    }
    this.#memo.deleteFirstBelow(bound);
  }

  override snapshot(): TemporalJoinState {
    const { rows: rightRows, weights: rightWeights } = this.#rightSaved();
    const memo: SavedEntry[] = [];
    for (const bucket of this.#memo.values()) for (const [key, e] of bucket) memo.push(savedEntry(key, e));
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
    const removed: { key: string; clean: Value }[] = [];
    const memo: SavedEntry[] = [];
    // An entry is written as it is now, or as gone; one that met what it met before, not at all.
    for (const [key, { clean, before }] of this.#touched) {
      const entry = this.#memo.get(this.#bucketKey(clean))?.get(key);
      if (entry === undefined) {
        if (before !== undefined) removed.push({ key, clean });
      } else if (before === undefined || !sameMet(before, entry.met)) memo.push(savedEntry(key, entry));
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
    for (const gone of d.removed) {
      const { key, clean } = Array.isArray(gone)
        ? { key: this.#entryKey(gone), clean: this.#clean(gone) }
        : (gone as { key: string; clean: Value });
      const bucketKey = this.#bucketKey(clean);
      const bucket = this.#memo.get(bucketKey);
      if (bucket?.delete(key) !== true) continue;
      this.#memoSize--;
      if (bucket.size === 0) this.#memo.delete(bucketKey);
    }
    this.#hold(d.memo);
    this.#watermark = d.watermark;
  }

  /**
   * Holds saved entries, each replacing what its key held. Left rows saved by earlier versions
   * under one key in one batch make one entry, what they met in their order.
   */
  #hold(saved: TemporalJoinState['memo']): void {
    const merged = new Set<string>();
    for (const e of saved) {
      const { key, clean } =
        'row' in e ? { key: this.#entryKey(e.row), clean: this.#clean(e.row) } : (e as SavedEntry);
      const met = copyMet(e.met);
      const bucketKey = this.#bucketKey(clean);
      let bucket = this.#memo.get(bucketKey);
      if (bucket === undefined) {
        bucket = new Map();
        this.#memo.set(bucketKey, bucket);
      }
      const held = bucket.get(key);
      if ('row' in e && held !== undefined && merged.has(key)) {
        held.met.push(...met);
        continue;
      }
      if ('row' in e) merged.add(key);
      if (held === undefined) this.#memoSize++;
      bucket.set(key, { clean, met });
    }
  }
}

/** An entry as saved. */
function savedEntry(key: string, e: MemoEntry): SavedEntry {
  return { key, clean: e.clean, met: copyMet(e.met) };
}

/** What an entry met, copied: the operator goes on changing its own (the right rows are shared). */
function copyMet(met: readonly Met[]): Met[] {
  return met.map((m) =>
    m.left === undefined
      ? { right: m.right, weight: m.weight }
      : { right: m.right, weight: m.weight, left: m.left },
  );
}

/** Whether two entries met the same right rows (the same objects), as many times each. */
function sameMet(a: readonly Met[], b: readonly Met[]): boolean {
  return (
    a.length === b.length &&
    a.every((m, i) => {
      const other = b[i] as Met;
      return m.weight === other.weight && m.left === other.left && sameRows(m.right, other.right);
    })
  );
}

function sameRows(a: readonly Row[], b: readonly Row[]): boolean {
  return a === b || (a.length === b.length && a.every((r, i) => r === b[i]));
}

/** What a left row that meets nothing met: one array for all of them. */
const NOTHING: readonly Row[] = Object.freeze([]);

/** `rowIdentity` of some of a row's columns, without a row of them. */
function columnsIdentity(row: Row, columns: readonly number[]): string {
  if (columns.length === 1) return valueIdentity(row[columns[0] as number] as Value);
  const parts: string[] = new Array(columns.length);
  for (let i = 0; i < columns.length; i++) parts[i] = valueIdentity(row[columns[i] as number] as Value);
  return parts.join('');
}
