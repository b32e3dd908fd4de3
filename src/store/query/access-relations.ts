/**
 * The catalog relations of users and privileges: PostgreSQL's `pg_roles`, `pg_user` and
 * `information_schema.table_privileges`, RisingWave's `rw_catalog.rw_users`. Passwords never
 * show: `rolpassword`/`passwd` read `********` for a user that has one (as in PostgreSQL).
 */
import { type CatalogRelation, relation } from './catalog-relation-spec.ts';
import { DATABASE, PUBLIC_SCHEMA } from './stored-relation.ts';

const MASKED = '********';

export const accessRelations: readonly CatalogRelation[] = Object.freeze([
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
      s.access.grants.map((g) => ({
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
