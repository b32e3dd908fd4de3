/**
 * Exact, retractable floating-point sums.
 *
 * `ExactSum` keeps the sum of the values added so far *exactly*, as a list of non-overlapping
 * doubles (Shewchuk's partials, the algorithm behind Python's `math.fsum`). Adding `-x` undoes
 * adding `x` with no residue, so a sum maintained under any history of inserts and retractions
 * equals the sum computed from scratch; `value()` rounds the exact sum once (correctly rounded).
 * Infinities and NaN are counted apart so that they can be retracted too.
 * Fast path: integers go to a plain integer accumulator while it stays a safe integer
 * (exact by construction); it is folded into the partials when that no longer holds.
 */

/** Splits `a` into two halves of 26 bits for exact products (Veltkamp). */
function split(a: number): [number, number] {
  const c = 134217729 * a;
  const hi = c - (c - a);
  return [hi, a - hi];
}

/** `a * b` as `[p, e]` with `p + e` exactly equal to the product (Dekker's TwoProduct). */
export function twoProduct(a: number, b: number): [number, number] {
  const p = a * b;
  const [ah, al] = split(a);
  const [bh, bl] = split(b);
  const e = ah * bh - p + ah * bl + al * bh + al * bl;
  return [p, e];
}

/** The partials of a sum that has only seen safe integers (shared, never written). */
const NO_PARTIALS: number[] = [];

/** An `ExactSum` as plain data: integer part, partials, counts of +∞, −∞ and NaN. */
export type ExactSumState = [int: number, partials: number[], posInf: number, negInf: number, nan: number];

export class ExactSum {
  #partials: number[] = NO_PARTIALS;
  /** Integer part of the sum, exact while a safe integer. */
  #int = 0;
  #posInf = 0;
  #negInf = 0;
  #nan = 0;

  /** Adds `x * weight` exactly (weight is an integer, usually ±1). */
  add(x: number, weight = 1): void {
    if (!Number.isFinite(x)) {
      if (Number.isNaN(x)) this.#nan += weight;
      else if (x > 0) this.#posInf += weight;
      else this.#negInf += weight;
      return;
    }
    if (weight === 1 || weight === -1) {
      const n = this.#int + x * weight;
      if (Number.isSafeInteger(n) && Number.isInteger(x)) {
        this.#int = n;
        return;
      }
    }
    if (weight === 1) this.#add(x);
    else if (weight === -1) this.#add(-x);
    else {
      const [p, e] = twoProduct(x, weight);
      this.#add(p);
      if (e !== 0) this.#add(e);
    }
  }

  /** The exact sum as non-overlapping doubles (folds the integer part in). */
  get partials(): readonly number[] {
    if (this.#int !== 0) {
      const i = this.#int;
      this.#int = 0;
      this.#add(i);
    }
    return this.#partials;
  }

  #add(x: number): void {
    if (this.#partials === NO_PARTIALS) this.#partials = [];
    const p = this.#partials;
    let i = 0;
    for (let j = 0; j < p.length; j++) {
      let y = p[j] as number;
      if (Math.abs(x) < Math.abs(y)) {
        const t = x;
        x = y;
        y = t;
      }
      const hi = x + y;
      const lo = y - (hi - x);
      if (lo !== 0) p[i++] = lo;
      x = hi;
    }
    p.length = i;
    if (x !== 0 || i === 0) p.push(x);
  }

  /** The state as plain data (a copy; the integer part is not folded in, so nothing changes). */
  snapshot(): ExactSumState {
    return [this.#int, this.#partials.slice(), this.#posInf, this.#negInf, this.#nan];
  }

  /** Replaces the state with a `snapshot()`. */
  restore(state: ExactSumState): void {
    const [int, partials, posInf, negInf, nan] = state;
    this.#int = int;
    this.#partials = partials.length === 0 ? NO_PARTIALS : partials.slice();
    this.#posInf = posInf;
    this.#negInf = negInf;
    this.#nan = nan;
  }

  /** An exact sum restored from a `snapshot()`. */
  static fromSnapshot(state: ExactSumState): ExactSum {
    const s = new ExactSum();
    s.restore(state);
    return s;
  }

  /** Adds another exact sum times an integer weight. */
  addSum(other: ExactSum, weight = 1): void {
    for (const x of other.partials) this.add(x, weight);
    this.#posInf += other.#posInf * weight;
    this.#negInf += other.#negInf * weight;
    this.#nan += other.#nan * weight;
  }

  /** The exact sum rounded to the nearest double. */
  value(): number {
    if (this.#nan !== 0 || (this.#posInf !== 0 && this.#negInf !== 0)) return Number.NaN;
    if (this.#posInf !== 0) return Number.POSITIVE_INFINITY;
    if (this.#negInf !== 0) return Number.NEGATIVE_INFINITY;
    if (this.#partials.length === 0) return this.#int;
    const p = this.partials;
    let n = p.length;
    if (n === 0) return 0;
    let hi = p[--n] as number;
    let lo = 0;
    while (n > 0) {
      const x = hi;
      const y = p[--n] as number;
      hi = x + y;
      const yr = hi - x;
      lo = y - yr;
      if (lo !== 0) break;
    }
    if (n > 0) {
      const prev = p[n - 1] as number;
      if ((lo < 0 && prev < 0) || (lo > 0 && prev > 0)) {
        const y = lo * 2;
        const x = hi + y;
        if (y === x - hi) hi = x;
      }
    }
    return hi;
  }
}

/** Exact sum of a list of numbers, rounded once (a batch reference for tests). */
export function exactSum(xs: Iterable<number>): number {
  const s = new ExactSum();
  for (const x of xs) s.add(x);
  return s.value();
}
