/** A dashboard panel's SQL run over the PostgreSQL endpoint with the parameters the page's API binds. */

import { fileURLToPath } from 'node:url';
import type pg from 'pg';
import { expandPanelSql } from '../../src/dashboard/macros.ts';
import { isSqlPanel, loadDashboard, type SqlPanel } from '../../src/dashboard/panels.ts';

/** The panel's rows for `filters` over `within` (ISO 8601), every value as PostgreSQL's text. */
export async function panelOverPg(
  client: pg.Client,
  panel: SqlPanel,
  filters: Record<string, string>,
  within: { from: string; to: string },
): Promise<(string | null)[][]> {
  const e = expandPanelSql(
    panel.sql,
    { fromMicros: Date.parse(within.from) * 1000, toMicros: Date.parse(within.to) * 1000 },
    panel.variables,
    filters,
  );
  const params = e.params.map((v, i) =>
    e.types[i]?.name === 'timestamp'
      ? new Date((v as number) / 1000).toISOString().replace('T', ' ').replace('Z', '')
      : v,
  );
  const r = await client.query({
    text: e.sql,
    values: params,
    rowMode: 'array',
    types: { getTypeParser: () => (v: string) => v },
  });
  return r.rows as (string | null)[][];
}

/** A SQL panel of the dashboard file tidewatch ships, by id. */
export function shippedPanel(id: string): SqlPanel {
  const file = fileURLToPath(new URL('../../dashboards/website-security.json', import.meta.url));
  const panel = loadDashboard(file)
    .panels.filter(isSqlPanel)
    .find((p) => p.id === id);
  if (panel === undefined) throw new Error(`no SQL panel ${id} in ${file}`);
  return panel;
}
