/**
 * A chunk is a batch of changes: rows with integer weights, i.e. a Z-set fragment.
 * Weight +1 inserts a row, −1 retracts one; any integer is allowed (+2 = two copies).
 * Rows and weights are parallel arrays; a chunk is immutable once emitted, and the same
 * chunk object may be delivered to several downstream operators (fan-out).
 *
 * Rows travel row-major: they arrive from decoders as fresh arrays, and every operator
 * here either passes a row through untouched (filter, union, materialize) or builds a
 * new one (project, tumble), so a columnar layout would only add transposition.
 */
import { type Row, rowIdentity } from './value.ts';

export interface Chunk {
  readonly kind: 'chunk';
  readonly rows: readonly Row[];
  readonly weights: readonly number[];
}

export function chunk(rows: readonly Row[], weights?: readonly number[]): Chunk {
  const w = weights ?? new Array<number>(rows.length).fill(1);
  if (w.length !== rows.length) throw new Error(`chunk: ${rows.length} rows but ${w.length} weights`);
  return { kind: 'chunk', rows, weights: w };
}

/** Inserts of every row (weight +1). */
export function inserts(rows: readonly Row[]): Chunk {
  return chunk(rows);
}

/** Retractions of every row (weight −1). */
export function deletes(rows: readonly Row[]): Chunk {
  return chunk(rows, new Array<number>(rows.length).fill(-1));
}

/** Accumulates changes and hands them out as a chunk. */
export class ChunkBuilder {
  rows: Row[] = [];
  weights: number[] = [];

  get size(): number {
    return this.rows.length;
  }

  push(row: Row, weight: number): void {
    this.rows.push(row);
    this.weights.push(weight);
  }

  /** Returns the accumulated chunk and starts a new one. */
  take(): Chunk {
    const c: Chunk = { kind: 'chunk', rows: this.rows, weights: this.weights };
    this.rows = [];
    this.weights = [];
    return c;
  }
}

/** A row with its summed weight. */
export interface WeightedRow {
  row: Row;
  weight: number;
}

/** Adds the changes of `c` into a keyed multiset (dropping rows whose weight reaches 0). */
export function integrate(
  into: Map<string, WeightedRow>,
  rows: readonly Row[],
  weights: readonly number[],
): void {
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i] as Row;
    const w = weights[i] as number;
    if (w === 0) continue;
    const k = rowIdentity(row);
    const e = into.get(k);
    if (e === undefined) into.set(k, { row, weight: w });
    else {
      e.weight += w;
      if (e.weight === 0) into.delete(k);
    }
  }
}

/** Sums the weights of equal rows and drops rows whose weight is 0; keeps first-seen order. */
export function consolidate(c: Chunk): Chunk {
  const m = new Map<string, WeightedRow>();
  integrate(m, c.rows, c.weights);
  return fromMultiset(m);
}

export function fromMultiset(m: ReadonlyMap<string, WeightedRow>): Chunk {
  const rows: Row[] = [];
  const weights: number[] = [];
  for (const e of m.values()) {
    if (e.weight === 0) continue;
    rows.push(e.row);
    weights.push(e.weight);
  }
  return { kind: 'chunk', rows, weights };
}

/** Concatenation of chunks (Z-set sum without consolidation). */
export function concat(chunks: readonly Chunk[]): Chunk {
  const b = new ChunkBuilder();
  for (const c of chunks)
    for (let i = 0; i < c.rows.length; i++) b.push(c.rows[i] as Row, c.weights[i] as number);
  return b.take();
}
