/**
 * `ALTER {TABLE | MATERIALIZED VIEW | VIEW | SOURCE | SINK} name OWNER TO user` on the access
 * catalog, with PostgreSQL's rules of who may: a superuser gives anything to anyone; anyone else
 * must own the object and may give it only to a role it is a member of — tidewatch has no role
 * membership, so only to itself, which changes nothing. Which ALTER names which kind is
 * RisingWave's (TABLE and MATERIALIZED VIEW both name either; VIEW, SOURCE and SINK their own),
 * another kind refused with PostgreSQL's 42809. tidewatch's own relations are nobody's to give.
 */
import type { GrantObjectKind } from '../sql/access-statements.ts';
import type { AlterObjectKind, AlterOwner } from '../sql/alter-statements.ts';
import { ALTER_TAGS } from '../sql/alter-statements.ts';
import { SqlError, SqlState, undefinedTable } from '../sql/errors.ts';
import { isReservedName, isSystemRelation } from '../sql/reserved-names.ts';
import { type AccessCatalog, undefinedRole } from './access-catalog.ts';
import { mustBeOwner } from './permission-denied.ts';
import { unqualified } from './session-privileges.ts';

/** A relation or sink an owner can be given to, by its name as the engine has it. */
export interface OwnedObject {
  readonly name: string;
  readonly kind: GrantObjectKind | 'sink';
}

/** What each ALTER may name. */
const NAMES: Readonly<Record<AlterObjectKind, readonly OwnedObject['kind'][]>> = {
  table: ['table', 'materialized view'],
  'materialized view': ['table', 'materialized view'],
  view: [],
  source: ['source'],
  sink: ['sink'],
};

function missing(s: AlterOwner, name: string): SqlError {
  return s.objectKind === 'sink'
    ? new SqlError(SqlState.undefinedObject, `sink "${name}" does not exist`)
    : undefinedTable(name);
}

/**
 * Runs `s` as `actorName` (the session's user) on `catalog`; `objects`: the relations and sinks
 * there are now. Throws SqlError and then changes nothing.
 */
export function changeOwner(
  catalog: AccessCatalog,
  s: AlterOwner,
  actorName: string,
  objects: readonly OwnedObject[],
): { readonly tag: string; readonly notices: readonly string[] } {
  const tag = ALTER_TAGS[s.objectKind];
  const name = unqualified(s.name);
  const object = objects.find((o) => o.name === name);
  if (object === undefined) {
    if (!s.ifExists) throw missing(s, name);
    return {
      tag,
      notices: [`${s.objectKind === 'sink' ? 'sink' : 'relation'} "${name}" does not exist, skipping`],
    };
  }
  if (!NAMES[s.objectKind].includes(object.kind))
    throw new SqlError(SqlState.wrongObjectType, `"${name}" is not a ${s.objectKind}`, undefined, {
      hint: `It is a ${object.kind}: ALTER ${object.kind.toUpperCase()} names it.`,
    });
  if (isSystemRelation(name) || isReservedName(name))
    throw new SqlError(
      SqlState.insufficientPrivilege,
      `permission denied: "${name}" is a system ${object.kind} of tidewatch`,
    );
  catalog.change((state) => {
    const actor = state.user(actorName);
    if (actor === undefined) throw undefinedRole(actorName);
    if (!actor.superuser && !state.owns(actor.name, name)) throw mustBeOwner(object.kind, name);
    const to = s.newOwner ?? actor.name;
    const owner = state.user(to);
    if (owner === undefined) throw undefinedRole(to);
    if (state.ownerId(name) === owner.id) return;
    if (!actor.superuser)
      throw new SqlError(SqlState.insufficientPrivilege, `must be member of role "${owner.name}"`);
    state.transferOwnership(name, owner.name);
  });
  return { tag, notices: [] };
}
