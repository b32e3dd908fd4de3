/**
 * The rows of one partition in ORDER BY order, for top-N and window functions.
 * Entries are distinct rows with a multiplicity; ties on the ORDER BY key are broken by the
 * whole row (ascending), so "the first N rows" is deterministic — the same rows a batch query
 * sorting by (keys…, all columns) would return.
 */
import {
  compareKeys,
  compareRowsExact,
  type OrderSpec,
  type Row,
  type SortKey,
  type Value,
} from './value.ts';

export interface SortedEntry {
  readonly row: Row;
  readonly key: Row;
  /** Extra per-row values computed once on insert (window function arguments). */
  readonly extra: readonly Value[];
  count: number;
}

export class SortedRows {
  readonly entries: SortedEntry[] = [];
  readonly #spec: readonly OrderSpec[];
  /** Sum of the counts. */
  total = 0;

  constructor(spec: readonly OrderSpec[]) {
    this.#spec = spec;
  }

  compare(a: SortedEntry, key: Row, row: Row): number {
    return compareKeys(a.key, key, this.#spec) || compareRowsExact(a.row, row);
  }

  /** Whether two entries are peers (equal ORDER BY key). */
  peers(a: SortedEntry, b: SortedEntry): boolean {
    return compareKeys(a.key, b.key, this.#spec) === 0;
  }

  add(row: Row, key: Row, extra: readonly Value[], weight: number): void {
    const es = this.entries;
    let lo = 0;
    let hi = es.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.compare(es[mid] as SortedEntry, key, row) < 0) lo = mid + 1;
      else hi = mid;
    }
    this.total += weight;
    const e = es[lo];
    if (e !== undefined && this.compare(e, key, row) === 0) {
      e.count += weight;
      if (e.count === 0) es.splice(lo, 1);
      return;
    }
    const entry: SortedEntry = { row, key, extra, count: weight };
    if (lo === es.length) es.push(entry);
    else es.splice(lo, 0, entry);
  }

  /** Appends an entry known to sort after every entry held (restoring a snapshot). */
  load(row: Row, key: Row, extra: readonly Value[], count: number): void {
    this.entries.push({ row, key, extra, count });
    this.total += count;
  }
}

/** Evaluates the ORDER BY keys of a row. */
export function sortKeyOf(order: readonly SortKey[], row: Row): Value[] {
  const k: Value[] = new Array(order.length);
  for (let i = 0; i < order.length; i++) k[i] = (order[i] as SortKey).value(row);
  return k;
}
