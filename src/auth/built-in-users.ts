/**
 * The users `tidewatch start` keeps for its own readers, each able to read and nothing more:
 *
 * - `dashboard` (NOLOGIN): the built-in page's SQL runs as it, on store sessions that take
 *   queries only and read every relation, as PostgreSQL's pg_read_all_data does; it cannot log
 *   in over the PostgreSQL endpoint.
 * - `grafana`: the provisioned Grafana data source's user, granted SELECT on every table,
 *   source and materialized view at each start (those created later by a GRANT, or at the next
 *   start). Its password is the one start is given for it; without one it has none, and so
 *   cannot log in where passwords are asked.
 *
 * Both are created when missing; an administrator's changes to their privileges stand until
 * the next start adds the reads back.
 */
import type { GrantObjectKind } from '../sql/access-statements.ts';
import { type AccessCatalog, ROOT_USER } from './access-catalog.ts';
import { scramSecretText } from './scram-secret.ts';

export const DASHBOARD_USER = 'dashboard';
export const GRAFANA_USER = 'grafana';

export function ensureBuiltInUsers(
  catalog: AccessCatalog,
  relations: readonly { readonly name: string; readonly kind: GrantObjectKind }[],
  grafanaPassword: string | undefined,
): void {
  catalog.change((state) => {
    if (state.user(DASHBOARD_USER) === undefined) state.createUser(DASHBOARD_USER, { login: false });
    if (state.user(GRAFANA_USER) === undefined) state.createUser(GRAFANA_USER, { login: true });
    if (grafanaPassword !== undefined && grafanaPassword !== '')
      state.alterUser(GRAFANA_USER, { password: scramSecretText(grafanaPassword) });
    for (const r of relations) state.grant(GRAFANA_USER, r.name, 'SELECT', false, ROOT_USER);
  });
}
