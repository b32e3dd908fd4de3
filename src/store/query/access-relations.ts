/**
 * The catalog relations of users and privileges: PostgreSQL's `pg_roles`, `pg_user` and
 * `information_schema.table_privileges`, RisingWave's `rw_catalog.rw_users`. Passwords never
 * show: `rolpassword`/`passwd` read `********` for a user that has one (as in PostgreSQL).
 */
import {
  type CatalogAccess,
  type CatalogGrant,
  type CatalogRelation,
  type CatalogSnapshot,
  ownerIdOf,
  ownerNameOf,
  ROOT_OID,
  relation,
} from './catalog-relation-spec.ts';
import { DATABASE, PUBLIC_SCHEMA } from './stored-relation.ts';

const MASKED = '********';

/** PostgreSQL's ACL letters of the privileges. */
const ACL_LETTERS: Readonly<Record<string, string>> = { SELECT: 'r', INSERT: 'a', UPDATE: 'w', DELETE: 'd' };
const ACL_ORDER = 'arwd';

/**
 * A relation's `relacl` as PostgreSQL writes it (`alice=r/root`, `*` after a privilege held
 * WITH GRANT OPTION), its owner's entry first; undefined (NULL: the defaults) without grants.
 */
export function relationAcl(access: CatalogAccess, relation: string, kind: string): string[] | undefined {
  const grants = access.grants.filter((g) => g.relation === relation);
  if (grants.length === 0) return undefined;
  const entries = new Map<string, string[]>();
  for (const g of grants) {
    const key = `${g.grantee}\u0000${g.grantor}`;
    const letters = entries.get(key) ?? [];
    letters.push(`${ACL_LETTERS[g.privilege] ?? ''}${g.grantable ? '*' : ''}`);
    entries.set(key, letters);
  }
  const name = ownerNameOf(access, relation);
  const owner = `${name}=${kind === 'table' ? 'arwd' : 'r'}/${name}`;
  return [
    owner,
    ...[...entries].map(([key, letters]) => {
      const [grantee, grantor] = key.split('\u0000') as [string, string];
      const sorted = letters.sort((a, b) => ACL_ORDER.indexOf(a[0] ?? '') - ACL_ORDER.indexOf(b[0] ?? ''));
      return `${grantee}=${sorted.join('')}/${grantor}`;
    }),
  ];
}

/**
 * What the owner of a relation holds on it, as PostgreSQL lists it among the grants (granted by
 * the owner, grantable); root's own, as a superuser's, go without saying.
 */
function ownersPrivileges(s: CatalogSnapshot): CatalogGrant[] {
  return s.relations.flatMap((r) => {
    if (ownerIdOf(s.access, r.name) === ROOT_OID) return [];
    const owner = ownerNameOf(s.access, r.name);
    const privileges = r.kind === 'table' ? ['SELECT', 'INSERT', 'UPDATE', 'DELETE'] : ['SELECT'];
    return privileges.map((privilege) => ({
      grantee: owner,
      grantor: owner,
      relation: r.name,
      privilege,
      grantable: true,
    }));
  });
}

export const accessRelations: readonly CatalogRelation[] = Object.freeze([
  relation(
    'pg_catalog',
    'pg_auth_members',
    'r',
    'oid oid, roleid oid, member oid, grantor oid, admin_option bool',
  ),
  relation(
    'pg_catalog',
    'pg_roles',
    'v',
    `rolname name, rolsuper bool, rolinherit bool, rolcreaterole bool, rolcreatedb bool,
     rolcanlogin bool, rolreplication bool, rolconnlimit int4, rolpassword text,
     rolvaliduntil timestamptz, rolbypassrls bool, rolconfig text[], oid oid`,
    (s) =>
      s.access.users.map((u) => ({
        rolname: u.name,
        rolsuper: u.superuser,
        rolinherit: true,
        rolcreaterole: u.superuser || u.createuser,
        rolcreatedb: u.superuser || u.createdb,
        rolcanlogin: u.login,
        rolreplication: false,
        rolconnlimit: -1,
        rolpassword: MASKED,
        rolbypassrls: u.superuser,
        oid: u.id,
      })),
  ),
  relation(
    'pg_catalog',
    'pg_user',
    'v',
    `usename name, usesysid oid, usecreatedb bool, usesuper bool, userepl bool, usebypassrls bool,
     passwd text, valuntil timestamptz, useconfig text[]`,
    (s) =>
      s.access.users
        .filter((u) => u.login)
        .map((u) => ({
          usename: u.name,
          usesysid: u.id,
          usecreatedb: u.superuser || u.createdb,
          usesuper: u.superuser,
          userepl: false,
          usebypassrls: u.superuser,
          passwd: MASKED,
        })),
  ),
  relation(
    'rw_catalog',
    'rw_users',
    'r',
    'id int4, name varchar, is_super bool, create_db bool, create_user bool, can_login bool',
    (s) =>
      s.access.users.map((u) => ({
        id: u.id,
        name: u.name,
        is_super: u.superuser,
        create_db: u.createdb,
        create_user: u.createuser,
        can_login: u.login,
      })),
  ),
  relation(
    'information_schema',
    'table_privileges',
    'v',
    `grantor name, grantee name, table_catalog name, table_schema name, table_name name,
     privilege_type varchar, is_grantable varchar, with_hierarchy varchar`,
    (s) =>
      [...ownersPrivileges(s), ...s.access.grants].map((g) => ({
        grantor: g.grantor,
        grantee: g.grantee,
        table_catalog: DATABASE,
        table_schema: PUBLIC_SCHEMA,
        table_name: g.relation,
        privilege_type: g.privilege,
        is_grantable: g.grantable ? 'YES' : 'NO',
        with_hierarchy: 'NO',
      })),
  ),
]);
