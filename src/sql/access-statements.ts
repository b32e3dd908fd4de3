/**
 * Users and privileges in RisingWave's syntax, read off the token stream (PostgreSQL's parser
 * knows neither `CREATEUSER` nor `GRANT … ON MATERIALIZED VIEW | SOURCE`):
 *
 * - `CREATE USER name [[WITH] option …]`, `ALTER USER name [[WITH] option …]`, options
 *   `SUPERUSER | NOSUPERUSER | CREATEDB | NOCREATEDB | CREATEUSER | NOCREATEUSER | LOGIN |
 *   NOLOGIN | [ENCRYPTED] PASSWORD 'text' | PASSWORD NULL`
 * - `ALTER USER name RENAME TO new_name`, `DROP USER [IF EXISTS] name [, …]`
 * - `GRANT {privilege [, …] | ALL [PRIVILEGES]} ON [TABLE | MATERIALIZED VIEW | SOURCE] name [, …]
 *   TO user [, …] [WITH GRANT OPTION] [GRANTED BY user]`, and `ON ALL {TABLES | MATERIALIZED
 *   VIEWS | SOURCES} IN SCHEMA schema [, …]`
 * - `REVOKE [GRANT OPTION FOR] … ON … FROM user [, …] [GRANTED BY user] [CASCADE | RESTRICT]`
 * - `GRANT CREATE ON SCHEMA schema [, …] TO user [, …]`, `REVOKE CREATE ON SCHEMA … FROM …`:
 *   who may create objects (which they then own)
 *
 * Positions in errors are 1-based offsets into the script the tokens were scanned from.
 */
import { SqlError, SqlState } from './errors.ts';
import { isPunct, isWord, readName, syntaxErrorAt, type TokenSpan } from './risingwave.ts';
import { identName, stringValue, type Token } from './tokens.ts';

export type Privilege = 'SELECT' | 'INSERT' | 'UPDATE' | 'DELETE';
export const PRIVILEGES: readonly Privilege[] = ['SELECT', 'INSERT', 'UPDATE', 'DELETE'];

export type GrantObjectKind = 'table' | 'materialized view' | 'source';

export interface UserOptions {
  readonly superuser?: boolean;
  readonly createdb?: boolean;
  readonly createuser?: boolean;
  readonly login?: boolean;
  /** The password's text; null: none (`PASSWORD NULL`). */
  readonly password?: string | null;
}

export type GrantTarget =
  /** Relations by name; `objectKind` as the statement wrote it (undefined: any). */
  | { readonly kind: 'relations'; readonly objectKind?: GrantObjectKind; readonly names: readonly string[] }
  | {
      readonly kind: 'all-in-schema';
      readonly objectKind: GrantObjectKind;
      readonly schemas: readonly string[];
    };

export type AccessStatement =
  | { readonly kind: 'CreateUser'; readonly name: string; readonly options: UserOptions }
  | { readonly kind: 'AlterUser'; readonly name: string; readonly options: UserOptions }
  | { readonly kind: 'RenameUser'; readonly name: string; readonly newName: string }
  | { readonly kind: 'DropUser'; readonly names: readonly string[]; readonly ifExists: boolean }
  | {
      readonly kind: 'Grant';
      /** 'ALL': every privilege the object has. */
      readonly privileges: readonly Privilege[] | 'ALL';
      readonly target: GrantTarget;
      readonly users: readonly string[];
      readonly withGrantOption: boolean;
      readonly grantedBy?: string;
    }
  | {
      readonly kind: 'Revoke';
      readonly privileges: readonly Privilege[] | 'ALL';
      readonly target: GrantTarget;
      readonly users: readonly string[];
      /** `REVOKE GRANT OPTION FOR`: the privileges stay, the right to grant them goes. */
      readonly grantOptionOnly: boolean;
      /** CASCADE: what the users granted onwards goes too (else such grants refuse the REVOKE). */
      readonly cascade: boolean;
      readonly grantedBy?: string;
    }
  | {
      readonly kind: 'GrantCreate' | 'RevokeCreate';
      readonly schemas: readonly string[];
      readonly users: readonly string[];
    };

export type AccessStatementKind = AccessStatement['kind'];

function word(span: TokenSpan, i: number): string | undefined {
  const t = span.tokens[i];
  return t !== undefined && (t.kind === 'keyword' || (t.kind === 'ident' && !t.quoted)) ? t.upper : undefined;
}

function expectWord(span: TokenSpan, i: number, w: string): number {
  if (!isWord(span.tokens[i], w)) throw syntaxErrorAt(span, i);
  return i + 1;
}

function expectEnd(span: TokenSpan, i: number): void {
  if (i < span.tokens.length) throw syntaxErrorAt(span, i);
}

/** A user (role) name: one identifier. */
function readUserName(span: TokenSpan, i: number): { name: string; next: number } {
  const t = span.tokens[i];
  if (t === undefined || (t.kind !== 'ident' && t.kind !== 'keyword') || isPunct(span.tokens[i + 1], '.'))
    throw syntaxErrorAt(span, i);
  return { name: identName(t), next: i + 1 };
}

/** `a, b, c` of user names. */
function readUserNames(span: TokenSpan, i: number): { names: string[]; next: number } {
  const names: string[] = [];
  for (;;) {
    const n = readUserName(span, i);
    names.push(n.name);
    i = n.next;
    if (!isPunct(span.tokens[i], ',')) return { names, next: i };
    i++;
  }
}

const FLAGS: Readonly<Record<string, readonly [keyof UserOptions, boolean]>> = {
  SUPERUSER: ['superuser', true],
  NOSUPERUSER: ['superuser', false],
  CREATEDB: ['createdb', true],
  NOCREATEDB: ['createdb', false],
  CREATEUSER: ['createuser', true],
  NOCREATEUSER: ['createuser', false],
  LOGIN: ['login', true],
  NOLOGIN: ['login', false],
};

function conflicting(span: TokenSpan, i: number): SqlError {
  return new SqlError(
    SqlState.syntaxError,
    'conflicting or redundant options',
    ((span.tokens[i] as Token | undefined)?.start ?? 0) + 1,
  );
}

/** `[WITH] option …` to the end of the statement. */
function readUserOptions(span: TokenSpan, i: number): UserOptions {
  const options: { -readonly [K in keyof UserOptions]: UserOptions[K] } = {};
  if (isWord(span.tokens[i], 'WITH')) i++;
  while (i < span.tokens.length) {
    const w = word(span, i);
    const flag = w === undefined ? undefined : FLAGS[w];
    if (flag !== undefined) {
      if (options[flag[0]] !== undefined) throw conflicting(span, i);
      (options as Record<string, boolean>)[flag[0]] = flag[1];
      i++;
      continue;
    }
    const at = i;
    if (w === 'ENCRYPTED') i++;
    if (!isWord(span.tokens[i], 'PASSWORD')) throw syntaxErrorAt(span, i);
    if (options.password !== undefined) throw conflicting(span, at);
    const value = span.tokens[i + 1];
    if (isWord(value, 'NULL')) options.password = null;
    else if (value?.kind === 'string') options.password = stringValue(value);
    else throw syntaxErrorAt(span, i + 1);
    i += 2;
  }
  return options;
}

const OBJECT_KINDS: Readonly<Record<string, GrantObjectKind>> = {
  TABLES: 'table',
  SOURCES: 'source',
  MATERIALIZED: 'materialized view',
};

/** The privilege list up to ON. */
function readPrivileges(span: TokenSpan, i: number): { privileges: Privilege[] | 'ALL'; next: number } {
  if (isWord(span.tokens[i], 'ALL')) {
    i++;
    if (isWord(span.tokens[i], 'PRIVILEGES')) i++;
    return { privileges: 'ALL', next: i };
  }
  const privileges: Privilege[] = [];
  for (;;) {
    const w = word(span, i);
    if (w !== 'SELECT' && w !== 'INSERT' && w !== 'UPDATE' && w !== 'DELETE') {
      const t = span.tokens[i];
      if (t !== undefined && (t.kind === 'ident' || t.kind === 'keyword'))
        throw new SqlError(
          SqlState.featureNotSupported,
          `privilege ${t.text} is not supported (SELECT, INSERT, UPDATE, DELETE or ALL)`,
          t.start + 1,
        );
      throw syntaxErrorAt(span, i);
    }
    if (!privileges.includes(w)) privileges.push(w);
    i++;
    if (!isPunct(span.tokens[i], ',')) return { privileges, next: i };
    i++;
  }
}

/** What follows ON, up to TO/FROM. */
function readTarget(span: TokenSpan, i: number): { target: GrantTarget; next: number } {
  const ts = span.tokens;
  if (isWord(ts[i], 'ALL')) {
    const w = word(span, i + 1);
    const objectKind = w === undefined ? undefined : OBJECT_KINDS[w];
    if (objectKind === undefined) throw syntaxErrorAt(span, i + 1);
    i += 2;
    if (objectKind === 'materialized view') i = expectWord(span, i, 'VIEWS');
    i = expectWord(span, expectWord(span, i, 'IN'), 'SCHEMA');
    const schemas = readUserNames(span, i);
    return { target: { kind: 'all-in-schema', objectKind, schemas: schemas.names }, next: schemas.next };
  }
  let objectKind: GrantObjectKind | undefined;
  if (isWord(ts[i], 'TABLE')) {
    objectKind = 'table';
    i++;
  } else if (isWord(ts[i], 'SOURCE')) {
    objectKind = 'source';
    i++;
  } else if (isWord(ts[i], 'MATERIALIZED') && isWord(ts[i + 1], 'VIEW')) {
    objectKind = 'materialized view';
    i += 2;
  } else if (
    ['SCHEMA', 'DATABASE', 'VIEW', 'SINK', 'FUNCTION', 'CONNECTION', 'SECRET'].includes(word(span, i) ?? '')
  ) {
    const t = ts[i] as Token;
    throw new SqlError(
      SqlState.featureNotSupported,
      `GRANT ON ${t.upper} is not supported: privileges are on tables, materialized views and sources`,
      t.start + 1,
    );
  }
  const names: string[] = [];
  for (;;) {
    const n = readName(span, i);
    names.push(n.name.startsWith('public.') ? n.name.slice('public.'.length) : n.name);
    i = n.next;
    if (!isPunct(ts[i], ',')) break;
    i++;
  }
  return { target: { kind: 'relations', objectKind, names }, next: i };
}

function readGrantedBy(span: TokenSpan, i: number): { grantedBy?: string; next: number } {
  if (!isWord(span.tokens[i], 'GRANTED')) return { next: i };
  const n = readUserName(span, expectWord(span, i + 1, 'BY'));
  return { grantedBy: n.name, next: n.next };
}

/** `CREATE ON SCHEMA s [, …] TO|FROM u [, …]` from `i` (CREATE), or undefined when it is not that. */
function readSchemaCreate(span: TokenSpan, i: number, grant: boolean): AccessStatement | undefined {
  if (!(word(span, i) === 'CREATE' && word(span, i + 1) === 'ON' && word(span, i + 2) === 'SCHEMA'))
    return undefined;
  const schemas = readUserNames(span, i + 3);
  const users = readUserNames(span, expectWord(span, schemas.next, grant ? 'TO' : 'FROM'));
  let end = users.next;
  if (!grant && (word(span, end) === 'CASCADE' || word(span, end) === 'RESTRICT')) end++;
  expectEnd(span, end);
  return { kind: grant ? 'GrantCreate' : 'RevokeCreate', schemas: schemas.names, users: users.names };
}

function readGrant(span: TokenSpan): AccessStatement {
  const create = readSchemaCreate(span, 1, true);
  if (create !== undefined) return create;
  const p = readPrivileges(span, 1);
  const t = readTarget(span, expectWord(span, p.next, 'ON'));
  const users = readUserNames(span, expectWord(span, t.next, 'TO'));
  let i = users.next;
  let withGrantOption = false;
  if (isWord(span.tokens[i], 'WITH')) {
    i = expectWord(span, expectWord(span, i + 1, 'GRANT'), 'OPTION');
    withGrantOption = true;
  }
  const by = readGrantedBy(span, i);
  expectEnd(span, by.next);
  return {
    kind: 'Grant',
    privileges: p.privileges,
    target: t.target,
    users: users.names,
    withGrantOption,
    ...(by.grantedBy === undefined ? {} : { grantedBy: by.grantedBy }),
  };
}

function readRevoke(span: TokenSpan): AccessStatement {
  const create = readSchemaCreate(span, 1, false);
  if (create !== undefined) return create;
  let i = 1;
  let grantOptionOnly = false;
  if (isWord(span.tokens[1], 'GRANT') && isWord(span.tokens[2], 'OPTION') && isWord(span.tokens[3], 'FOR')) {
    grantOptionOnly = true;
    i = 4;
  }
  const p = readPrivileges(span, i);
  const t = readTarget(span, expectWord(span, p.next, 'ON'));
  const users = readUserNames(span, expectWord(span, t.next, 'FROM'));
  const by = readGrantedBy(span, users.next);
  i = by.next;
  const cascade = isWord(span.tokens[i], 'CASCADE');
  if (cascade || isWord(span.tokens[i], 'RESTRICT')) i++;
  expectEnd(span, i);
  return {
    kind: 'Revoke',
    privileges: p.privileges,
    target: t.target,
    users: users.names,
    grantOptionOnly,
    cascade,
    ...(by.grantedBy === undefined ? {} : { grantedBy: by.grantedBy }),
  };
}

/** The statement the tokens spell, or undefined when they spell none of these. */
export function parseAccessStatement(span: TokenSpan): AccessStatement | undefined {
  const ts = span.tokens;
  if (isWord(ts[0], 'CREATE') && isWord(ts[1], 'USER')) {
    const name = readUserName(span, 2);
    return { kind: 'CreateUser', name: name.name, options: readUserOptions(span, name.next) };
  }
  if (isWord(ts[0], 'ALTER') && isWord(ts[1], 'USER')) {
    const name = readUserName(span, 2);
    if (isWord(ts[name.next], 'RENAME')) {
      const to = readUserName(span, expectWord(span, name.next + 1, 'TO'));
      expectEnd(span, to.next);
      return { kind: 'RenameUser', name: name.name, newName: to.name };
    }
    return { kind: 'AlterUser', name: name.name, options: readUserOptions(span, name.next) };
  }
  if (isWord(ts[0], 'DROP') && isWord(ts[1], 'USER')) {
    const ifExists = isWord(ts[2], 'IF') && isWord(ts[3], 'EXISTS');
    const names = readUserNames(span, ifExists ? 4 : 2);
    expectEnd(span, names.next);
    return { kind: 'DropUser', names: names.names, ifExists };
  }
  if (isWord(ts[0], 'GRANT')) return readGrant(span);
  if (isWord(ts[0], 'REVOKE')) return readRevoke(span);
  return undefined;
}
