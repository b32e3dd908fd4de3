/**
 * ALTER of a relation or a sink, read off the token stream (PostgreSQL's parser knows neither
 * `ALTER SOURCE` nor `ALTER SINK`): `ALTER {TABLE | MATERIALIZED VIEW | VIEW | SOURCE | SINK}
 * [IF EXISTS] name OWNER TO user` is the one form tidewatch runs; any other (RENAME, ADD COLUMN,
 * SET PARALLELISM…) is 0A000 naming itself. Positions in errors are 1-based offsets into the
 * script the tokens were scanned from.
 */
import { SqlError, SqlState } from './errors.ts';
import { isPunct, isWord, notSupportedAt, readName, syntaxErrorAt, type TokenSpan } from './risingwave.ts';
import { identName, type Token } from './tokens.ts';

/** What an ALTER names, as written. */
export type AlterObjectKind = 'table' | 'materialized view' | 'view' | 'source' | 'sink';

export interface AlterOwner {
  readonly kind: 'AlterOwner';
  readonly objectKind: AlterObjectKind;
  /** As written, maybe `public.`-qualified. */
  readonly name: string;
  readonly ifExists: boolean;
  /** The user named; undefined for CURRENT_USER, SESSION_USER or CURRENT_ROLE (the session's). */
  readonly newOwner: string | undefined;
}

const CURRENT_USER_WORDS: ReadonlySet<string> = new Set(['CURRENT_USER', 'SESSION_USER', 'CURRENT_ROLE']);

/** RisingWave's command tag of each ALTER. */
export const ALTER_TAGS: Readonly<Record<AlterObjectKind, string>> = {
  table: 'ALTER_TABLE',
  'materialized view': 'ALTER_MATERIALIZED_VIEW',
  view: 'ALTER_VIEW',
  source: 'ALTER_SOURCE',
  sink: 'ALTER_SINK',
};

/** The object kind an ALTER names and the index after its words, or undefined for another statement. */
function objectKindOf(span: TokenSpan): { objectKind: AlterObjectKind; next: number } | undefined {
  const ts = span.tokens;
  if (!isWord(ts[0], 'ALTER')) return undefined;
  if (isWord(ts[1], 'MATERIALIZED') && isWord(ts[2], 'VIEW'))
    return { objectKind: 'materialized view', next: 3 };
  for (const objectKind of ['table', 'view', 'source', 'sink'] as const)
    if (isWord(ts[1], objectKind.toUpperCase())) return { objectKind, next: 2 };
  return undefined;
}

function word(t: Token | undefined): boolean {
  return t !== undefined && (t.kind === 'keyword' || (t.kind === 'ident' && !t.quoted));
}

/**
 * `ALTER kind [IF EXISTS] name OWNER TO user`; undefined when the tokens are no ALTER of a
 * relation or sink, or another form of one (`refuseOtherAlter` names it).
 */
export function parseAlterOwner(span: TokenSpan): AlterOwner | undefined {
  const head = objectKindOf(span);
  if (head === undefined) return undefined;
  const ts = span.tokens;
  const ifExists = isWord(ts[head.next], 'IF') && isWord(ts[head.next + 1], 'EXISTS');
  const name = readName(span, ifExists ? head.next + 2 : head.next);
  if (!isWord(ts[name.next], 'OWNER')) return undefined;
  if (!isWord(ts[name.next + 1], 'TO')) throw syntaxErrorAt(span, name.next + 1);
  const user = ts[name.next + 2];
  if (
    user === undefined ||
    (user.kind !== 'ident' && user.kind !== 'keyword') ||
    isPunct(ts[name.next + 3], '.')
  )
    throw syntaxErrorAt(span, name.next + 2);
  if (name.next + 3 < ts.length) throw syntaxErrorAt(span, name.next + 3);
  const current = !user.quoted && CURRENT_USER_WORDS.has(user.upper);
  return {
    kind: 'AlterOwner',
    objectKind: head.objectKind,
    name: name.name,
    ifExists,
    newOwner: current ? undefined : identName(user),
  };
}

/**
 * Throws for an ALTER of a relation or sink tidewatch does not run: 0A000 naming its form
 * (`ALTER SOURCE … RENAME TO`), or, for OWNER TO outside a client's session (a pipeline file),
 * 0A000 saying where it runs. Does nothing for other statements.
 */
export function refuseOtherAlter(span: TokenSpan): void {
  const head = objectKindOf(span);
  if (head === undefined) return;
  const ts = span.tokens;
  const written = `ALTER ${head.objectKind.toUpperCase()}`;
  if (parseAlterOwner(span) !== undefined)
    throw new SqlError(
      SqlState.featureNotSupported,
      `${written} … OWNER TO is a client's statement: run it over the PostgreSQL endpoint`,
      (ts[0] as Token).start + 1,
    );
  const at = head.next + (isWord(ts[head.next], 'IF') && isWord(ts[head.next + 1], 'EXISTS') ? 2 : 0);
  const action = readName(span, at).next;
  const first = ts[action];
  if (!word(first)) throw syntaxErrorAt(span, action);
  // The action's first word, and its second when that is a keyword (RENAME TO, ADD COLUMN) or
  // what a SET or RESET sets (SET PARALLELISM).
  const words = [(first as Token).upper];
  const second = ts[action + 1];
  if (word(second) && (second?.kind === 'keyword' || words[0] === 'SET' || words[0] === 'RESET'))
    words.push((second as Token).upper);
  const refused = notSupportedAt(span, `${written} … ${words.join(' ')}`, action);
  throw new SqlError(refused.sqlstate, refused.message, refused.position, {
    hint: 'Of the ALTER forms of a relation or sink, tidewatch runs OWNER TO.',
  });
}
