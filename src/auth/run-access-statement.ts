/**
 * Runs CREATE/ALTER/DROP USER, GRANT and REVOKE against the access catalog as the session's
 * user, with RisingWave's rules of who may: a superuser anything; a user with CREATEUSER may
 * create, alter, rename and drop users that are not superusers; anyone may change their own
 * password; a privilege is granted or revoked by a superuser or by a user holding it WITH
 * GRANT OPTION or owning the relation; CREATE on the schema by a superuser (who owns it). The
 * whole statement applies or nothing does.
 */
import type { AccessStatement, GrantObjectKind, GrantTarget, Privilege } from '../sql/access-statements.ts';
import { SqlError, SqlState, undefinedTable } from '../sql/errors.ts';
import {
  type AccessCatalog,
  type AccessState,
  ROOT_USER,
  type User,
  type UserAttributes,
  undefinedRole,
} from './access-catalog.ts';
import { permissionDenied } from './permission-denied.ts';
import { isScramSecretText, scramSecretText } from './scram-secret.ts';

/** A relation privileges can be granted on. */
export interface GrantableRelation {
  readonly name: string;
  readonly kind: GrantObjectKind;
}

export interface AccessResult {
  /** RisingWave's command tag. */
  readonly tag: 'CREATE_USER' | 'ALTER_USER' | 'DROP_USER' | 'GRANT_PRIVILEGE' | 'REVOKE_PRIVILEGE';
  readonly notices: readonly string[];
}

const ALL_ON: Readonly<Record<GrantObjectKind, readonly Privilege[]>> = {
  table: ['SELECT', 'INSERT', 'UPDATE', 'DELETE'],
  'materialized view': ['SELECT'],
  source: ['SELECT'],
};

function denied(message: string): SqlError {
  return new SqlError(SqlState.insufficientPrivilege, message);
}

function attributesOf(options: AccessStatement & { kind: 'CreateUser' | 'AlterUser' }): UserAttributes {
  const { password, ...flags } = options.options;
  if (password === undefined) return flags;
  // An empty password is no password, as in PostgreSQL: such a user cannot log in with one.
  if (password === null || password === '') return { ...flags, password: null };
  return { ...flags, password: isScramSecretText(password) ? password : scramSecretText(password) };
}

function actorOf(state: AccessState, name: string): User {
  const actor = state.user(name);
  if (actor === undefined) throw undefinedRole(name);
  return actor;
}

/** May `actor` create, alter, rename or drop `target` (a user or the attributes it is given)? */
function mayManage(actor: User, superuserTarget: boolean): boolean {
  return actor.superuser || (actor.createuser && !superuserTarget);
}

function createUser(state: AccessState, actor: User, s: AccessStatement & { kind: 'CreateUser' }): void {
  const attributes = attributesOf(s);
  if (attributes.superuser === true && !actor.superuser)
    throw denied('must be superuser to create superusers');
  if (!mayManage(actor, false)) throw denied('permission denied to create role');
  state.createUser(s.name, attributes);
}

function alterUser(state: AccessState, actor: User, s: AccessStatement & { kind: 'AlterUser' }): void {
  const target = state.user(s.name);
  if (target === undefined) throw undefinedRole(s.name);
  const attributes = attributesOf(s);
  if (s.name === ROOT_USER && attributes.password !== undefined)
    throw new SqlError(
      SqlState.featureNotSupported,
      `the password of "${ROOT_USER}" is the server's --password (TIDEWATCH_PASSWORD)`,
    );
  const onlyOwnPassword = actor.id === target.id && Object.keys(s.options).every((k) => k === 'password');
  if (!onlyOwnPassword && !mayManage(actor, target.superuser || attributes.superuser === true))
    throw denied(`permission denied to alter role "${s.name}"`);
  state.alterUser(s.name, attributes);
}

function renameUser(state: AccessState, actor: User, s: AccessStatement & { kind: 'RenameUser' }): void {
  const target = state.user(s.name);
  if (target === undefined) throw undefinedRole(s.name);
  if (target.id === actor.id)
    throw new SqlError(SqlState.featureNotSupported, 'session user cannot be renamed');
  if (!mayManage(actor, target.superuser)) throw denied(`permission denied to rename role "${s.name}"`);
  state.renameUser(s.name, s.newName);
}

function dropUsers(
  state: AccessState,
  actor: User,
  s: AccessStatement & { kind: 'DropUser' },
  notices: string[],
): void {
  for (const name of s.names) {
    const target = state.user(name);
    if (target === undefined) {
      if (!s.ifExists) throw undefinedRole(name);
      notices.push(`role "${name}" does not exist, skipping`);
      continue;
    }
    if (target.id === actor.id) throw new SqlError(SqlState.objectInUse, 'current user cannot be dropped');
    if (!mayManage(actor, target.superuser)) throw denied(`permission denied to drop role "${name}"`);
    state.dropUser(name);
  }
}

/** The relations and privileges a GRANT or REVOKE is about. */
function resolve(
  target: GrantTarget,
  privileges: readonly Privilege[] | 'ALL',
  relations: readonly GrantableRelation[],
): { relation: GrantableRelation; privileges: readonly Privilege[] }[] {
  let chosen: GrantableRelation[];
  if (target.kind === 'all-in-schema') {
    for (const schema of target.schemas)
      if (schema !== 'public') throw new SqlError('3F000', `schema "${schema}" does not exist`);
    chosen = relations.filter((r) => r.kind === target.objectKind);
  } else {
    chosen = target.names.map((name) => {
      const r = relations.find((x) => x.name === name);
      if (r === undefined) throw undefinedTable(name);
      // TABLE (or no word) names any relation, as in PostgreSQL; the others only their own kind.
      if (target.objectKind !== undefined && target.objectKind !== 'table' && r.kind !== target.objectKind)
        throw new SqlError(SqlState.wrongObjectType, `"${name}" is not a ${target.objectKind}`);
      return r;
    });
  }
  return chosen.map((relation) => {
    const possible = ALL_ON[relation.kind];
    if (privileges === 'ALL') return { relation, privileges: possible };
    for (const p of privileges)
      if (!possible.includes(p))
        throw new SqlError(
          SqlState.invalidGrantOperation,
          `invalid privilege type ${p} for ${relation.kind} ${relation.name}`,
          undefined,
          { hint: 'Materialized views and sources take SELECT only.' },
        );
    return { relation, privileges };
  });
}

function checkGrantedBy(actor: User, grantedBy: string | undefined): void {
  if (grantedBy !== undefined && grantedBy !== actor.name)
    throw new SqlError(SqlState.featureNotSupported, 'GRANTED BY must name the current user');
}

function grantOrRevoke(
  state: AccessState,
  actor: User,
  s: AccessStatement & { kind: 'Grant' | 'Revoke' },
  relations: readonly GrantableRelation[],
): void {
  checkGrantedBy(actor, s.grantedBy);
  const targets = resolve(s.target, s.privileges, relations);
  for (const user of s.users) if (state.user(user) === undefined) throw undefinedRole(user);
  for (const { relation, privileges } of targets)
    for (const p of privileges) {
      if (!state.mayGrant(actor.name, relation.name, p)) throw permissionDenied(relation.kind, relation.name);
      for (const user of s.users)
        if (s.kind === 'Grant') state.grant(user, relation.name, p, s.withGrantOption, actor.name);
        else state.revoke(user, relation.name, p, s.grantOptionOnly, s.cascade);
    }
}

/** GRANT or REVOKE CREATE ON SCHEMA public: the schema is root's, so a superuser's to give. */
function schemaCreate(
  state: AccessState,
  actor: User,
  s: AccessStatement & { kind: 'GrantCreate' | 'RevokeCreate' },
): void {
  for (const schema of s.schemas)
    if (schema !== 'public') throw new SqlError('3F000', `schema "${schema}" does not exist`);
  if (!actor.superuser) throw permissionDenied('schema', 'public');
  for (const user of s.users) {
    if (state.user(user) === undefined) throw undefinedRole(user);
    if (s.kind === 'GrantCreate') state.grantCreate(user);
    else state.revokeCreate(user);
  }
}

/**
 * Runs `s` as `actor` (the session's user) on `catalog`; `relations`: those privileges can be
 * granted on now. Throws SqlError (42501 when the actor may not) and then changes nothing.
 */
export function runAccessStatement(
  catalog: AccessCatalog,
  s: AccessStatement,
  actorName: string,
  relations: readonly GrantableRelation[],
): AccessResult {
  const notices: string[] = [];
  return catalog.change((state) => {
    const actor = actorOf(state, actorName);
    switch (s.kind) {
      case 'CreateUser':
        createUser(state, actor, s);
        return { tag: 'CREATE_USER', notices };
      case 'AlterUser':
        alterUser(state, actor, s);
        return { tag: 'ALTER_USER', notices };
      case 'RenameUser':
        renameUser(state, actor, s);
        return { tag: 'ALTER_USER', notices };
      case 'DropUser':
        dropUsers(state, actor, s, notices);
        return { tag: 'DROP_USER', notices };
      case 'Grant':
        grantOrRevoke(state, actor, s, relations);
        return { tag: 'GRANT_PRIVILEGE', notices };
      case 'Revoke':
        grantOrRevoke(state, actor, s, relations);
        return { tag: 'REVOKE_PRIVILEGE', notices };
      case 'GrantCreate':
        schemaCreate(state, actor, s);
        return { tag: 'GRANT_PRIVILEGE', notices };
      case 'RevokeCreate':
        schemaCreate(state, actor, s);
        return { tag: 'REVOKE_PRIVILEGE', notices };
      default: {
        const never: never = s;
        throw new Error(`unknown access statement ${String(never)}`);
      }
    }
  });
}
