/**
 * Subscriptions and cursors, read off the token stream (PostgreSQL's parser knows neither
 * RisingWave's change streams nor cursors outside PL/pgSQL's grammar of them we need):
 *
 * - `CREATE SUBSCRIPTION [IF NOT EXISTS] s FROM relation WITH (retention = '1D')`
 * - `DROP SUBSCRIPTION [IF EXISTS] s`
 * - `DECLARE c SUBSCRIPTION CURSOR FOR s [SINCE now() | proctime() | begin() | unix_ms | FULL]`
 * - `DECLARE c [BINARY] [INSENSITIVE] [[NO] SCROLL] CURSOR [WITH[OUT] HOLD] FOR query`
 * - `FETCH [NEXT | FORWARD [n | ALL] | n | ALL] {FROM | IN} c [WITH (timeout = '…')]`
 * - `CLOSE c | ALL`
 *
 * Positions in errors are 1-based offsets into the script the tokens were scanned from.
 */
import { SqlError, SqlState } from './errors.ts';
import { parseInterval } from './literals.ts';
import {
  isPunct,
  isWord,
  readIfNotExists,
  readName,
  readOptions,
  syntaxErrorAt,
  type TokenSpan,
} from './risingwave.ts';
import type { Interval } from './types.ts';

export type CursorStart =
  | { readonly kind: 'now' }
  | { readonly kind: 'begin' }
  | { readonly kind: 'full' }
  | { readonly kind: 'since'; readonly unixMs: number };

export type CursorStatement =
  | {
      readonly kind: 'CreateSubscription';
      readonly name: string;
      readonly from: string;
      readonly retentionMs: number;
      readonly ifNotExists: boolean;
    }
  | { readonly kind: 'DropSubscription'; readonly name: string; readonly ifExists: boolean }
  | {
      readonly kind: 'DeclareCursor';
      readonly name: string;
      readonly subscription: string;
      readonly start: CursorStart;
    }
  | {
      readonly kind: 'DeclareQueryCursor';
      readonly name: string;
      /** The query's text and its 0-based offset in the script. */
      readonly query: string;
      readonly queryOffset: number;
    }
  | { readonly kind: 'Fetch'; readonly cursor: string; readonly count: number; readonly timeoutMs: number }
  | { readonly kind: 'CloseCursor'; readonly cursor: string | undefined };

const MS_PER_DAY = 86_400_000;

function intervalMs(iv: Interval): number {
  return iv.months * 30 * MS_PER_DAY + iv.days * MS_PER_DAY + iv.micros / 1000;
}

function durationOption(span: TokenSpan, at: number, key: string, text: string | undefined): number {
  const iv = text === undefined ? undefined : parseInterval(text);
  if (iv === undefined || intervalMs(iv) < 0)
    throw new SqlError(
      SqlState.invalidParameterValue,
      `${key} must be an interval such as '1D' or '30 seconds', not ${text === undefined ? 'missing' : `'${text}'`}`,
      (span.tokens[at]?.start ?? 0) + 1,
    );
  return intervalMs(iv);
}

/** `WITH (key = 'duration')` at `i`, the one option a statement takes there; `fallback` without it. */
function withDuration(
  span: TokenSpan,
  i: number,
  key: string,
  statement: string,
  fallback: number,
): { ms: number; next: number } {
  if (!isWord(span.tokens[i], 'WITH')) return { ms: fallback, next: i };
  const { options, next } = readOptions(span, i + 1);
  let text: string | undefined;
  for (const [k, v] of options) {
    if (k.toLowerCase() !== key)
      throw new SqlError(SqlState.invalidParameterValue, `unknown ${statement} option "${k}"`);
    text = v;
  }
  return { ms: durationOption(span, i + 1, key, text), next };
}

function expectEnd(span: TokenSpan, i: number): void {
  if (i < span.tokens.length) throw syntaxErrorAt(span, i);
}

function expectWord(span: TokenSpan, i: number, word: string): number {
  if (!isWord(span.tokens[i], word)) throw syntaxErrorAt(span, i);
  return i + 1;
}

/** `now()`, `proctime()`, `begin()` at `i` (the name, `(`, `)`)? */
function callOf(span: TokenSpan, i: number): string | undefined {
  const t = span.tokens[i];
  if (t === undefined || !isPunct(span.tokens[i + 1], '(') || !isPunct(span.tokens[i + 2], ')'))
    return undefined;
  return t.upper;
}

function readStart(span: TokenSpan, i: number): { start: CursorStart; next: number } {
  const ts = span.tokens;
  if (i >= ts.length) return { start: { kind: 'now' }, next: i };
  if (isWord(ts[i], 'FULL')) return { start: { kind: 'full' }, next: i + 1 };
  const since = expectWord(span, i, 'SINCE');
  const call = callOf(span, since);
  if (call === 'NOW' || call === 'PROCTIME') return { start: { kind: 'now' }, next: since + 3 };
  if (call === 'BEGIN') return { start: { kind: 'begin' }, next: since + 3 };
  const t = ts[since];
  if (t?.kind === 'number' && /^\d+$/.test(t.text))
    return { start: { kind: 'since', unixMs: Number(t.text) }, next: since + 1 };
  throw syntaxErrorAt(span, since);
}

/** The statement `span` holds, if it is one of the above; undefined otherwise. */
export function parseCursorStatement(span: TokenSpan): CursorStatement | undefined {
  const ts = span.tokens;
  if (isWord(ts[0], 'CREATE') && isWord(ts[1], 'SUBSCRIPTION')) {
    const ine = readIfNotExists(span, 2);
    const name = readName(span, ine.next);
    const from = readName(span, expectWord(span, name.next, 'FROM'));
    const retention = withDuration(span, from.next, 'retention', 'subscription', MS_PER_DAY);
    const retentionMs = retention.ms;
    expectEnd(span, retention.next);
    return {
      kind: 'CreateSubscription',
      name: name.name,
      from: from.name,
      retentionMs,
      ifNotExists: ine.present,
    };
  }
  if (isWord(ts[0], 'DROP') && isWord(ts[1], 'SUBSCRIPTION')) {
    const ifExists = isWord(ts[2], 'IF') && isWord(ts[3], 'EXISTS');
    const name = readName(span, ifExists ? 4 : 2);
    expectEnd(span, name.next);
    return { kind: 'DropSubscription', name: name.name, ifExists };
  }
  if (isWord(ts[0], 'DECLARE') && !isWord(ts[2], 'SUBSCRIPTION')) {
    const name = readName(span, 1);
    let i = name.next;
    while (['BINARY', 'INSENSITIVE', 'ASENSITIVE', 'NO', 'SCROLL'].some((w) => isWord(ts[i], w))) i++;
    i = expectWord(span, i, 'CURSOR');
    if ((isWord(ts[i], 'WITH') || isWord(ts[i], 'WITHOUT')) && isWord(ts[i + 1], 'HOLD')) i += 2;
    i = expectWord(span, i, 'FOR');
    const first = ts[i];
    const last = ts[ts.length - 1];
    if (first === undefined || last === undefined) throw syntaxErrorAt(span, i);
    return {
      kind: 'DeclareQueryCursor',
      name: name.name,
      query: span.script.slice(first.start, last.end),
      queryOffset: first.start,
    };
  }
  if (isWord(ts[0], 'DECLARE') && isWord(ts[2], 'SUBSCRIPTION')) {
    const name = readName(span, 1);
    const sub = readName(span, expectWord(span, expectWord(span, name.next + 1, 'CURSOR'), 'FOR'));
    const start = readStart(span, sub.next);
    expectEnd(span, start.next);
    return { kind: 'DeclareCursor', name: name.name, subscription: sub.name, start: start.start };
  }
  if (isWord(ts[0], 'FETCH')) {
    let i = 1;
    let count = 1;
    const amount = () => {
      if (isWord(ts[i], 'ALL')) {
        count = Number.POSITIVE_INFINITY;
        i++;
      } else if (ts[i]?.kind === 'number' && /^\d+$/.test(ts[i]?.text ?? '')) {
        count = Number(ts[i]?.text);
        i++;
      }
    };
    if (isWord(ts[i], 'NEXT')) i++;
    else if (isWord(ts[i], 'FORWARD')) {
      i++;
      amount();
    } else amount();
    if (!isWord(ts[i], 'IN')) i = expectWord(span, i, 'FROM') - 1;
    const cursor = readName(span, i + 1);
    const timeout = withDuration(span, cursor.next, 'timeout', 'fetch', 0);
    expectEnd(span, timeout.next);
    return { kind: 'Fetch', cursor: cursor.name, count, timeoutMs: timeout.ms };
  }
  if (isWord(ts[0], 'CLOSE')) {
    if (isWord(ts[1], 'ALL')) {
      expectEnd(span, 2);
      return { kind: 'CloseCursor', cursor: undefined };
    }
    const cursor = readName(span, 1);
    expectEnd(span, cursor.next);
    return { kind: 'CloseCursor', cursor: cursor.name };
  }
  return undefined;
}
