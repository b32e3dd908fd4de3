import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { DashboardError, loadDashboard, parseDashboard } from '../../src/dashboard/panels.ts';

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

describe('dashboard files', () => {
  test('the shipped dashboard has the six panels over the five views and pipeline health', () => {
    const d = loadDashboard(SHIPPED);
    assert.equal(d.title, 'Website security');
    assert.deepEqual(
      d.panels.map((p) => `${p.id}:${p.kind}`),
      [
        'health:health',
        'raw-logs:table',
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
      /panels\[0\]\.kind: expected one of table, timeseries, bars, health, not "pie"/,
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
});
