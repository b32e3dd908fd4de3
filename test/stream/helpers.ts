/** Shared helpers of the stream tests: a seeded PRNG and Z-set comparisons. */
import type { Chunk } from '../../src/stream/chunk.ts';
import { compareRows, type Row } from '../../src/stream/value.ts';

/** mulberry32: a small, fast, seeded PRNG returning floats in [0, 1). */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function pick<T>(rand: () => number, xs: readonly T[]): T {
  return xs[Math.floor(rand() * xs.length)] as T;
}

export function int(rand: () => number, lo: number, hi: number): number {
  return lo + Math.floor(rand() * (hi - lo + 1));
}

export function sorted(rows: readonly Row[]): Row[] {
  return [...rows].sort(compareRows);
}

/** A chunk as sorted `[row, weight]` pairs (for assertions). */
export function changes(c: Chunk): [Row, number][] {
  const out: [Row, number][] = c.rows.map((r, i) => [r, c.weights[i] as number]);
  return out.sort((a, b) => compareRows(a[0], b[0]) || a[1] - b[1]);
}

/** Rows expanded from a multiset given as [row, count] pairs. */
export function expand(entries: Iterable<readonly [Row, number]>): Row[] {
  const out: Row[] = [];
  for (const [r, n] of entries) for (let i = 0; i < n; i++) out.push(r);
  return sorted(out);
}
