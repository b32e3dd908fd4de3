/**
 * Changes to a query's text, applied at once: replacements of ranges and insertions at
 * points, all in the coordinates of the original text. A replacement may be computed from
 * the rendered text of ranges inside it (edits inside those ranges applied), so an outer
 * rewrite can carry inner ones along. Insertions at one point keep their order, except that
 * `close` insertions come in reverse order of registration: wrapping `a` in `f(` … `)` and
 * then, inside, in `g(` … `)` gives `f(g(a))`. An insertion at the very start or end of a
 * replacement computed from rendered ranges goes outside it when it was made before the
 * replacement (an outer rewrite's wrapping) and inside it, in the rendered ranges, when made
 * after (an inner one's); at a plain text replacement's ends it goes outside.
 */

/** Renders the original text of [start, end) with the edits inside it applied. */
export type Render = (start: number, end: number) => string;

interface Replacement {
  readonly kind: 'replace';
  readonly start: number;
  readonly end: number;
  readonly text: string | ((render: Render) => string);
  readonly seq: number;
}

interface Insertion {
  readonly kind: 'insert';
  readonly at: number;
  readonly text: string;
  readonly close: boolean;
  readonly seq: number;
}

export class Edits {
  readonly #source: string;
  readonly #replacements: Replacement[] = [];
  readonly #insertions: Insertion[] = [];
  #seq = 0;

  constructor(source: string) {
    this.#source = source;
  }

  /** Replaces [start, end) of the original text. */
  replace(start: number, end: number, text: string | ((render: Render) => string)): void {
    this.#replacements.push({ kind: 'replace', start, end, text, seq: this.#seq++ });
  }

  /** Inserts `text` at `at`, before any insertion made at the same point later. */
  insert(at: number, text: string): void {
    this.#insertions.push({ kind: 'insert', at, text, close: false, seq: this.#seq++ });
  }

  /** Inserts `text` at `at`, after any insertion made at the same point later (a closing bracket). */
  insertClose(at: number, text: string): void {
    this.#insertions.push({ kind: 'insert', at, text, close: true, seq: this.#seq++ });
  }

  /** Wraps [start, end) in `before` … `after`. */
  wrap(start: number, end: number, before: string, after: string): void {
    this.insert(start, before);
    this.insertClose(end, after);
  }

  /** The whole text with every edit applied. */
  apply(): string {
    return this.#render(0, this.#source.length, undefined);
  }

  #render(start: number, end: number, caller: Replacement | undefined): string {
    // Outermost replacements inside [start, end): those not contained in another one.
    const inside = this.#replacements
      .filter((r) => r !== caller && r.start >= start && r.end <= end)
      .sort((a, b) => a.start - b.start || b.end - a.end || a.seq - b.seq);
    const outer: Replacement[] = [];
    for (const r of inside) {
      const last = outer[outer.length - 1];
      if (last !== undefined && r.start < last.end) {
        if (r.end > last.end)
          throw new Error(`overlapping rewrites at ${r.start}..${r.end} and ${last.start}..${last.end}`);
        continue;
      }
      outer.push(r);
    }
    const ownedBy = (i: Insertion, r: Replacement) =>
      (i.at > r.start && i.at < r.end) ||
      (typeof r.text !== 'string' && (i.at === r.start || i.at === r.end) && i.seq > r.seq);
    const before = (i: Insertion, r: Replacement) => (i.at === r.start || i.at === r.end) && i.seq < r.seq;
    const points = this.#insertions
      .filter(
        (i) =>
          i.at >= start &&
          i.at <= end &&
          !outer.some((r) => ownedBy(i, r)) &&
          (caller === undefined || !before(i, caller)),
      )
      .sort((a, b) => a.at - b.at || closeOrder(a, b));
    let out = '';
    let pos = start;
    let p = 0;
    const flushPoints = (upTo: number) => {
      while (p < points.length && (points[p] as Insertion).at <= upTo) {
        const i = points[p] as Insertion;
        out += this.#source.slice(pos, i.at) + i.text;
        pos = i.at;
        p++;
      }
    };
    for (const r of outer) {
      flushPoints(r.start);
      out += this.#source.slice(pos, r.start);
      out += typeof r.text === 'string' ? r.text : r.text((a, b) => this.#render(a, b, r));
      pos = r.end;
      // Insertions exactly at r.end come after the replacement.
    }
    flushPoints(end);
    out += this.#source.slice(pos, end);
    return out;
  }
}

/** At one point: closing insertions first (inner before outer), then opening ones (outer before inner). */
function closeOrder(a: Insertion, b: Insertion): number {
  if (a.close && b.close) return b.seq - a.seq;
  if (a.close) return -1;
  if (b.close) return 1;
  return a.seq - b.seq;
}
