/**
 * One string for equal texts. A table keeps its rows for good, and a log's rows repeat their
 * texts (user agents, methods, referrers, actions): each row that arrived by INSERT or COPY
 * holds strings of its own, so 1,000 rows of one user agent held it 1,000 times. Rows passed
 * through `shareTexts` hold the pool's one string instead. Bounded: at `capacity` texts the
 * pool starts over (texts shared so far stay shared), and longer texts are left alone.
 */
import type { Row, Value } from './value.ts';

export class TextPool {
  readonly #texts = new Map<string, string>();
  readonly #capacity: number;
  readonly #longest: number;

  constructor(capacity = 16_384, longest = 256) {
    this.#capacity = capacity;
    this.#longest = longest;
  }

  /** Replaces, in place, each text of `row` by the pool's equal one. */
  shareTexts(row: Row): void {
    const values = row as Value[];
    for (let i = 0; i < values.length; i++) {
      const v = values[i];
      if (typeof v === 'string' && v.length <= this.#longest) values[i] = this.#text(v);
    }
  }

  #text(s: string): string {
    const known = this.#texts.get(s);
    if (known !== undefined) return known;
    if (this.#texts.size >= this.#capacity) this.#texts.clear();
    this.#texts.set(s, s);
    return s;
  }
}
