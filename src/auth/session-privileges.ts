/**
 * What a session's user may do, asked before each statement runs: reading a relation needs
 * SELECT on it, INSERT/UPDATE/DELETE (and COPY FROM) the privilege of that name (its owner has
 * them all), CREATE the CREATE privilege on the schema (and SELECT on what a view or sink
 * reads), DROP ownership of what it drops, and FLUSH and ALTER SYSTEM a superuser.
 * PostgreSQL's and RisingWave's own catalog relations stay readable by everyone. A refusal is
 * SqlError 42501 in PostgreSQL's words.
 */
import type { GrantObjectKind, Privilege } from '../sql/access-statements.ts';
import { SqlError, SqlState } from '../sql/errors.ts';
import { relationsRead } from '../sql/relations-named.ts';
import type { Statement } from '../sql/statement.ts';
import type { AccessState } from './access-catalog.ts';
import { mustBeOwner, mustBeSuperuser, permissionDenied } from './permission-denied.ts';

/** Statements that neither read nor change anything a privilege guards. */
const UNGUARDED: ReadonlySet<Statement['kind']> = new Set([
  'ShowObjects',
  'Describe',
  'ShowVariable',
  'SetVariable',
  'Transaction',
]);

const CREATES: ReadonlySet<Statement['kind']> = new Set([
  'CreateSource',
  'CreateTable',
  'CreateMaterializedView',
  'CreateView',
  'CreateSink',
]);

const RELATION_KINDS: ReadonlySet<string> = new Set(['source', 'table', 'materialized view', 'view']);

/** A name of schema public without its schema. */
export function unqualified(name: string): string {
  return name.startsWith('public.') ? name.slice('public.'.length) : name;
}

/** The object a CREATE statement makes, or undefined for any other statement. */
export function createdObject(s: Statement): string | undefined {
  return CREATES.has(s.kind) ? unqualified((s as Statement & { name: string }).name) : undefined;
}

export class SessionPrivileges {
  readonly #access: () => AccessState;
  readonly #kindOf: (relation: string) => GrantObjectKind | undefined;
  readonly user: string;

  /**
   * `access`: the users and grants now; `kindOf`: a tidewatch relation's kind (undefined for
   * anything else: catalog relations, or names the statement will find missing itself).
   */
  constructor(
    user: string,
    access: () => AccessState,
    kindOf: (relation: string) => GrantObjectKind | undefined,
  ) {
    this.user = user;
    this.#access = access;
    this.#kindOf = kindOf;
  }

  /** Whether the user is a superuser now (a dropped user is nothing). */
  get superuser(): boolean {
    return this.#access().user(this.user)?.superuser === true;
  }

  /** Throws 42501 unless the user may use `privilege` on `relation` (names that are no relation pass). */
  require(qualified: string, privilege: Privilege): void {
    const relation = unqualified(qualified);
    const kind = this.#kindOf(relation);
    if (kind === undefined) return;
    if (!this.#access().allows(this.user, relation, privilege)) throw permissionDenied(kind, relation);
  }

  /** SELECT on each relation a query reads. */
  requireReads(relations: readonly string[]): void {
    for (const r of relations) this.require(r, 'SELECT');
  }

  /** Throws 42501 unless the user is a superuser; `what` completes "must be superuser to …". */
  requireSuperuser(what: string): void {
    if (!this.superuser) throw mustBeSuperuser(what);
  }

  /** ALTER SYSTEM SET name: a superuser's. */
  requireSetParameter(name: string): void {
    if (!this.superuser)
      throw new SqlError(SqlState.insufficientPrivilege, `permission denied to set parameter "${name}"`);
  }

  /** Checks a statement the engine runs (not queries: their reads are checked as the store translates them). */
  requireForStatement(s: Statement): void {
    if (UNGUARDED.has(s.kind) || this.superuser) return;
    switch (s.kind) {
      case 'Insert':
      case 'Update':
      case 'Delete':
        this.require(s.table, s.kind.toUpperCase() as Privilege);
        this.requireReads(relationsRead(s));
        return;
      case 'Drop':
        for (const qualified of s.names) {
          const name = unqualified(qualified);
          if (this.#access().owns(this.user, name)) continue;
          const kind = this.#kindOf(name);
          if (kind !== undefined) throw mustBeOwner(kind, name);
          // A relation that is not there: the engine says so (or skips it, IF EXISTS).
          if (!RELATION_KINDS.has(s.objectKind)) throw mustBeOwner(s.objectKind, name);
        }
        return;
      case 'Explain':
        // As PostgreSQL: explaining a query needs what running it needs, of what it reads.
        this.requireReads(relationsRead(s));
        return;
      case 'Flush':
        throw mustBeSuperuser('FLUSH');
      default:
        if (!CREATES.has(s.kind)) throw mustBeSuperuser(`run ${s.kind}`);
        if (!this.#access().mayCreate(this.user))
          throw new SqlError(SqlState.insufficientPrivilege, 'permission denied for schema public');
        // As PostgreSQL: a view (or a sink) may read only what its creator may.
        this.requireReads(relationsRead(s));
    }
  }
}
