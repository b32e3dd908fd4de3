/**
 * Grafana provisioning made from a dashboard file, so that Grafana shows the built-in page's
 * panels without a second definition: a PostgreSQL data source for tidewatch's endpoint, a
 * dashboard provider, and the dashboard, whose panels run the file's SQL as it is written —
 * Grafana's PostgreSQL data source expands `$__timeFilter(…)` and the `${name}` variables
 * (textbox variables of the dashboard, with the file's defaults) itself.
 */
import {
  type Dashboard,
  type Drilldown,
  type Panel,
  type RowDrilldown,
  slugOf,
  type Unit,
  windowMillis,
} from './panels.ts';

/** Where Grafana reaches tidewatch's PostgreSQL endpoint. */
export interface GrafanaConnection {
  readonly host: string;
  readonly port: number;
  readonly database: string;
  readonly user: string;
  /**
   * The environment variable of Grafana's process that holds the user's password: the file
   * names it (`$__env{…}`, which Grafana expands), never the password itself.
   */
  readonly passwordVariable: string;
}

/** The files to write, by their path in a provisioning directory. */
export type ProvisioningFiles = Readonly<Record<string, string>>;

/** The data source's plugin id (Grafana 10.2 and later; older ones call it `postgres`). */
export const DATASOURCE_TYPE = 'grafana-postgresql-datasource';
export const DATASOURCE_UID = 'tidewatch';
/** Where the provider tells Grafana the dashboards lie (mount `dashboards/` there). */
export const DASHBOARDS_PATH = '/var/lib/grafana/dashboards/tidewatch';

/**
 * The health panel reads `/api/status` on the built-in page; Grafana reads the same from the
 * system relation that mirrors it.
 */
const HEALTH_SQL = `SELECT source_name AS source, kind, state, records, rejected, lag, bytes_behind, error
FROM rw_catalog.tidewatch_source_ingestion
ORDER BY source_name, kind`;

/**
 * The alerts panel reads `/api/alerts` on the built-in page; Grafana shows how each sink's
 * delivery is doing from the system relation that mirrors the sinks' status.
 */
const ALERTS_SQL = `SELECT sink_name AS sink, connector, sink_from AS "from", state, delivered, pending, retries, dead_letters, held_back, error
FROM rw_catalog.tidewatch_sinks
ORDER BY sink_name`;

const GRAFANA_UNITS: Readonly<Record<Unit, string>> = {
  ms: 'ms',
  percent: 'percent',
  count: 'short',
  severity: 'none',
  none: 'none',
};

/** A severity's words keep their text in Grafana too, with a colour beside them. */
const SEVERITY_MAPPINGS = [
  {
    type: 'value',
    options: {
      low: { index: 0, text: 'low', color: 'blue' },
      medium: { index: 1, text: 'medium', color: 'yellow' },
      high: { index: 2, text: 'high', color: 'orange' },
      critical: { index: 3, text: 'critical', color: 'red' },
    },
  },
];

const datasourceRef = { type: DATASOURCE_TYPE, uid: DATASOURCE_UID };

/** `provisioning/datasources/…`, `provisioning/dashboards/…` and `dashboards/<slug>.json`. */
export function grafanaProvisioning(dashboard: Dashboard, connection: GrafanaConnection): ProvisioningFiles {
  const slug = slugOf(dashboard.title);
  return {
    'provisioning/datasources/tidewatch.yaml': datasourceYaml(connection),
    'provisioning/dashboards/tidewatch.yaml': providerYaml(),
    [`dashboards/${slug}.json`]: `${JSON.stringify(grafanaDashboard(dashboard), null, 2)}\n`,
  };
}

function datasourceYaml(c: GrafanaConnection): string {
  return `# tidewatch's PostgreSQL endpoint as a Grafana data source (written by tidewatch grafana).
apiVersion: 1
datasources:
  - name: tidewatch
    uid: ${DATASOURCE_UID}
    type: ${DATASOURCE_TYPE}
    access: proxy
    url: ${yamlString(`${c.host}:${c.port}`)}
    user: ${yamlString(c.user)}
    isDefault: true
    editable: false
    jsonData:
      database: ${yamlString(c.database)}
      sslmode: disable
      postgresVersion: 1300
      timescaledb: false
    # Grafana reads the password from its environment; give it the value tidewatch start got.
    secureJsonData:
      password: ${yamlString(`$__env{${c.passwordVariable}}`)}
`;
}

function providerYaml(): string {
  return `# tidewatch's dashboards, read from files (written by tidewatch grafana).
apiVersion: 1
providers:
  - name: tidewatch
    folder: tidewatch
    type: file
    disableDeletion: false
    allowUiUpdates: false
    updateIntervalSeconds: 30
    options:
      path: ${DASHBOARDS_PATH}
`;
}

/** A double-quoted YAML scalar (JSON's string syntax is YAML's). */
function yamlString(s: string): string {
  return JSON.stringify(s);
}

interface GridPos {
  readonly h: number;
  readonly w: number;
  readonly x: number;
  readonly y: number;
}

/** The dashboard model Grafana stores (schema of Grafana 10 and 11). */
export function grafanaDashboard(dashboard: Dashboard): Record<string, unknown> {
  const variables = new Map<string, { label: string; value: string }>();
  for (const panel of dashboard.panels)
    for (const v of panel.variables)
      if (!variables.has(v.name)) variables.set(v.name, { label: v.label, value: v.default });
  const uid = dashboardUid(dashboard);
  return {
    uid,
    title: dashboard.title,
    tags: ['tidewatch'],
    timezone: 'utc',
    editable: false,
    schemaVersion: 39,
    version: 1,
    refresh: '5s',
    time: { from: 'now-1h', to: 'now' },
    templating: {
      list: [...variables].map(([name, { label, value }]) => ({
        type: 'textbox',
        name,
        label,
        query: value,
        current: { text: value, value },
        hide: 0,
      })),
    },
    panels: layout(dashboard.panels).map(({ panel, gridPos }, i) =>
      grafanaPanel(panel, gridPos, i + 1, `/d/${uid}/${slugOf(dashboard.title)}`),
    ),
  };
}

function dashboardUid(dashboard: Dashboard): string {
  return `tidewatch-${slugOf(dashboard.title)}`.slice(0, 40);
}

/**
 * The built-in page's drill-down as a Grafana data link to the same dashboard: the target's
 * variable set to the point's key — a series' label (time series) or the row's field (bars),
 * or the panel's own variable — and a point's time. Grafana's links cannot add to a time, so
 * a point's link is the range centred on it (`time`, `time.window`) two windows wide: it holds
 * the point's whole window, and the half-windows either side.
 */
function dataLinks(panel: Panel, dashboardPath: string): Record<string, unknown>[] {
  if (panel.kind === 'table')
    return panel.drilldown === undefined ? [] : rowLinks(panel.drilldown, dashboardPath);
  if (panel.kind !== 'timeseries' && panel.kind !== 'bars') return [];
  const drill: Drilldown | undefined = panel.drilldown;
  if (drill === undefined) return [];
  const key =
    drill.fromVariable !== undefined
      ? drill.fromVariable
      : panel.kind === 'timeseries'
        ? `__field.labels.${drill.column}`
        : `__data.fields.${drill.column}`;
  const time =
    panel.kind === 'timeseries' && drill.window !== undefined
      ? `time=\${__value.time}&time.window=${2 * windowMillis(drill.window)}`
      : '${__url_time_range}';
  return [
    {
      title: `Requests of \${${key}}`,
      url: `${dashboardPath}?var-${drill.variable}=\${${key}:percentencode}&${time}`,
    },
  ];
}

/**
 * A table row's drill-down as a data link: the target's variable — named by the drill-down, or
 * by the row's `variableColumn` — set to the row's key, and the row's window as the range
 * (a time field's `numeric` is its epoch milliseconds; Grafana's range holds its end, so a
 * request stamped exactly at the window's end is shown too).
 */
function rowLinks(drill: RowDrilldown, dashboardPath: string): Record<string, unknown>[] {
  // Grafana's links cannot map a value to a variable: a row needs a column naming it (variableColumn).
  if (drill.variableFrom !== undefined) return [];
  const field = (name: string) => `\${__data.fields.${name}}`;
  const variable = drill.variable ?? field(drill.variableColumn as string);
  const time =
    drill.from === undefined || drill.to === undefined
      ? '${__url_time_range}'
      : `from=\${__data.fields.${drill.from}.numeric}&to=\${__data.fields.${drill.to}.numeric}`;
  return [
    {
      title: `Requests of ${field(drill.column)}`,
      url: `${dashboardPath}?var-${variable}=\${__data.fields.${drill.column}:percentencode}&${time}`,
    },
  ];
}

/** Why Grafana could not show a panel as the page does, if it could not. */
export function grafanaFault(panel: Panel): string | undefined {
  if (panel.kind === 'timeseries' && panel.time !== 'time')
    return `Grafana's time series format needs the time column named "time", not "${panel.time}" (SELECT ${panel.time} AS time, …)`;
  return undefined;
}

/** Tables across the page, charts two to a row, in the file's order. */
function layout(panels: readonly Panel[]): { panel: Panel; gridPos: GridPos }[] {
  const out: { panel: Panel; gridPos: GridPos }[] = [];
  let y = 0;
  let x = 0;
  let rowHeight = 0;
  for (const panel of panels) {
    const wide = panel.kind === 'table';
    const w = wide ? 24 : 12;
    const h = panel.kind === 'health' ? 6 : wide ? 10 : 8;
    if (x + w > 24) {
      y += rowHeight;
      x = 0;
      rowHeight = 0;
    }
    out.push({ panel, gridPos: { h, w, x, y } });
    x += w;
    rowHeight = Math.max(rowHeight, h);
  }
  return out;
}

function grafanaPanel(
  panel: Panel,
  gridPos: GridPos,
  id: number,
  dashboardPath: string,
): Record<string, unknown> {
  const sql = panel.kind === 'health' ? HEALTH_SQL : panel.kind === 'alerts' ? ALERTS_SQL : panel.sql;
  const format = panel.kind === 'timeseries' ? 'time_series' : 'table';
  const fault = grafanaFault(panel);
  if (fault !== undefined) throw new Error(`panel ${panel.id}: ${fault}`);
  const type = panel.kind === 'timeseries' ? 'timeseries' : panel.kind === 'bars' ? 'barchart' : 'table';
  const options: Record<string, unknown> =
    panel.kind === 'bars'
      ? { xField: panel.category, showValue: 'auto', legend: { displayMode: 'list', placement: 'bottom' } }
      : panel.kind === 'timeseries'
        ? { legend: { displayMode: 'list', placement: 'bottom' }, tooltip: { mode: 'multi' } }
        : { showHeader: true };
  return {
    id,
    type,
    title: panel.title,
    ...(panel.description === undefined ? {} : { description: panel.description }),
    gridPos,
    datasource: datasourceRef,
    targets: [
      { refId: 'A', datasource: datasourceRef, editorMode: 'code', rawQuery: true, format, rawSql: sql },
    ],
    fieldConfig: {
      defaults: { links: dataLinks(panel, dashboardPath) },
      overrides: Object.entries(panel.units).map(([column, unit]) => ({
        matcher: { id: 'byName', options: column },
        properties: [
          { id: 'unit', value: GRAFANA_UNITS[unit] },
          ...(unit === 'severity'
            ? [
                { id: 'mappings', value: SEVERITY_MAPPINGS },
                { id: 'custom.cellOptions', value: { type: 'color-text' } },
              ]
            : []),
        ],
      })),
    },
    options,
  };
}
