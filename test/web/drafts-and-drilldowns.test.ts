/** The page's pure parts: what a drill-down leads to, and the panel a SQL box result suggests. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Panel } from '../../src/web/api.ts';
import { drillTarget, objectCell, rowDrillTarget, tableCell, windowLabel } from '../../src/web/drilldown.ts';
import { completeDraft, suggestDraft } from '../../src/web/panel-draft.ts';

const levels: Panel = {
  id: 'levels',
  title: 'Levels',
  kind: 'timeseries',
  variables: [],
  units: {},
  drilldown: { panel: 'raw-logs', variable: 'security_level', column: 'security_level', window: '1m' },
};

test("a point leads to the target's filter for its key and to its time bucket", () => {
  const t = Date.parse('2024-01-25T12:03:00Z');
  const target = drillTarget(levels, {}, 'high', t);
  assert.deepEqual(target, {
    panel: 'raw-logs',
    value: 'high',
    filters: { security_level: 'high', offset: '0' },
    window: { from: '2024-01-25T12:03:00.000Z', to: '2024-01-25T12:04:00.000Z' },
  });
  assert.equal(windowLabel(target?.window as { from: string; to: string }), '12:03–12:04 UTC');
  // An empty key would read as "any": no drill-down.
  assert.equal(drillTarget(levels, {}, '', t), undefined);
  assert.equal(drillTarget(levels, {}, null, t), undefined);
  const user: Panel = {
    ...levels,
    variables: [{ name: 'user', label: 'User', type: 'text', default: '' }],
    drilldown: { panel: 'raw-logs', variable: 'user', fromVariable: 'user', window: '1m' },
  };
  assert.equal(drillTarget(user, { user: 'ann' }, null, t)?.value, 'ann');
  assert.equal(drillTarget(user, {}, null, t), undefined, 'no user picked');
  const bars: Panel = {
    ...levels,
    kind: 'bars',
    drilldown: { panel: 'raw-logs', variable: 'status', column: 'status_code' },
  };
  assert.deepEqual(drillTarget(bars, {}, '404'), {
    panel: 'raw-logs',
    value: '404',
    filters: { status: '404', offset: '0' },
  });
});

test('a row or an alert leads to the variable its scenario maps to, its actor and its window', () => {
  const alerts: Panel = {
    id: 'alerts',
    title: 'Alerts',
    kind: 'alerts',
    variables: [],
    units: {},
    drilldown: {
      panel: 'raw-logs',
      column: 'actor',
      variableFrom: { column: 'scenario', values: { 'account-takeover': 'user' }, otherwise: 'ip' },
      from: 'window_start',
      to: 'window_end',
    },
  };
  const has = (_panel: string, variable: string) => ['ip', 'user'].includes(variable);
  const alert = (scenario: string, actor: string) =>
    objectCell({
      scenario,
      actor,
      window_start: '2024-01-25T12:03:10.000',
      window_end: '2024-01-25T12:04:10.000',
    });
  assert.deepEqual(rowDrillTarget(alerts, alert('account-takeover', 'ann'), has), {
    panel: 'raw-logs',
    value: 'ann',
    filters: { user: 'ann', offset: '0' },
    window: { from: '2024-01-25T12:03:10.000Z', to: '2024-01-25T12:04:10.000Z' },
  });
  assert.deepEqual(rowDrillTarget(alerts, alert('brute-force', '203.0.113.7'), has)?.filters, {
    ip: '203.0.113.7',
    offset: '0',
  });
  // A value that only an object's prototype has is no mapping of its own.
  assert.equal(rowDrillTarget(alerts, alert('__proto__', '203.0.113.7'), has)?.filters.ip, '203.0.113.7');
  // No actor (a sink over another relation), or a variable the target lacks: no Show.
  assert.equal(rowDrillTarget(alerts, objectCell({ n: 3 }), has), undefined);
  const noOtherwise: Panel = {
    ...alerts,
    drilldown: {
      panel: 'raw-logs',
      column: 'actor',
      variableFrom: { column: 'scenario', values: { degradation: 'endpoint' } },
    },
  };
  assert.equal(rowDrillTarget(noOtherwise, alert('degradation', '/api/items/:id'), has), undefined);
  assert.equal(rowDrillTarget(noOtherwise, alert('flood', '203.0.113.7'), has), undefined);
  // A table row reads the same through its columns.
  const data = {
    columns: [
      { name: 'scenario', type: 'text' },
      { name: 'actor', type: 'text' },
    ],
    rows: [],
  };
  assert.equal(
    rowDrillTarget(alerts, tableCell(data, ['brute-force', '203.0.113.7']), has)?.value,
    '203.0.113.7',
  );
});

test('a result suggests a time series, else bars, else a table, with the columns of each', () => {
  const sql = 'SELECT …';
  const time = { name: 'time', type: 'timestamp without time zone' };
  const key = { name: 'level', type: 'character varying' };
  const n = { name: 'n', type: 'bigint' };
  const avg = { name: 'avg', type: 'double precision' };
  assert.deepEqual(suggestDraft(sql, [time, key, n, avg]), {
    title: '',
    kind: 'timeseries',
    sql,
    time: 'time',
    keys: 'level',
    values: ['n', 'avg'],
  });
  assert.deepEqual(suggestDraft(sql, [key, n]), {
    title: '',
    kind: 'bars',
    sql,
    category: 'level',
    value: 'n',
  });
  assert.deepEqual(suggestDraft(sql, [n]), { title: '', kind: 'table', sql });
  // A kind chosen later takes its columns as the suggestion would.
  assert.deepEqual(completeDraft({ title: 'T', kind: 'bars', sql, time: 'time' }, [time, key, n]), {
    title: 'T',
    kind: 'bars',
    sql,
    category: 'level',
    value: 'n',
  });
});
