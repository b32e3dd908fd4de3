/**
 * Where a parse-tree node is in the query text. libpg-query records one location per node
 * (not always its first token: an operator's location is the operator) and no end, so the
 * extent is rebuilt from the tokens: from the first to the last located token of the
 * subtree, widened until brackets (`(…)`, `[…]`, `CASE … END`) balance, plus the tokens a
 * node owns without a location of their own (`IS NOT NULL`, `double precision[]`,
 * `COLLATE pg_catalog.default`, the `.name` of a qualified name).
 */
import type { Token } from '../../sql/tokens.ts';
import { asNode, type Fields, list, locationOf } from './pg-tree.ts';

export interface Span {
  /** String index of the first character. */
  readonly start: number;
  /** String index one past the last character. */
  readonly end: number;
}

function isWordToken(t: Token | undefined): boolean {
  return t !== undefined && (t.kind === 'ident' || t.kind === 'keyword');
}

function isKeyword(t: Token | undefined, ...words: string[]): boolean {
  return (
    t !== undefined && (t.kind === 'keyword' || (t.kind === 'ident' && !t.quoted)) && words.includes(t.upper)
  );
}

function isPunctToken(t: Token | undefined, text: string): boolean {
  return t !== undefined && t.kind === 'punct' && t.text === text;
}

function opens(t: Token): boolean {
  return (t.kind === 'punct' && (t.text === '(' || t.text === '[')) || isKeyword(t, 'CASE');
}

function closes(t: Token): boolean {
  return (t.kind === 'punct' && (t.text === ')' || t.text === ']')) || isKeyword(t, 'END');
}

const intervalFields = ['YEAR', 'MONTH', 'DAY', 'HOUR', 'MINUTE', 'SECOND', 'TO'];

export class Extents {
  readonly #tokens: readonly Token[];

  constructor(tokens: readonly Token[]) {
    this.#tokens = tokens;
  }

  get tokens(): readonly Token[] {
    return this.#tokens;
  }

  /** Index of the token at string index `offset` (starting there, or else containing it); -1 if none. */
  tokenAt(offset: number): number {
    const ts = this.#tokens;
    let lo = 0;
    let hi = ts.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const t = ts[mid] as Token;
      if (t.start === offset) return mid;
      if (t.start < offset) lo = mid + 1;
      else hi = mid - 1;
    }
    const before = ts[hi];
    return before !== undefined && before.end > offset ? hi : -1;
  }

  /** Index of the last token of a dotted name (`a`, `a.b`, `a.*`) starting at token `i`. */
  nameEndIndex(i: number): number {
    const ts = this.#tokens;
    let j = i;
    while (isPunctToken(ts[j + 1], '.') && (isWordToken(ts[j + 2]) || isPunctToken(ts[j + 2], '*'))) j += 2;
    return j;
  }

  /** The span of a dotted name starting at string index `location`. */
  nameSpan(location: number): Span {
    const i = this.tokenAt(location);
    const first = this.#tokens[i] as Token;
    const last = this.#tokens[this.nameEndIndex(i)] as Token;
    return { start: first.start, end: last.end };
  }

  /** Index of the bracket closing the one at `i`. */
  matching(i: number): number {
    const ts = this.#tokens;
    let depth = 0;
    for (let j = i; j < ts.length; j++) {
      const t = ts[j] as Token;
      if (opens(t)) depth++;
      else if (closes(t)) {
        depth--;
        if (depth === 0) return j;
      }
    }
    return ts.length - 1;
  }

  /** The tokens a located node owns itself (`IS NOT NULL`, `double precision[]`), children aside. */
  ownSpan(kind: string, fields: Fields): Span | undefined {
    const i = this.tokenAt(locationOf(fields));
    if (i < 0) return undefined;
    const last = this.#ownLast(kind, fields, i);
    return { start: (this.#tokens[i] as Token).start, end: (this.#tokens[last] as Token).end };
  }

  /** The extent of a node (or a list of nodes), undefined when nothing in it is located. */
  of(node: unknown): Span | undefined {
    const range = { first: Number.POSITIVE_INFINITY, last: -1 };
    this.#anchor(node, range);
    if (range.last < 0) return undefined;
    const [first, last] = this.#balance(range.first, range.last);
    return {
      start: (this.#tokens[first] as Token).start,
      end: (this.#tokens[last] as Token).end,
    };
  }

  /** Widens token range [a, b] until its brackets balance. */
  #balance(a: number, b: number): [number, number] {
    const ts = this.#tokens;
    let depth = 0;
    let unmatchedClosers = 0;
    for (let i = a; i <= b; i++) {
      const t = ts[i] as Token;
      if (opens(t)) depth++;
      else if (closes(t)) {
        if (depth > 0) depth--;
        else unmatchedClosers++;
      }
    }
    let first = a;
    while (unmatchedClosers > 0 && first > 0) {
      first--;
      const t = ts[first] as Token;
      if (closes(t)) unmatchedClosers++;
      else if (opens(t)) unmatchedClosers--;
    }
    let last = b;
    while (depth > 0 && last < ts.length - 1) {
      last++;
      const t = ts[last] as Token;
      if (opens(t)) depth++;
      else if (closes(t)) depth--;
    }
    return [first, last];
  }

  #anchor(n: unknown, range: { first: number; last: number }): void {
    if (Array.isArray(n)) {
      for (const e of n) this.#anchor(e, range);
      return;
    }
    const node = asNode(n);
    if (node !== undefined) this.#anchorFields(node.kind, node.fields, range);
    else if (n !== null && typeof n === 'object') this.#anchorFields('', n as Fields, range);
  }

  /** Fields of a node of `kind`; '' for a bare field object (the `larg` of a set operation). */
  #anchorFields(kind: string, fields: Fields, range: { first: number; last: number }): void {
    if (kind === 'A_Indirection') {
      this.#indirection(fields, range);
      return;
    }
    const loc = locationOf(fields);
    if (loc >= 0) {
      const i = this.tokenAt(loc);
      if (i >= 0) {
        range.first = Math.min(range.first, i);
        range.last = Math.max(range.last, this.#ownLast(kind, fields, i));
      }
    }
    for (const [k, v] of Object.entries(fields)) {
      if (k === 'location' || v === null || typeof v !== 'object') continue;
      // A few node-valued fields hold bare field objects; their kind is known from the field.
      if (k === 'typeName' && !Array.isArray(v)) this.#anchorFields('TypeName', v as Fields, range);
      else if (k === 'over' && !Array.isArray(v)) this.#anchorFields('WindowDef', v as Fields, range);
      else this.#anchor(v, range);
    }
  }

  /** Index of the last token a located node owns, its first being token `i`. */
  #ownLast(kind: string, f: Fields, i: number): number {
    const ts = this.#tokens;
    switch (kind) {
      case 'ColumnRef':
        return isWordToken(ts[i]) ? this.nameEndIndex(i) : i;
      case 'FuncCall': {
        const j = isWordToken(ts[i]) ? this.nameEndIndex(i) : i;
        return isPunctToken(ts[j + 1], '(') ? this.matching(j + 1) : j;
      }
      case 'WindowDef':
        return isPunctToken(ts[i], '(') ? this.matching(i) : i;
      case 'A_Const':
        return isPunctToken(ts[i], '-') || isPunctToken(ts[i], '+') ? i + 1 : i;
      case 'NullTest': {
        let j = i;
        if (isKeyword(ts[j], 'IS')) {
          if (isKeyword(ts[j + 1], 'NOT')) j++;
          if (isKeyword(ts[j + 1], 'NULL')) j++;
        }
        return j;
      }
      case 'BooleanTest': {
        let j = i;
        if (isKeyword(ts[j + 1], 'NOT')) j++;
        if (isKeyword(ts[j + 1], 'TRUE', 'FALSE', 'UNKNOWN')) j++;
        return j;
      }
      case 'CollateClause':
        return isWordToken(ts[i + 1]) ? this.nameEndIndex(i + 1) : i;
      case 'SQLValueFunction':
        return isPunctToken(ts[i + 1], '(') ? this.matching(i + 1) : i;
      case 'TypeName':
        return this.#typeNameLast(f, i);
      default:
        return i;
    }
  }

  #typeNameLast(f: Fields, i: number): number {
    const ts = this.#tokens;
    let j = isWordToken(ts[i]) ? this.nameEndIndex(i) : i;
    for (;;) {
      const next = ts[j + 1];
      if (isKeyword(next, 'PRECISION', 'VARYING')) j++;
      else if (
        isKeyword(next, 'WITH', 'WITHOUT') &&
        isKeyword(ts[j + 2], 'TIME') &&
        isKeyword(ts[j + 3], 'ZONE')
      )
        j += 3;
      else if (isPunctToken(next, '(')) j = this.matching(j + 1);
      else if (isPunctToken(next, '[')) j = this.matching(j + 1);
      else if (isKeyword(next, 'ARRAY')) j++;
      else if (isKeyword(next, ...intervalFields) && list(f.typmods).length > 0) j++;
      else return j;
    }
  }

  /** `(x).f`, `x[1]`, `(x).*`: the argument and subscripts, then the `.name` parts after them. */
  #indirection(f: Fields, range: { first: number; last: number }): void {
    const ts = this.#tokens;
    const local = { first: Number.POSITIVE_INFINITY, last: -1 };
    this.#anchor(f.arg, local);
    if (local.last < 0) return;
    let [first, j] = this.#balance(local.first, local.last);
    for (const el of list(f.indirection)) {
      const node = asNode(el);
      if (node?.kind === 'String' || node?.kind === 'A_Star') {
        if (isPunctToken(ts[j + 1], ')')) j++;
        if (isPunctToken(ts[j + 1], '.') && (isWordToken(ts[j + 2]) || isPunctToken(ts[j + 2], '*'))) j += 2;
      } else if (isPunctToken(ts[j + 1], '[')) j = this.matching(j + 1);
    }
    [first, j] = this.#balance(first, j);
    range.first = Math.min(range.first, first);
    range.last = Math.max(range.last, j);
  }
}
