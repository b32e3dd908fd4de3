/**
 * `tidewatch grafana` against the real `tidewatch start` serving a finished deterministic
 * stream: the provisioning files it writes are YAML and JSON of Grafana's documented shape, the
 * dashboard's panels run the dashboard file's SQL unchanged, and each panel's SQL — expanded as
 * Grafana's PostgreSQL data source expands its macros and variables for a time range — runs
 * through pgx (Grafana's driver, simple protocol) and answers what Grafana needs: a `time`
 * column of a timestamp type and numeric values for time series, the known answer of the
 * stream for the security levels.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { DATASOURCE_TYPE, DATASOURCE_UID, grafanaDashboard } from '../../src/dashboard/grafana.ts';
import { isSqlPanel, loadDashboard } from '../../src/dashboard/panels.ts';
import { runCli } from '../helpers/cli.ts';
import { buildClient, type GoQueryResult, goMissing, runGoClient } from '../helpers/go-client.ts';
import { expandAsGrafana } from '../helpers/grafana-macros.ts';
import {
  type Endpoint,
  type KnownAnswers,
  knownAnswers,
  micros,
  STREAM,
  startEndpoint,
} from '../serve/endpoint-helpers.ts';

const SHIPPED = new URL('../../dashboards/website-security.json', import.meta.url).pathname;

function yamlMissing(): string | undefined {
  const r = spawnSync('python3', ['-c', 'import yaml'], { encoding: 'utf8' });
  return r.status === 0
    ? undefined
    : `no python3-yaml to read the YAML files: ${r.stderr.trim() || r.error?.message}`;
}

const skip = goMissing() ?? yamlMissing();
if (skip !== undefined) console.log(`# skipping the Grafana provisioning tests: ${skip}`);

/** A YAML file as the JSON of its data, read by a real YAML parser. */
function readYaml(path: string): Record<string, unknown> {
  const r = spawnSync(
    'python3',
    ['-c', 'import json, sys, yaml; print(json.dumps(yaml.safe_load(open(sys.argv[1]))))', path],
    {
      encoding: 'utf8',
    },
  );
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout) as Record<string, unknown>;
}

interface GrafanaTarget {
  readonly refId: string;
  readonly datasource: { readonly type: string; readonly uid: string };
  readonly format: 'table' | 'time_series';
  readonly rawQuery: boolean;
  readonly rawSql: string;
}

interface GrafanaPanel {
  readonly id: number;
  readonly type: string;
  readonly title: string;
  readonly gridPos: { readonly h: number; readonly w: number; readonly x: number; readonly y: number };
  readonly datasource: { readonly type: string; readonly uid: string };
  readonly targets: readonly GrafanaTarget[];
}

interface GrafanaDashboard {
  readonly uid: string;
  readonly title: string;
  readonly schemaVersion: number;
  readonly templating: {
    readonly list: readonly { type: string; name: string; current: { value: string } }[];
  };
  readonly panels: readonly GrafanaPanel[];
}

/** The stream's windows lie in 12:00–12:03; Grafana's range is wider, as a user's "last 1 h" would be. */
const RANGE = { from: '2024-01-25T11:30:00Z', to: '2024-01-25T12:30:00Z' };
const NUMERIC = /^(int2|int4|int8|float4|float8|numeric)$/;
const TIMESTAMP = /^(timestamp|timestamptz)$/;

let tmp: string;
let endpoint: Endpoint | undefined;
let known: KnownAnswers;
let dashboard: GrafanaDashboard;
let datasources: Record<string, unknown>;
let providers: Record<string, unknown>;
/** pgx's answer to each panel's query, by panel title. */
let answers: Record<string, GoQueryResult>;
let pickedUser: string;

before(async () => {
  if (skip !== undefined) return;
  tmp = mkdtempSync(join(tmpdir(), 'tw-grafana-'));
  const [client, stream] = await Promise.all([buildClient(tmp), knownAnswers(STREAM)]);
  known = stream;
  endpoint = await startEndpoint(STREAM, known, ['--detections']);
  const out = join(tmp, 'grafana');
  const written = await runCli([
    'grafana',
    '--out',
    out,
    '--pg-port',
    String(endpoint.pgPort),
    '--data-dir',
    join(tmp, 'no-saved-panels'),
  ]);
  assert.equal(written.code, 0, written.stderr);
  datasources = readYaml(join(out, 'provisioning', 'datasources', 'tidewatch.yaml'));
  providers = readYaml(join(out, 'provisioning', 'dashboards', 'tidewatch.yaml'));
  const files = readdirSync(join(out, 'dashboards'));
  assert.deepEqual(files, ['website-security.json']);
  dashboard = JSON.parse(
    readFileSync(join(out, 'dashboards', files[0] as string), 'utf8'),
  ) as GrafanaDashboard;

  // Grafana sends the variables' current values; the user series is asked for a user of the stream.
  const users = known.views.website_user_metrics ?? [];
  const column = endpoint.columns.website_user_metrics?.indexOf('username') ?? -1;
  pickedUser = String(users.find((row) => row[column] !== null)?.[column]);
  const variables: Record<string, string> = Object.fromEntries(
    dashboard.templating.list.map((v) => [v.name, v.current.value]),
  );
  variables.user = pickedUser;
  const queries = dashboard.panels.map((p) => ({
    name: p.title,
    sql: expandAsGrafana((p.targets[0] as GrafanaTarget).rawSql, RANGE, variables),
    only: 'pgx' as const,
  }));
  // As Grafana runs them: logged in as the provisioned data source's read-only user.
  const sourceUser = (datasources.datasources as { user: string }[])[0]?.user;
  answers = (await runGoClient(client, endpoint.pgPort, queries, sourceUser)).pgx.results;
});

after(async () => {
  await endpoint?.stop();
  if (tmp !== undefined) rmSync(tmp, { recursive: true, force: true });
});

test('the provisioning files are YAML of Grafana’s documented shape', { skip }, () => {
  assert.equal(datasources.apiVersion, 1);
  const [source] = datasources.datasources as { jsonData: Record<string, unknown>; [key: string]: unknown }[];
  assert.deepEqual(
    {
      name: source?.name,
      uid: source?.uid,
      type: source?.type,
      access: source?.access,
      url: source?.url,
      user: source?.user,
      password: (source?.secureJsonData as Record<string, unknown> | undefined)?.password,
      database: source?.jsonData.database,
      sslmode: source?.jsonData.sslmode,
    },
    {
      name: 'tidewatch',
      uid: DATASOURCE_UID,
      type: DATASOURCE_TYPE,
      access: 'proxy',
      url: `127.0.0.1:${endpoint?.pgPort}`,
      user: 'grafana',
      password: '$__env{TIDEWATCH_GRAFANA_PASSWORD}',
      database: 'dev',
      sslmode: 'disable',
    },
  );
  assert.equal(providers.apiVersion, 1);
  const [provider] = providers.providers as { type: string; options: Record<string, unknown> }[];
  assert.equal(provider?.type, 'file');
  assert.equal(typeof provider?.options.path, 'string');
});

test('the Grafana dashboard runs the dashboard file’s SQL unchanged, on the provisioned data source', {
  skip,
}, () => {
  const file = loadDashboard(SHIPPED);
  assert.equal(dashboard.title, file.title);
  assert.equal(typeof dashboard.uid, 'string');
  assert.ok(dashboard.uid.length <= 40, 'Grafana uids are at most 40 characters');
  assert.ok(dashboard.schemaVersion >= 36);
  assert.equal(dashboard.panels.length, file.panels.length);
  const ids = new Set<number>();
  for (const [i, panel] of dashboard.panels.entries()) {
    const source = file.panels[i];
    assert.equal(panel.title, source?.title);
    assert.ok(['table', 'timeseries', 'barchart'].includes(panel.type), panel.type);
    assert.ok(!ids.has(panel.id), 'panel ids are unique');
    ids.add(panel.id);
    const { x, w, h } = panel.gridPos;
    assert.ok(x >= 0 && w > 0 && x + w <= 24 && h > 0, `${panel.title} fits Grafana's 24 columns`);
    assert.deepEqual(panel.datasource, { type: DATASOURCE_TYPE, uid: DATASOURCE_UID });
    const [target] = panel.targets;
    assert.deepEqual(target?.datasource, panel.datasource);
    assert.equal(target?.rawQuery, true);
    if (source !== undefined && isSqlPanel(source))
      assert.equal(target?.rawSql, source.sql, 'never written twice');
    for (const [, name] of (target?.rawSql ?? '').matchAll(/\$\{(\w+)\}/g))
      assert.ok(
        dashboard.templating.list.some((v) => v.name === name && v.type === 'textbox'),
        `\${${name}} of ${panel.title} is a dashboard variable`,
      );
  }
});

test('each panel’s SQL, expanded as Grafana does, runs through pgx with the columns Grafana expects', {
  skip,
}, () => {
  for (const panel of dashboard.panels) {
    const r = answers[panel.title];
    assert.ok(r !== undefined, `pgx ran ${panel.title}`);
    assert.equal(r.error, undefined, `${panel.title}: ${r.error}`);
    // The stream has no sinks, and nothing in it is malformed: those two panels are empty.
    if (panel.title !== 'Alerts' && panel.title !== 'Dead letters')
      assert.ok(r.rows.length > 0, `${panel.title} has rows in ${RANGE.from}–${RANGE.to}`);
    const target = panel.targets[0] as GrafanaTarget;
    if (target.format !== 'time_series') continue;
    assert.match(r.types[r.columns.indexOf('time')] ?? 'no time column', TIMESTAMP, `${panel.title}: time`);
    r.columns.forEach((column, i) => {
      if (column === 'time' || r.types[i] === 'text' || r.types[i] === 'varchar') return;
      assert.match(r.types[i] ?? '', NUMERIC, `${panel.title}: ${column} is a number`);
    });
  }
});

test('the security levels panel in Grafana shows the stream’s known per-minute counts', { skip }, () => {
  const columns = endpoint?.columns.security_level_analysis_summary ?? [];
  const at = (name: string) => columns.indexOf(name);
  const expected = (known.views.security_level_analysis_summary ?? [])
    .map(
      (row) => `${row[at('window_start')]}|${row[at('security_level')]}|${row[at('count_security_level')]}`,
    )
    .sort();
  const panel = dashboard.panels.find((p) => p.type === 'timeseries' && /security/i.test(p.title));
  assert.ok(panel !== undefined, 'a security levels time series');
  const r = answers[panel.title] as GoQueryResult;
  const shown = r.rows.map((row) => `${micros(String(row[0]))}|${row[1]}|${row[2]}`).sort();
  assert.deepEqual(shown, expected);
  const userSeries = answers[dashboard.panels.find((p) => /one user/i.test(p.title))?.title ?? ''];
  assert.ok((userSeries?.rows.length ?? 0) > 0, `the user series of ${pickedUser}`);
});

test('a drill-down is a Grafana data link to the same dashboard with the key as its variable', () => {
  const d = grafanaDashboard(loadDashboard(SHIPPED)) as {
    uid: string;
    panels: { title: string; fieldConfig: { defaults: { links: { title: string; url: string }[] } } }[];
  };
  const links = Object.fromEntries(
    d.panels.map((p) => [p.title, p.fieldConfig.defaults.links.map((l) => l.url)]),
  );
  const here = `/d/${d.uid}/website-security`;
  assert.deepEqual(links['Security levels'], [
    `${here}?var-security_level=\${__field.labels.security_level:percentencode}&time=\${__value.time}&time.window=120000`,
  ]);
  assert.deepEqual(links['One user over time'], [
    `${here}?var-user=\${user:percentencode}&time=\${__value.time}&time.window=120000`,
  ]);
  assert.deepEqual(links['Top user actions'], [
    `${here}?var-user_action=\${__data.fields.user_action:percentencode}&\${__url_time_range}`,
  ]);
  assert.deepEqual(links['Recent requests'], []);
  // A detection's row: the variable its actor_kind names, its actor, its window.
  assert.deepEqual(links.Detections, [
    `${here}?var-\${__data.fields.actor_kind}=\${__data.fields.actor:percentencode}` +
      '&from=${__data.fields.window_start.numeric}&to=${__data.fields.window_end.numeric}',
  ]);
});

test('panels saved from the page into the data directory follow the file’s in Grafana', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tw-grafana-saved-'));
  try {
    const saved = {
      id: 'saved-errors',
      title: 'Errors',
      kind: 'timeseries',
      time: 'time',
      values: ['errors'],
      sql: 'SELECT window_start AS time, sum(total_errors) AS errors FROM website_user_metrics WHERE $__timeFilter(window_start) GROUP BY 1 ORDER BY 1',
    };
    mkdirSync(join(dir, 'data'));
    writeFileSync(
      join(dir, 'data', 'saved-panels.json'),
      JSON.stringify({ title: 'Saved panels', panels: [saved] }),
    );
    const r = await runCli(['grafana', '--out', join(dir, 'out'), '--data-dir', join(dir, 'data')]);
    assert.equal(r.code, 0, r.stderr);
    const written = JSON.parse(
      readFileSync(join(dir, 'out', 'dashboards', 'website-security.json'), 'utf8'),
    ) as GrafanaDashboard;
    const last = written.panels.at(-1);
    assert.equal(written.panels.length, loadDashboard(SHIPPED).panels.length + 1);
    assert.equal(last?.title, 'Errors');
    assert.equal(last?.type, 'timeseries');
    assert.equal(last?.targets[0]?.rawSql, saved.sql);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
