/**
 * Users and the privileges granted to them on relations: the state CREATE/ALTER/DROP USER,
 * GRANT and REVOKE change, as plain data (`snapshot`) so that it is committed with the
 * engine's state and restored from it. `root` is the superuser of a fresh catalog and cannot
 * be dropped, renamed or demoted. Passwords are kept as SCRAM secrets only (scram-secret.ts).
 * Each relation and sink has an owner, who has every privilege on it and may drop it: the
 * user who created it, root for what has no owner recorded (created before owners were, or by
 * root); a user may create only when granted CREATE on the schema (`creators`).
 *
 * Who may change what is not decided here (access-statements-run.ts), only what a change
 * means: a user's privileges go with it, a relation's grants go with the relation, and a
 * privilege someone granted onwards cannot be taken back without CASCADE.
 */

import type { Privilege } from '../sql/access-statements.ts';
import { SqlError, SqlState } from '../sql/errors.ts';

export const ROOT_USER = 'root';
/** root's id, PostgreSQL's bootstrap superuser's OID. */
export const ROOT_ID = 10;
const FIRST_USER_ID = 16384;

export interface User {
  readonly id: number;
  readonly name: string;
  readonly superuser: boolean;
  readonly createdb: boolean;
  readonly createuser: boolean;
  readonly login: boolean;
  /** Its SCRAM secret's text; null: it has no password. */
  readonly password: string | null;
}

export interface Grant {
  readonly userId: number;
  /** The relation's name as the engine has it. */
  readonly relation: string;
  readonly privilege: Privilege;
  /** WITH GRANT OPTION: the user may grant it on. */
  readonly grantOption: boolean;
  readonly grantorId: number;
}

/** Who owns an object (a relation or a sink), by its name as the engine has it. */
export interface Ownership {
  readonly object: string;
  readonly userId: number;
}

export interface AccessSnapshot {
  readonly kind: 'tidewatch-access';
  readonly version: 1;
  readonly nextId: number;
  readonly users: readonly User[];
  readonly grants: readonly Grant[];
  /** Objects not owned by root (absent in catalogs written before owners were kept). */
  readonly owners?: readonly Ownership[];
  /** Users granted CREATE on schema public. */
  readonly creators?: readonly number[];
}

export type UserAttributes = Partial<
  Pick<User, 'superuser' | 'createdb' | 'createuser' | 'login' | 'password'>
>;

export function undefinedRole(name: string): SqlError {
  return new SqlError(SqlState.undefinedObject, `role "${name}" does not exist`);
}

function grantKey(userId: number, relation: string, privilege: Privilege): string {
  return `${userId}\u0000${relation}\u0000${privilege}`;
}

function freshSnapshot(): AccessSnapshot {
  return {
    kind: 'tidewatch-access',
    version: 1,
    nextId: FIRST_USER_ID,
    users: [
      {
        id: ROOT_ID,
        name: ROOT_USER,
        superuser: true,
        createdb: true,
        createuser: true,
        login: true,
        password: null,
      },
    ],
    grants: [],
  };
}

/** One version of the catalog's state, changed only as a draft (`AccessCatalog.change`). */
export class AccessState {
  #nextId: number;
  readonly #users = new Map<string, User>();
  readonly #grants = new Map<string, Grant>();
  /** Object name → its owner's id (root's objects are not here). */
  readonly #owners = new Map<string, number>();
  readonly #creators = new Set<number>();

  constructor(s: AccessSnapshot) {
    this.#nextId = s.nextId;
    for (const u of s.users) this.#users.set(u.name, u);
    for (const g of s.grants) this.#grants.set(grantKey(g.userId, g.relation, g.privilege), g);
    for (const o of s.owners ?? []) this.#owners.set(o.object, o.userId);
    for (const id of s.creators ?? []) this.#creators.add(id);
  }

  snapshot(): AccessSnapshot {
    return {
      kind: 'tidewatch-access',
      version: 1,
      nextId: this.#nextId,
      users: this.users(),
      grants: this.grants(),
      owners: [...this.#owners]
        .map(([object, userId]) => ({ object, userId }))
        .sort((a, b) => (a.object < b.object ? -1 : a.object > b.object ? 1 : 0)),
      creators: [...this.#creators].sort((a, b) => a - b),
    };
  }

  /** The owners of objects not owned by root: name → user id. */
  owners(): ReadonlyMap<string, number> {
    return new Map(this.#owners);
  }

  /** The id of the user owning `object` (root's when none is recorded). */
  ownerId(object: string): number {
    return this.#owners.get(object) ?? ROOT_ID;
  }

  /** Whether `user` owns `object`. */
  owns(user: string, object: string): boolean {
    const u = this.#users.get(user);
    return u !== undefined && this.ownerId(object) === u.id;
  }

  /** Records `user` as the owner of `object` (root: no record). */
  setOwner(object: string, user: string): void {
    const u = this.#existing(user);
    if (u.id === ROOT_ID) this.#owners.delete(object);
    else this.#owners.set(object, u.id);
  }

  /**
   * Gives `object` to `user` (ALTER … OWNER TO), as PostgreSQL moves an ACL to a new owner: the
   * privileges the old owner granted on it are the new owner's grants now (so the old owner may
   * be dropped, and the new one may revoke them), and those the new owner held of the old one
   * go, ownership holding them all.
   */
  transferOwnership(object: string, user: string): void {
    const from = this.ownerId(object);
    const to = this.#existing(user).id;
    this.setOwner(object, user);
    for (const [key, g] of this.#grants) {
      if (g.relation !== object || g.grantorId !== from) continue;
      if (g.userId === to) this.#grants.delete(key);
      else this.#grants.set(key, { ...g, grantorId: to });
    }
  }

  /**
   * Forgets the owners of objects that do not exist: a crash between recording a CREATE's owner
   * and committing the CREATE leaves one, which an object later made under that name at start
   * (by a pipeline, not a user) must not inherit.
   */
  forgetOwnersExcept(exists: (object: string) => boolean): void {
    for (const object of [...this.#owners.keys()]) if (!exists(object)) this.#owners.delete(object);
  }

  /** Whether `user` may create objects: a superuser, or one granted CREATE on the schema. */
  mayCreate(user: string): boolean {
    const u = this.#users.get(user);
    return u !== undefined && (u.superuser || this.#creators.has(u.id));
  }

  /** Whether `user` was granted CREATE on the schema. */
  hasCreate(user: string): boolean {
    const u = this.#users.get(user);
    return u !== undefined && this.#creators.has(u.id);
  }

  grantCreate(user: string): void {
    this.#creators.add(this.#existing(user).id);
  }

  revokeCreate(user: string): void {
    this.#creators.delete(this.#existing(user).id);
  }

  user(name: string): User | undefined {
    return this.#users.get(name);
  }

  /** Every user, by id. */
  users(): User[] {
    return [...this.#users.values()].sort((a, b) => a.id - b.id);
  }

  /** Every grant, by user id, relation and privilege. */
  grants(): Grant[] {
    return [...this.#grants.values()].sort(
      (a, b) =>
        a.userId - b.userId ||
        (a.relation < b.relation ? -1 : a.relation > b.relation ? 1 : 0) ||
        a.privilege.localeCompare(b.privilege),
    );
  }

  #existing(name: string): User {
    const u = this.#users.get(name);
    if (u === undefined) throw undefinedRole(name);
    return u;
  }

  /** Whether `user` may use `privilege` on `relation`: a superuser may do anything. */
  allows(user: string, relation: string, privilege: Privilege): boolean {
    const u = this.#users.get(user);
    if (u === undefined) return false;
    return (
      u.superuser || this.ownerId(relation) === u.id || this.#grants.has(grantKey(u.id, relation, privilege))
    );
  }

  /** Whether `user` may grant `privilege` on `relation` to others. */
  mayGrant(user: string, relation: string, privilege: Privilege): boolean {
    const u = this.#users.get(user);
    if (u === undefined) return false;
    return (
      u.superuser ||
      this.ownerId(relation) === u.id ||
      this.#grants.get(grantKey(u.id, relation, privilege))?.grantOption === true
    );
  }

  createUser(name: string, attributes: UserAttributes): void {
    if (this.#users.has(name)) throw new SqlError(SqlState.duplicateRole, `role "${name}" already exists`);
    this.#users.set(name, {
      id: this.#nextId++,
      name,
      superuser: attributes.superuser ?? false,
      createdb: attributes.createdb ?? false,
      createuser: attributes.createuser ?? false,
      login: attributes.login ?? true,
      password: attributes.password ?? null,
    });
  }

  alterUser(name: string, attributes: UserAttributes): void {
    const u = this.#existing(name);
    if (name === ROOT_USER && (attributes.superuser === false || attributes.login === false))
      throw new SqlError(
        SqlState.insufficientPrivilege,
        `permission denied to alter role "${ROOT_USER}": it stays a superuser that may log in`,
      );
    const defined = Object.fromEntries(Object.entries(attributes).filter(([, v]) => v !== undefined));
    this.#users.set(name, { ...u, ...defined });
  }

  renameUser(name: string, newName: string): void {
    const u = this.#existing(name);
    if (name === ROOT_USER)
      throw new SqlError(SqlState.featureNotSupported, `role "${ROOT_USER}" cannot be renamed`);
    if (this.#users.has(newName))
      throw new SqlError(SqlState.duplicateRole, `role "${newName}" already exists`);
    this.#users.delete(name);
    this.#users.set(newName, { ...u, name: newName });
  }

  /** Drops a user with the privileges it holds; refused while others hold what it granted. */
  dropUser(name: string): void {
    const u = this.#existing(name);
    if (name === ROOT_USER)
      throw new SqlError(
        SqlState.objectInUse,
        `cannot drop role ${ROOT_USER} because it is required by the database system`,
      );
    const owned = [...this.#owners].filter(([, id]) => id === u.id).map(([object]) => object);
    if (owned.length > 0)
      throw new SqlError(
        SqlState.dependentObjectsStillExist,
        `role "${name}" cannot be dropped because some objects depend on it`,
        undefined,
        { detail: owned.map((o) => `owner of ${o}`).join('\n'), hint: 'Drop them first.' },
      );
    const granted = [...this.#grants.values()].filter((g) => g.grantorId === u.id && g.userId !== u.id);
    if (granted.length > 0)
      throw new SqlError(
        SqlState.dependentObjectsStillExist,
        `role "${name}" cannot be dropped because some objects depend on it`,
        undefined,
        {
          detail: [...new Set(granted.map((g) => `privileges for relation ${g.relation}`))].join('\n'),
          hint: `REVOKE … FROM the users "${name}" granted to first, or REVOKE … CASCADE from "${name}".`,
        },
      );
    for (const [key, g] of this.#grants) if (g.userId === u.id) this.#grants.delete(key);
    this.#creators.delete(u.id);
    this.#users.delete(name);
  }

  grant(user: string, relation: string, privilege: Privilege, grantOption: boolean, grantor: string): void {
    const u = this.#existing(user);
    const by = this.#existing(grantor);
    const key = grantKey(u.id, relation, privilege);
    const held = this.#grants.get(key);
    this.#grants.set(key, {
      userId: u.id,
      relation,
      privilege,
      grantOption: grantOption || held?.grantOption === true,
      grantorId: held?.grantorId ?? by.id,
    });
  }

  /**
   * Takes `privilege` on `relation` (or only the right to grant it) from `user`; what the user
   * granted onwards goes too with `cascade`, else it refuses the revoke (2BP01).
   */
  revoke(
    user: string,
    relation: string,
    privilege: Privilege,
    grantOptionOnly: boolean,
    cascade: boolean,
  ): void {
    const u = this.#existing(user);
    const key = grantKey(u.id, relation, privilege);
    const held = this.#grants.get(key);
    if (held === undefined) return;
    const onwards = [...this.#grants.values()].filter(
      (g) =>
        g.grantorId === u.id && g.userId !== u.id && g.relation === relation && g.privilege === privilege,
    );
    if (onwards.length > 0) {
      if (!cascade)
        throw new SqlError(SqlState.dependentObjectsStillExist, 'dependent privileges exist', undefined, {
          hint: 'Use CASCADE to revoke them too.',
        });
      for (const g of onwards) {
        const grantee = this.users().find((x) => x.id === g.userId);
        if (grantee !== undefined) this.revoke(grantee.name, relation, privilege, false, true);
      }
    }
    if (grantOptionOnly) this.#grants.set(key, { ...held, grantOption: false });
    else this.#grants.delete(key);
  }

  /** A relation or sink is gone: so are its owner and the privileges on it (one created again under its name has none). */
  forgetRelation(relation: string): void {
    for (const [key, g] of this.#grants) if (g.relation === relation) this.#grants.delete(key);
    this.#owners.delete(relation);
  }
}

/** The users and grants now; every change is a draft made whole or not at all. */
export class AccessCatalog {
  #state: AccessState;
  #version = 0;

  constructor(snapshot: AccessSnapshot = freshSnapshot()) {
    if (snapshot.kind !== 'tidewatch-access' || snapshot.version !== 1)
      throw new Error('not a tidewatch access catalog of version 1');
    this.#state = new AccessState(snapshot);
  }

  /** The state now (do not change it: see `change`). */
  get now(): AccessState {
    return this.#state;
  }

  /** A number that changes with every change. */
  get version(): number {
    return this.#version;
  }

  /** Runs `edit` on a copy and keeps the copy if `edit` returns; a throw changes nothing. */
  change<T>(edit: (draft: AccessState) => T): T {
    const draft = new AccessState(this.#state.snapshot());
    const result = edit(draft);
    this.#state = draft;
    this.#version++;
    return result;
  }

  snapshot(): AccessSnapshot {
    return this.#state.snapshot();
  }
}
