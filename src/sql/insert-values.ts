/**
 * The bulk-load form of INSERT, read without PostgreSQL's scanner and parser:
 * `INSERT INTO name [(col, …)] VALUES (lit, …), (lit, …) [;]`, where every item is a literal:
 * NULL, TRUE, FALSE, a number (optionally signed), or a standard string `'…'` with an optional
 * `::type`. That is what drivers, ORMs and log shippers send by the thousand; parsing such a
 * statement of 1,000 rows through libpg-query costs ~50 ms (most of it its scanner), reading
 * it here ~2 ms.
 *
 * Anything else — E'' or dollar-quoted strings, expressions, DEFAULT, RETURNING, ON CONFLICT,
 * a second statement — is not read (`readInsertInto` answers false), and the statement takes
 * the general path, which also reports every error. So this reader never has to be complete,
 * only exact in what it accepts.
 */

export type InsertLiteral =
  | { readonly kind: 'null' }
  | { readonly kind: 'boolean'; readonly value: boolean }
  /** `text` as written, sign included; `integer`: digits only (no point, no exponent). */
  | { readonly kind: 'number'; readonly text: string; readonly integer: boolean }
  | { readonly kind: 'string'; readonly value: string; readonly cast: string | undefined };

/** Words that cannot name a table or column unquoted where this reader takes a name. */
const RESERVED = new Set([
  'all',
  'as',
  'default',
  'from',
  'insert',
  'into',
  'on',
  'returning',
  'select',
  'table',
  'values',
  'where',
  'with',
]);

const NULL_LITERAL: InsertLiteral = Object.freeze({ kind: 'null' });
const TRUE_LITERAL: InsertLiteral = Object.freeze({ kind: 'boolean', value: true });
const FALSE_LITERAL: InsertLiteral = Object.freeze({ kind: 'boolean', value: false });

/**
 * Takes a bulk-load INSERT's literals as they are read, without the statement's literals being
 * kept: each `literal` is valid only during the call. A false answer ends the reading (the
 * statement then goes the general way).
 */
export interface InsertSink {
  /** The statement's table (folded, `public.` dropped) and its column list, if any. */
  begin(table: string, columns: readonly string[] | undefined): boolean;
  /** The literal at `position` in the current row. */
  literal(position: number, literal: InsertLiteral): boolean;
  /** The current row ended, after `count` literals. */
  endRow(count: number): boolean;
}

/** Reads a statement of the bulk-load form into `sink`; false when it is not of that form or the sink refused it. */
export function readInsertInto(sql: string, sink: InsertSink): boolean {
  return new Reader(sql).statement(sink);
}

/**
 * The table of a statement that begins as a bulk-load INSERT does (`INSERT INTO t [(…)]
 * VALUES`), without reading its rows; undefined otherwise. Whether the rest is of that form is
 * for `readInsertInto` to say, where the rows are converted.
 */
export function readInsertTable(sql: string): string | undefined {
  return new Reader(sql).head()?.table;
}

function isIdentStart(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95 || c >= 0x80;
}

function isIdentPart(c: number): boolean {
  return isIdentStart(c) || (c >= 48 && c <= 57) || c === 36;
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

/** A failed read: the statement is not of the form (not an error of the statement). */
class NotBulk extends Error {}

/**
 * Thrown for every failed read, made once: every statement of the endpoint that is not a bulk
 * INSERT ends in one, and capturing a stack each time made `readInsertTable` of a SELECT cost
 * 8 µs rather than 0.7 (1.4% of the serving thread at 10,000 events/s, 20 clients querying).
 */
const NOT_BULK = new NotBulk();

class Reader {
  readonly #s: string;
  #i = 0;

  constructor(sql: string) {
    this.#s = sql;
  }

  /** `INSERT INTO t [(columns)] VALUES`, read up to its rows. */
  head(): { readonly table: string; readonly columns: string[] | undefined } | undefined {
    try {
      this.#word('insert');
      this.#word('into');
      let table = this.#name();
      if (this.#peek() === 46 /* . */) {
        if (table !== 'public') return undefined;
        this.#i++;
        table = this.#name();
      }
      let columns: string[] | undefined;
      if (this.#peek() === 40 /* ( */) {
        this.#i++;
        columns = [this.#name()];
        while (this.#punct(44 /* , */)) columns.push(this.#name());
        this.#expect(41 /* ) */);
      }
      this.#word('values');
      return { table, columns };
    } catch (e) {
      if (e instanceof NotBulk) return undefined;
      throw e;
    }
  }

  statement(sink: InsertSink): boolean {
    const head = this.head();
    if (head === undefined || !sink.begin(head.table, head.columns)) return false;
    try {
      this.#row(sink);
      while (this.#punct(44)) this.#row(sink);
      this.#punct(59 /* ; */);
      return this.#peek() === -1;
    } catch (e) {
      if (e instanceof NotBulk) return false;
      throw e;
    }
  }

  /** The next significant character (after blanks and comments), or -1 at the end. */
  #peek(): number {
    const s = this.#s;
    for (;;) {
      const c = s.charCodeAt(this.#i);
      if (c === 32 || c === 10 || c === 9 || c === 13 || c === 12 || c === 11) this.#i++;
      else if (c === 45 && s.charCodeAt(this.#i + 1) === 45) {
        const nl = s.indexOf('\n', this.#i);
        this.#i = nl < 0 ? s.length : nl + 1;
      } else if (c === 47 && s.charCodeAt(this.#i + 1) === 42) this.#comment();
      else return Number.isNaN(c) ? -1 : c;
    }
  }

  /** A `/* … *\/` comment, nested as PostgreSQL nests them. */
  #comment(): void {
    const s = this.#s;
    let depth = 0;
    do {
      if (this.#i >= s.length) throw NOT_BULK;
      if (s.charCodeAt(this.#i) === 47 && s.charCodeAt(this.#i + 1) === 42) {
        depth++;
        this.#i += 2;
      } else if (s.charCodeAt(this.#i) === 42 && s.charCodeAt(this.#i + 1) === 47) {
        depth--;
        this.#i += 2;
      } else this.#i++;
    } while (depth > 0);
  }

  #punct(c: number): boolean {
    if (this.#peek() !== c) return false;
    this.#i++;
    return true;
  }

  #expect(c: number): void {
    if (!this.#punct(c)) throw NOT_BULK;
  }

  /** An unquoted word as written; undefined when none starts here. */
  #bareWord(): string | undefined {
    const c = this.#peek();
    if (!isIdentStart(c)) return undefined;
    const s = this.#s;
    const from = this.#i;
    while (this.#i < s.length && isIdentPart(s.charCodeAt(this.#i))) this.#i++;
    return s.slice(from, this.#i);
  }

  #word(lower: string): void {
    if (this.#bareWord()?.toLowerCase() !== lower) throw NOT_BULK;
  }

  /** An identifier: unquoted (folded to lower case, not a reserved word) or double-quoted. */
  #name(): string {
    if (this.#peek() === 34 /* " */) {
      const s = this.#s;
      let out = '';
      let from = ++this.#i;
      for (;;) {
        const q = s.indexOf('"', this.#i);
        if (q < 0) throw NOT_BULK;
        if (s.charCodeAt(q + 1) === 34) {
          out += s.slice(from, q + 1);
          this.#i = from = q + 2;
          continue;
        }
        out += s.slice(from, q);
        this.#i = q + 1;
        if (out === '') throw NOT_BULK;
        return out;
      }
    }
    const word = this.#bareWord()?.toLowerCase();
    if (word === undefined || RESERVED.has(word)) throw NOT_BULK;
    return word;
  }

  #row(sink: InsertSink): void {
    this.#expect(40 /* ( */);
    let count = 0;
    do if (!sink.literal(count++, this.#literal())) throw NOT_BULK;
    while (this.#punct(44 /* , */));
    this.#expect(41 /* ) */);
    if (!sink.endRow(count)) throw NOT_BULK;
  }

  // The literal handed to the sink: one object of each kind, rewritten for every literal.
  readonly #stringLiteral: { kind: 'string'; value: string; cast: string | undefined } = {
    kind: 'string',
    value: '',
    cast: undefined,
  };
  readonly #numberLiteral: { kind: 'number'; text: string; integer: boolean } = {
    kind: 'number',
    text: '',
    integer: true,
  };

  #literal(): InsertLiteral {
    const c = this.#peek();
    if (c === 39 /* ' */) {
      const value = this.#string();
      // Two string constants separated by a newline are one in PostgreSQL: not read here.
      if (this.#peek() === 39) throw NOT_BULK;
      const literal = this.#stringLiteral;
      literal.value = value;
      literal.cast = this.#cast();
      return literal;
    }
    if (isDigit(c) || c === 46 || c === 45 || c === 43) return this.#number();
    const word = this.#bareWord()?.toLowerCase();
    const literal =
      word === 'null'
        ? NULL_LITERAL
        : word === 'true'
          ? TRUE_LITERAL
          : word === 'false'
            ? FALSE_LITERAL
            : undefined;
    if (literal === undefined || this.#peek() === 58 /* : */) throw NOT_BULK;
    return literal;
  }

  /** `'…'` with `''` for a quote (standard_conforming_strings: a backslash is itself). */
  #string(): string {
    const s = this.#s;
    let from = ++this.#i;
    let out = '';
    for (;;) {
      const q = s.indexOf("'", this.#i);
      if (q < 0) throw NOT_BULK;
      if (s.charCodeAt(q + 1) === 39) {
        out += s.slice(from, q + 1);
        this.#i = from = q + 2;
        continue;
      }
      out += s.slice(from, q);
      this.#i = q + 1;
      return out;
    }
  }

  /** A `::type` after a string: one word (e.g. `::timestamp`), lower case. */
  #cast(): string | undefined {
    if (this.#peek() !== 58 /* : */) return undefined;
    if (this.#s.charCodeAt(this.#i + 1) !== 58) throw NOT_BULK;
    this.#i += 2;
    const type = this.#bareWord()?.toLowerCase();
    const next = this.#peek();
    if (type === undefined || next === 40 /* ( */ || next === 91 /* [ */ || next === 58 || isIdentStart(next))
      throw NOT_BULK;
    return type;
  }

  /** `[+-]digits[.digits][e[+-]digits]`, as PostgreSQL 15 lexes a number; nothing may follow it directly. */
  #number(): InsertLiteral {
    const s = this.#s;
    const from = this.#i;
    if (s.charCodeAt(this.#i) === 45 || s.charCodeAt(this.#i) === 43) {
      this.#i++;
      // A sign is an operator in SQL: `- 5` and `-- comment` are not read here.
      if (!isDigit(s.charCodeAt(this.#i)) && s.charCodeAt(this.#i) !== 46) throw NOT_BULK;
    }
    let digits = 0;
    while (isDigit(s.charCodeAt(this.#i))) {
      this.#i++;
      digits++;
    }
    let integer = true;
    if (s.charCodeAt(this.#i) === 46) {
      integer = false;
      this.#i++;
      while (isDigit(s.charCodeAt(this.#i))) {
        this.#i++;
        digits++;
      }
    }
    if (digits === 0) throw NOT_BULK;
    const e = s.charCodeAt(this.#i);
    if (e === 101 || e === 69) {
      integer = false;
      this.#i++;
      if (s.charCodeAt(this.#i) === 45 || s.charCodeAt(this.#i) === 43) this.#i++;
      if (!isDigit(s.charCodeAt(this.#i))) throw NOT_BULK;
      while (isDigit(s.charCodeAt(this.#i))) this.#i++;
    }
    const after = s.charCodeAt(this.#i);
    if (isIdentPart(after) || after === 46 || after === 58) throw NOT_BULK;
    const literal = this.#numberLiteral;
    literal.text = s.slice(from, this.#i);
    literal.integer = integer;
    return literal;
  }
}
