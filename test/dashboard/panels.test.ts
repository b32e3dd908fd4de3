import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import {
  columnsRead,
  DashboardError,
  isSqlPanel,
  loadDashboard,
  parseDashboard,
  parsePanel,
  windowMillis,
} from '../../src/dashboard/panels.ts';

const SHIPPED = fileURLToPath(new URL('../../dashboards/website-security.json', import.meta.url));

const fault = (json: unknown, message: RegExp) =>
  assert.throws(
    () => parseDashboard(JSON.stringify(json), 'my.json'),
    (e: unknown) => {
      assert.ok(e instanceof DashboardError);
      assert.match(e.message, message);
      return true;
    },
  );

const panel = { id: 'a', title: 'A', kind: 'bars', category: 'c', value: 'v', sql: 'SELECT 1' };

/** A raw-logs table whose variables rows and alerts drill into, by the kind of actor. */
const actorLogs = {
  id: 'logs',
  title: 'Logs',
  kind: 'table',
  variables: [
    { name: 'ip', label: 'IP' },
    { name: 'user', label: 'User' },
  ],
  sql: "SELECT '${ip}', '${user}'",
};

describe('dashboard files', () => {
  test('the shipped dashboard has the six panels over the five views and pipeline health', () => {
    const d = loadDashboard(SHIPPED);
    assert.equal(d.title, 'Website security');
    assert.deepEqual(
      d.panels.map((p) => `${p.id}:${p.kind}`),
      [
        'health:health',
        'detections:table',
        'alerts:alerts',
        'raw-logs:table',
        'dead-letters:table',
        'referrers:timeseries',
        'user-metrics:table',
        'user-series:timeseries',
        'security-levels:timeseries',
        'top-actions:bars',
        'status-codes:bars',
      ],
    );
    const sql = d.panels.map((p) => ('sql' in p ? p.sql : '')).join('\n');
    for (const relation of [
      'website_logs_source',
      'referrer_activity_summary',
      'website_user_metrics',
      'security_level_analysis_summary',
      'top_user_actions',
      'status_code_analysis_summary',
      'detections',
      'tidewatch_dead_letters',
    ])
      assert.match(sql, new RegExp(`FROM ${relation}\\b`));
    for (const p of d.panels) if ('sql' in p) assert.match(p.sql, /\$__timeFilter\(/, p.id);
  });

  test('a fault names the file and the field', () => {
    assert.throws(() => parseDashboard('{', 'my.json'), /my\.json: not JSON/);
    fault({ panels: [] }, /my\.json: title: missing/);
    fault({ title: 'T' }, /my\.json: panels: expected an array/);
    fault(
      { title: 'T', panels: [{ ...panel, kind: 'pie' }] },
      /panels\[0\]\.kind: expected one of table, timeseries, bars, health, alerts, not "pie"/,
    );
    fault({ title: 'T', panels: [{ ...panel, sql: '' }] }, /panels\[0\]\.sql: expected a non-empty string/);
    fault({ title: 'T', panels: [panel, panel] }, /panels\[1\]\.id: "a" is the id of an earlier panel/);
    fault({ title: 'T', panels: [{ ...panel, id: 'A B' }] }, /panels\[0\]\.id: "A B" is not lowercase/);
    fault(
      { title: 'T', panels: [{ ...panel, value: 'x; drop' }] },
      /panels\[0\]\.value: .* is not a column name/,
    );
    fault({ title: 'T', panels: [{ ...panel, sql: 'SELECT $1' }] }, /positional parameters/);
    fault(
      { title: 'T', panels: [{ ...panel, sql: "SELECT '${ip}'" }] },
      /\$\{ip\} is not one of the panel's variables/,
    );
    fault(
      {
        title: 'T',
        panels: [{ ...panel, variables: [{ name: 'n', label: 'N', type: 'integer', default: 'x' }] }],
      },
      /variables\[0\]\.default: an integer variable needs an integer default/,
    );
    fault({ title: 'T', panels: [{ ...panel, units: { v: 'parsecs' } }] }, /units\.v: expected one of ms/);
    fault(
      {
        title: 'T',
        panels: [{ ...panel, kind: 'table', selects: { column: 'u', panel: 'b', variable: 'user' } }],
      },
      /panels\[0\]\.selects: no panel "b" with a variable "user"/,
    );
  });

  test("an alert's drill-down maps a column's values to the target's variables, each checked", () => {
    const logs = actorLogs;
    const drill = {
      panel: 'logs',
      column: 'actor',
      variableFrom: { column: 'scenario', values: { 'account-takeover': 'user' }, otherwise: 'ip' },
      from: 'window_start',
      to: 'window_end',
    };
    const alerts = { id: 'alerts', title: 'Alerts', kind: 'alerts', drilldown: drill };
    const ok = parseDashboard(JSON.stringify({ title: 'T', panels: [logs, alerts] }), 'x');
    assert.deepEqual((ok.panels[1] as { drilldown?: unknown }).drilldown, drill);
    const faultOf = (p: unknown, message: RegExp) => fault({ title: 'T', panels: [logs, p] }, message);
    faultOf(
      { ...alerts, drilldown: { ...drill, variableFrom: { ...drill.variableFrom, otherwise: 'host' } } },
      /panels\[1\]\.drilldown: no panel "logs" with a variable "host"/,
    );
    faultOf(
      { ...alerts, drilldown: { ...drill, variableFrom: { column: 'scenario', values: { x: 'a b' } } } },
      /drilldown\.variableFrom\.values\.x: "a b" is not a variable name/,
    );
    faultOf(
      { ...alerts, drilldown: { ...drill, variableFrom: { column: 'scenario' } } },
      /drilldown\.variableFrom\.values: /,
    );
    faultOf({ ...alerts, drilldown: { ...drill, panel: 'nope' } }, /no panel "nope"/);
    // The shipped feed leads where the Detections panel does, by the same kinds of actor.
    const shipped = loadDashboard(SHIPPED).panels.find((p) => p.id === 'alerts');
    assert.deepEqual((shipped as { drilldown?: unknown }).drilldown, {
      panel: 'raw-logs',
      column: 'actor',
      variableFrom: {
        column: 'scenario',
        values: { 'account-takeover': 'user', degradation: 'endpoint' },
        otherwise: 'ip',
      },
      from: 'window_start',
      to: 'window_end',
    });
  });

  test('a file that cannot be read says which', () => {
    assert.throws(
      () => loadDashboard('/nonexistent/d.json'),
      /cannot read dashboard file \/nonexistent\/d\.json/,
    );
  });

  test('health panels need no SQL; variables default to text and ""', () => {
    const d = parseDashboard(
      JSON.stringify({
        title: 'T',
        panels: [
          { id: 'h', title: 'H', kind: 'health' },
          { ...panel, variables: [{ name: 'ip', label: 'IP' }], sql: "SELECT '${ip}'" },
        ],
      }),
      'x',
    );
    assert.deepEqual(d.panels[1]?.variables, [{ name: 'ip', label: 'IP', type: 'text', default: '' }]);
  });

  test('the shipped charts and bars drill down into the raw logs', () => {
    const d = loadDashboard(SHIPPED);
    const drills = Object.fromEntries(
      d.panels.flatMap((p) =>
        (p.kind === 'timeseries' || p.kind === 'bars') && p.drilldown !== undefined
          ? [[p.id, p.drilldown]]
          : [],
      ),
    );
    assert.deepEqual(drills, {
      referrers: { panel: 'raw-logs', variable: 'referrer', column: 'referrer', window: '1m' },
      'user-series': { panel: 'raw-logs', variable: 'user', fromVariable: 'user', window: '1m' },
      'security-levels': {
        panel: 'raw-logs',
        variable: 'security_level',
        column: 'security_level',
        window: '1m',
      },
      'top-actions': { panel: 'raw-logs', variable: 'user_action', column: 'user_action' },
      'status-codes': { panel: 'raw-logs', variable: 'status', column: 'status_code' },
    });
  });

  test('a drill-down names an existing panel and variable, its key and, for charts, a window', () => {
    const logs = {
      id: 'logs',
      title: 'Logs',
      kind: 'table',
      variables: [{ name: 'level', label: 'Level' }],
      sql: "SELECT '${level}'",
    };
    const chart = {
      id: 'c',
      title: 'C',
      kind: 'timeseries',
      time: 'time',
      keys: 'level',
      values: ['n'],
      sql: 'SELECT 1',
    };
    const drill = { panel: 'logs', variable: 'level', column: 'level', window: '1m' };
    const ok = parseDashboard(
      JSON.stringify({ title: 'T', panels: [logs, { ...chart, drilldown: drill }] }),
      'x',
    );
    assert.deepEqual((ok.panels[1] as { drilldown?: unknown }).drilldown, drill);
    const faultOf = (p: unknown, message: RegExp) => fault({ title: 'T', panels: [logs, p] }, message);
    faultOf(
      { ...chart, drilldown: { ...drill, panel: 'nope' } },
      /panels\[1\]\.drilldown: no panel "nope" with a variable "level"/,
    );
    faultOf(
      { ...chart, drilldown: { ...drill, variable: 'status' } },
      /panels\[1\]\.drilldown: no panel "logs" with a variable "status"/,
    );
    faultOf(
      { ...chart, drilldown: { ...drill, column: 'host' } },
      /drilldown\.column: "host" is not the panel's keys column "level"/,
    );
    faultOf(
      { ...chart, keys: undefined, drilldown: drill },
      /drilldown\.column: a time series without keys has no key column: use "fromVariable"/,
    );
    faultOf(
      { ...chart, drilldown: { ...drill, fromVariable: 'level' } },
      /drilldown: give where the key comes from: "column" or "fromVariable", one of them/,
    );
    faultOf(
      { ...chart, drilldown: { panel: 'logs', variable: 'level', fromVariable: 'who', window: '1m' } },
      /drilldown\.fromVariable: "who" is not one of the panel's variables/,
    );
    faultOf({ ...chart, drilldown: { ...drill, window: undefined } }, /drilldown\.window: missing/);
    faultOf(
      { ...chart, drilldown: { ...drill, window: '1 minute' } },
      /drilldown\.window: "1 minute" is not a window like 1m, 30s or 1h/,
    );
    faultOf(
      { ...panel, category: 'level', drilldown: drill },
      /drilldown\.window: a bar is of the whole range: bars' drill-downs have no window/,
    );
    faultOf(
      { ...panel, drilldown: { panel: 'logs', variable: 'level', column: 'level' } },
      /drilldown\.column: "level" is not the panel's category column "c"/,
    );
    fault(
      {
        title: 'T',
        panels: [
          {
            ...logs,
            kind: 'bars',
            category: 'level',
            value: 'n',
            drilldown: { ...drill, window: undefined, panel: 'logs' },
          },
        ],
      },
      /panels\[0\]\.drilldown\.panel: a panel drills down into another/,
    );
  });

  test("a table row's drill-down names the variable or the column naming it, and its window's columns", () => {
    const logs = actorLogs;
    const found = { id: 'found', title: 'Found', kind: 'table', sql: 'SELECT 1' };
    const drill = { panel: 'logs', column: 'actor', variableColumn: 'kind', from: 'start', to: 'end' };
    const ok = parseDashboard(
      JSON.stringify({ title: 'T', panels: [logs, { ...found, drilldown: drill }] }),
      'x',
    );
    const table = ok.panels[1];
    assert.deepEqual((table as { drilldown?: unknown }).drilldown, drill);
    assert.ok(table !== undefined && isSqlPanel(table));
    assert.deepEqual(columnsRead(table), ['actor', 'kind', 'start', 'end']);
    const faultOf = (p: unknown, message: RegExp) => fault({ title: 'T', panels: [logs, p] }, message);
    faultOf(
      { ...found, drilldown: { ...drill, variable: 'ip' } },
      /panels\[1\]\.drilldown: give the variable it sets: "variable", "variableColumn" naming it per row, or "variableFrom" mapping a column's values to it, one of them/,
    );
    faultOf(
      { ...found, drilldown: { panel: 'logs', column: 'actor', variable: 'host' } },
      /panels\[1\]\.drilldown: no panel "logs" with a variable "host"/,
    );
    faultOf(
      { ...found, drilldown: { ...drill, panel: 'nope' } },
      /panels\[1\]\.drilldown\.panel: no panel "nope"/,
    );
    faultOf({ ...found, drilldown: { ...drill, to: undefined } }, /a window needs both "from" and "to"/);
    faultOf(
      { ...found, drilldown: { ...drill, column: 'a b' } },
      /drilldown\.column: "a b" is not a column name/,
    );
    faultOf(
      { ...found, drilldown: { ...drill, panel: 'found' } },
      /panels\[1\]\.drilldown\.panel: a panel drills down into another/,
    );
    // The alerts panel reads the HTTP API: no SQL.
    const alerts = parsePanel({ id: 'alerts', title: 'Alerts', kind: 'alerts' }, 'x');
    assert.equal(alerts.kind, 'alerts');
    assert.equal(isSqlPanel(alerts), false);
  });

  test('windows read as milliseconds', () => {
    assert.equal(windowMillis('1m'), 60_000);
    assert.equal(windowMillis('30s'), 30_000);
    assert.equal(windowMillis('2h'), 7_200_000);
    assert.throws(() => windowMillis('0m'), DashboardError);
  });

  test('one panel (saved from the page) is checked as a panel of a file is', () => {
    assert.deepEqual(parsePanel({ ...panel, id: 'saved-a' }, 'saved panel'), {
      ...panel,
      id: 'saved-a',
      variables: [],
      units: {},
    });
    assert.throws(
      () => parsePanel({ ...panel, value: 'no such; column' }, 'saved panel'),
      /^DashboardError: saved panel: value: "no such; column" is not a column name$/,
    );
  });
});
