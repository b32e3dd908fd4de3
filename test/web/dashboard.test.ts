/**
 * The built-in dashboard against a real `tidewatch start` (with a password) fed by the seeded
 * generator on simulated time: its HTTP API directly, then the page in real Chromium. Every
 * panel's numbers are compared with the same SQL run over the PostgreSQL endpoint.
 * Without /usr/bin/chromium the browser half skips, saying why.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import type pg from 'pg';
import { isSqlPanel, loadDashboard, type SqlPanel } from '../../src/dashboard/panels.ts';
import { chromiumMissing, launchChromium, recordProblems } from '../helpers/chromium.ts';
import { generatedTraffic, tenMinutesAgo } from '../helpers/generated-traffic.ts';
import { httpStatusFrom } from '../helpers/local-address.ts';
import { panelOverPg } from '../helpers/panel-over-pg.ts';
import { RestartableServer } from '../helpers/restartable-server.ts';

/** The page's document, as the functions run in the browser (page.waitForFunction) use it. */
interface PageElement {
  getAttribute(name: string): string | null;
}
declare const document: {
  querySelector(selector: string): PageElement | null;
  querySelectorAll(selector: string): Iterable<PageElement>;
  readonly activeElement: { readonly textContent: string | null } | null;
};

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const PASSWORD = 'tide-s3cret';
const EVENTS = 3000;
const dashboard = loadDashboard(join(ROOT, 'dashboards/website-security.json'));
// The detections panel reads a view this tidewatch does not apply, and nothing here is malformed:
// test/web/detections.test.ts and dead-letters-and-endpoints.test.ts have those two panels.
const sqlPanels = dashboard.panels.filter(
  (p): p is SqlPanel => isSqlPanel(p) && p.id !== 'detections' && p.id !== 'dead-letters',
);

// Simulated time from ten minutes ago (a whole minute), so "last hour" holds it too.
const start = tenMinutesAgo();
const range = {
  from: new Date(start.getTime() - 60_000).toISOString(),
  to: new Date(start.getTime() + 5 * 60_000).toISOString(),
};

let server: RestartableServer;
let client: pg.Client;
let dir: string;

/** The status of a request with no token or a wrong one, from an address of its own (see httpStatusFrom). */
const refusedStatus = (path: string, body?: unknown, token: string | null = null) =>
  httpStatusFrom('127.0.0.21', `${server.httpUrl}${path}`, {
    method: body === undefined ? 'GET' : 'POST',
    headers: {
      'content-type': 'application/json',
      ...(token === null ? {} : { authorization: `Bearer ${token}` }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });

const api = (path: string, body?: unknown, token: string | null = PASSWORD, method?: 'DELETE') =>
  fetch(`${server.httpUrl}${path}`, {
    method: method ?? (body === undefined ? 'GET' : 'POST'),
    headers: {
      'content-type': 'application/json',
      ...(token === null ? {} : { authorization: `Bearer ${token}` }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });

interface Status {
  readonly events_total: number;
  readonly committed_epoch: number | null;
  readonly sources: readonly { readonly name: string; readonly rows: number }[];
}

async function status(): Promise<Status> {
  return (await (await api('/api/status')).json()) as Status;
}

/** Events the engine has taken in (the generator's may still wait in the durable log). */
function ingested(s: Status): number {
  return s.sources.find((x) => x.name === 'website_logs_source')?.rows ?? 0;
}

/** A panel's SQL over the PostgreSQL endpoint, with the page's parameters, values as text. */
function overPg(
  panel: SqlPanel,
  filters: Record<string, string> = {},
  within: { from: string; to: string } = range,
): Promise<(string | null)[][]> {
  return panelOverPg(client, panel, filters, within);
}

/** Whether a value the API (or page) gave equals PostgreSQL's text of it. */
function same(shown: unknown, text: string | null): boolean {
  if (shown === null || shown === '' || shown === undefined) return text === null || text === '';
  if (typeof shown === 'number') return text !== null && Number(text) === shown;
  const s = String(shown);
  if (/^\d{4}-\d\d-\d\dT/.test(s)) return timeText(s) === timeText(text ?? '');
  if (text !== null && /^-?\d+(\.\d+)?$/.test(s) && /^-?\d+(\.\d+)?$/.test(text))
    return Number(s) === Number(text);
  return s === text;
}

/** A timestamp's text without the trailing zeros of its fraction: PostgreSQL prints 05.05, ISO 05.050. */
function timeText(s: string): string {
  return s
    .replace('T', ' ')
    .replace(/(\.\d*?)0+$/, '$1')
    .replace(/\.$/, '');
}

/** A named user of the per-user metrics table (the anonymous one has no minutes of their own). */
async function someUser(): Promise<string> {
  const rows = await overPg(sqlPanels.find((p) => p.id === 'user-metrics') as SqlPanel);
  const user = rows.map((r) => r[0]).find((u) => u !== null && u !== '');
  assert.ok(user);
  return user;
}

function assertSameRows(
  shown: readonly (readonly unknown[])[],
  expected: (string | null)[][],
  what: string,
): void {
  assert.equal(
    shown.length,
    expected.length,
    `${what}: ${shown.length} rows shown, ${expected.length} over psql`,
  );
  for (const [r, row] of shown.entries())
    for (const [c, v] of row.entries())
      assert.ok(
        same(v, expected[r]?.[c] ?? null),
        `${what} row ${r} column ${c}: ${JSON.stringify(v)} vs ${expected[r]?.[c]}`,
      );
}

before(async () => {
  execFileSync(process.execPath, [join(ROOT, 'scripts/build-web.mjs'), '--quiet'], { stdio: 'inherit' });
  dir = mkdtempSync(join(tmpdir(), 'tidewatch-dashboard-'));
  server = new RestartableServer({
    dataDir: join(dir, 'data'),
    args: [
      // The panels checked here are the reference pipeline's (the detections panel has its own test).
      '--no-detections',
      '--password',
      PASSWORD,
      ...generatedTraffic({ seed: 11, rate: 500, start, count: EVENTS }),
    ],
  });
  const banner = await server.start();
  assert.match(banner, /dashboard +http:\/\/127\.0\.0\.1:\d+\/#token=/);
  client = await server.connect(PASSWORD);
  // The generator stops after EVENTS; two commits after the engine took them in, every view holds them.
  for (let s = await status(); ingested(s) < EVENTS; s = await status())
    await new Promise((r) => setTimeout(r, 200));
  await twoMoreCommits();
});

async function twoMoreCommits(): Promise<void> {
  const done = (await status()).committed_epoch ?? 0;
  while (((await status()).committed_epoch ?? 0) < done + 2) await new Promise((r) => setTimeout(r, 200));
}

/** Any SQL with the dashboard's macros over the PostgreSQL endpoint, as the server expands it. */
async function sqlOverPg(sql: string): Promise<(string | null)[][]> {
  return overPg({ id: 'sql', title: 'SQL', kind: 'table', sql, variables: [], units: {} });
}

const ACTIONS_SQL =
  'SELECT user_action, count(*) AS requests FROM website_logs_source\nWHERE $__timeFilter(request_timestamp)\nGROUP BY user_action ORDER BY requests DESC, user_action';

after(async () => {
  await client?.end().catch(() => undefined);
  await server?.dispose();
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
});

describe('dashboard HTTP API', () => {
  test('needs the bearer token for data, not for the page', async () => {
    assert.equal(await refusedStatus('/api/dashboard'), 401);
    assert.equal(await refusedStatus('/api/panels/status-codes/query', range, 'wrong'), 401);
    assert.equal(await refusedStatus('/api/live'), 401);
    const page = await fetch(`${server.httpUrl}/`);
    assert.equal(page.status, 200);
    assert.match(page.headers.get('content-security-policy') ?? '', /default-src 'self'; script-src 'self'/);
    assert.equal(page.headers.get('cache-control'), 'no-cache');
    const script = /src="(\/assets\/app-\w+\.js)"/.exec(await page.text())?.[1];
    assert.ok(script);
    const asset = await fetch(`${server.httpUrl}${script}`, { headers: { 'accept-encoding': 'gzip' } });
    assert.equal(asset.headers.get('cache-control'), 'public, max-age=31536000, immutable');
    assert.equal(asset.headers.get('content-encoding'), 'gzip');
  });

  test('each panel answers what its SQL answers over the PostgreSQL endpoint', async () => {
    const d = (await (await api('/api/dashboard')).json()) as { panels: { id: string }[] };
    assert.deepEqual(
      d.panels.map((p) => p.id),
      dashboard.panels.map((p) => p.id),
    );
    for (const panel of sqlPanels) {
      const filters: Record<string, string> = panel.id === 'user-series' ? { user: await someUser() } : {};
      const r = await api(`/api/panels/${panel.id}/query`, { ...range, filters });
      assert.equal(r.status, 200, panel.id);
      const body = (await r.json()) as { columns: { name: string; type: string }[]; rows: unknown[][] };
      assert.ok(body.rows.length > 0, `${panel.id} is empty`);
      assertSameRows(body.rows, await overPg(panel, filters), panel.id);
    }
  });

  test('filters are bind parameters: a quote in one is a value, not SQL', async () => {
    const r = await api('/api/panels/raw-logs/query', { ...range, filters: { ip: "1' OR '1'='1" } });
    assert.equal(r.status, 200);
    assert.deepEqual(((await r.json()) as { rows: unknown[] }).rows, []);
    const bad = await api('/api/panels/raw-logs/query', { ...range, filters: { limit: '5; DROP TABLE x' } });
    assert.equal(bad.status, 400);
    assert.equal((await api('/api/panels/nope/query', range)).status, 404);
    assert.equal((await api('/api/panels/referrers/query', { from: 'yesterday', to: range.to })).status, 400);
  });

  test('the SQL box runs queries and refuses DROP TABLE, INSERT and other writes with a SQLSTATE', async () => {
    const ok = await api('/api/query', { sql: 'SELECT count(*) AS n FROM website_logs_source' });
    assert.equal(ok.status, 200);
    assert.deepEqual(((await ok.json()) as { rows: unknown[][] }).rows, [[EVENTS]]);
    for (const sql of [
      'DROP TABLE website_user_metrics',
      "INSERT INTO website_logs_source (ip_address) VALUES ('1.2.3.4')",
      'CREATE TABLE t (a int)',
      'SET rw_implicit_flush = true',
    ]) {
      const r = await api('/api/query', { sql });
      assert.equal(r.status, 403, sql);
      assert.equal(((await r.json()) as { sqlstate: string }).sqlstate, '25006', sql);
    }
    const cte = await api('/api/query', {
      sql: 'WITH x AS (DELETE FROM website_user_metrics RETURNING *) SELECT 1',
    });
    assert.equal(cte.status, 400);
    const two = await api('/api/query', { sql: 'SELECT 1; DROP TABLE website_user_metrics' });
    assert.equal(((await two.json()) as { sqlstate: string }).sqlstate, '42601');
    const missing = await api('/api/query', { sql: 'SELECT * FROM nope' });
    assert.equal(missing.status, 400);
    assert.deepEqual(await missing.json(), { error: 'relation "nope" does not exist', sqlstate: '42P01' });
    const still = await client.query('SELECT count(*)::int AS n FROM website_user_metrics');
    assert.ok((still.rows[0] as { n: number }).n > 0);
  });

  test('the SQL box expands the time macros over the range it is given', async () => {
    const r = await api('/api/query', { sql: ACTIONS_SQL, ...range });
    assert.equal(r.status, 200);
    const body = (await r.json()) as { rows: unknown[][] };
    assert.ok(body.rows.length > 0);
    assertSameRows(body.rows, await sqlOverPg(ACTIONS_SQL), 'SQL box with $__timeFilter');
  });

  test('POST /api/panels saves only read-only SQL that runs and has the columns it names', async () => {
    const panel = { title: 'Requests per action', kind: 'bars', category: 'user_action', value: 'requests' };
    const drop = await api('/api/panels', {
      panel: { ...panel, sql: 'DROP TABLE website_user_metrics' },
      ...range,
    });
    assert.equal(drop.status, 403);
    assert.equal(((await drop.json()) as { sqlstate: string }).sqlstate, '25006');
    const badSql = await api('/api/panels', {
      panel: {
        ...panel,
        sql: 'SELECT no_such_column AS user_action, 1 AS requests FROM website_logs_source',
      },
      ...range,
    });
    assert.equal(badSql.status, 400);
    assert.match(((await badSql.json()) as { error: string; sqlstate: string }).sqlstate, /^42/);
    const badColumn = await api('/api/panels', {
      panel: { ...panel, value: 'hits', sql: ACTIONS_SQL },
      ...range,
    });
    assert.equal(badColumn.status, 400);
    assert.deepEqual(await badColumn.json(), {
      error: 'column "hits" is not one of the query\'s columns (user_action, requests)',
    });
    const badField = await api('/api/panels', {
      panel: { ...panel, kind: 'pie', sql: ACTIONS_SQL },
      ...range,
    });
    assert.equal(badField.status, 400);
    assert.match(((await badField.json()) as { error: string }).error, /^panel: kind: expected one of/);
    assert.equal(
      await refusedStatus('/api/panels', { panel: { ...panel, sql: ACTIONS_SQL }, ...range }),
      401,
    );
    assert.equal((await api('/api/panels/raw-logs', undefined, PASSWORD, 'DELETE')).status, 403);
    assert.equal((await api('/api/panels/nope', undefined, PASSWORD, 'DELETE')).status, 404);
    const ids = ((await (await api('/api/dashboard')).json()) as { panels: { id: string }[] }).panels.map(
      (p) => p.id,
    );
    assert.deepEqual(
      ids,
      dashboard.panels.map((p) => p.id),
      'nothing was saved',
    );
  });

  test('/api/live sends an event per committed epoch', async () => {
    const controller = new AbortController();
    const r = await api('/api/live');
    assert.equal(r.headers.get('content-type'), 'text/event-stream; charset=utf-8');
    const reader = (r.body as ReadableStream<Uint8Array>).pipeThrough(new TextDecoderStream()).getReader();
    let text = '';
    while ((text.match(/event: commit/g) ?? []).length < 2) text += (await reader.read()).value ?? '';
    controller.abort();
    await reader.cancel();
    const epochs = [...text.matchAll(/"epoch":(\d+)/g)].map((m) => Number(m[1]));
    assert.ok(epochs.length >= 2 && (epochs[1] as number) > (epochs[0] as number), text);
  });
});

describe('dashboard page in Chromium', { skip: chromiumMissing() ?? false }, () => {
  // Loaded here so that a machine without the browser does not need the package either.
  type Browser = import('playwright-core').Browser;
  type Page = import('playwright-core').Page;
  let browser: Browser;
  let page: Page;
  const problems: string[] = [];

  before(async () => {
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1366, height: 768 } });
    recordProblems(page, problems);
    const hash = new URLSearchParams({ token: PASSWORD, from: range.from, to: range.to });
    await page.goto(`${server.httpUrl}/#${hash}`);
    await page.waitForFunction(
      (ids) =>
        ids.every((id) =>
          ['ready', 'empty'].includes(
            document.querySelector(`[data-panel="${id}"]`)?.getAttribute('data-state') ?? '',
          ),
        ),
      sqlPanels.map((p) => p.id),
      { timeout: 20_000 },
    );
  });

  after(async () => {
    await browser?.close();
  });

  test('loads with no console errors and no failed requests, and takes the token out of the address', async () => {
    assert.deepEqual(problems, []);
    assert.ok(!page.url().includes(PASSWORD), page.url());
    const shot = await page.screenshot({ fullPage: true, path: join(dir, 'dashboard.png') });
    assert.ok(shot.length > 10_000);
    if (process.env.TIDEWATCH_SCREENSHOT === '1')
      copyFileSync(join(dir, 'dashboard.png'), join(ROOT, 'docs/dashboard.png'));
  });

  test('each time series draws its lines and its time axis', async () => {
    for (const panel of sqlPanels.filter((p) => p.kind === 'timeseries' && p.id !== 'user-series')) {
      // Pixels of the first series' colour on the chart's canvas: its line (or points) was drawn.
      const drawn = await page
        .locator(`[data-panel="${panel.id}"] canvas`)
        .first()
        .evaluate((canvas) => {
          // The test's types know no DOM: the canvas as much of it as is read here.
          const c = canvas as unknown as {
            width: number;
            height: number;
            getContext(kind: '2d'): {
              getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray };
            };
          };
          const pixels = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
          let n = 0;
          for (let i = 0; i < pixels.length; i += 4)
            if (
              Math.abs((pixels[i] as number) - 0x3b) < 24 &&
              Math.abs((pixels[i + 1] as number) - 0x82) < 24 &&
              Math.abs((pixels[i + 2] as number) - 0xf6) < 24
            )
              n++;
          return n;
        });
      assert.ok(drawn > 20, `${panel.id}: ${drawn} pixels of its first series`);
      const legendTime = await page
        .locator(`[data-panel="${panel.id}"] .u-legend .u-series`)
        .first()
        .textContent();
      assert.doesNotMatch(legendTime ?? '', /NaN|Invalid/, `${panel.id}: the time axis reads times`);
    }
  });

  test("each panel's numbers equal the same SQL over the PostgreSQL endpoint", async () => {
    for (const panel of sqlPanels) {
      if (panel.id === 'user-series') continue; // empty until a user is picked: checked below
      const root = page.locator(`[data-panel="${panel.id}"]`);
      if (panel.kind === 'bars') {
        const bars = await root
          .locator('li[data-category]')
          .evaluateAll((els) =>
            els.map((e) => [e.getAttribute('data-category'), Number(e.getAttribute('data-value'))]),
          );
        const expected = (await overPg(panel)).map((r) => [r[0] ?? null, r[1] ?? null]);
        assertSameRows(bars, expected, panel.id);
      } else {
        // A chart's rows are built when its Data is opened.
        if (panel.kind === 'timeseries') {
          await root.locator('details summary').click();
          await root.locator('details[open] .table-scroll').waitFor();
        }
        const cells = await root
          .locator('.table-scroll tbody tr')
          .evaluateAll((rows) =>
            rows.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.getAttribute('data-value'))),
          );
        assertSameRows(cells, await overPg(panel), panel.id);
      }
    }
  });

  test('picking a user shows their minutes, the same as over the PostgreSQL endpoint', async () => {
    const user = await someUser();
    await page.locator('[data-panel="user-metrics"] button.link', { hasText: user }).first().click();
    const series = page.locator('[data-panel="user-series"]');
    await series.locator('details summary').click();
    await page.waitForFunction(
      () => document.querySelector('[data-panel="user-series"]')?.getAttribute('data-state') === 'ready',
    );
    await series.locator('details[open] .table-scroll').waitFor();
    const cells = await series
      .locator('.table-scroll tbody tr')
      .evaluateAll((rows) =>
        rows.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.getAttribute('data-value'))),
      );
    const panel = sqlPanels.find((p) => p.id === 'user-series') as SqlPanel;
    assertSameRows(cells, await overPg(panel, { user }), 'user-series');
    assert.ok(cells.length > 0);
  });

  test('a filter on the raw logs shows only the matching rows', async () => {
    const logs = page.locator('[data-panel="raw-logs"]');
    const ip = (await logs.locator('tbody tr td:nth-child(2)').first().getAttribute('data-value')) as string;
    await page.getByLabel('IP address').fill(ip);
    await logs.getByRole('button', { name: 'Apply' }).click();
    const expected = await overPg(sqlPanels.find((p) => p.id === 'raw-logs') as SqlPanel, { ip });
    await page.waitForFunction(
      ([ip, n]) => {
        const cells = [...document.querySelectorAll('[data-panel="raw-logs"] tbody tr td:nth-child(2)')];
        return cells.length === n && cells.every((c) => c.getAttribute('data-value') === ip);
      },
      [ip, expected.length] as const,
      { timeout: 5000 },
    );
  });

  /**
   * The raw-logs rows once the page shows `n` rows asked for `within` (a window, or the page's
   * range), each holding `value` in column `column`: the answer to the last drill-down, not the
   * rows of an earlier one still shown.
   */
  async function rawLogsOnceShown(
    within: { from: string; to: string },
    n: number,
    column: number,
    value: string,
  ): Promise<(string | null)[][]> {
    await page.waitForFunction(
      ([asked, n, column, value]) => {
        const panel = document.querySelector('[data-panel="raw-logs"]');
        const cells = [
          ...document.querySelectorAll(`[data-panel="raw-logs"] tbody tr td:nth-child(${column + 1})`),
        ];
        return (
          panel?.getAttribute('data-range') === asked &&
          cells.length === n &&
          cells.every((c) => c.getAttribute('data-value') === value)
        );
      },
      [`${within.from}/${within.to}`, n, column, value] as const,
      { timeout: 10_000 },
    );
    return page
      .locator('[data-panel="raw-logs"] .table-scroll tbody tr')
      .evaluateAll((rows) =>
        rows.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.getAttribute('data-value'))),
      );
  }

  /** What the raw logs' filter form shows for a variable's label. */
  const filterShown = (label: string) =>
    page.locator('[data-panel="raw-logs"]').getByLabel(label).inputValue();

  const focused = () => page.evaluate(() => document.activeElement?.textContent ?? null);

  const rawLogs = () => sqlPanels.find((p) => p.id === 'raw-logs') as SqlPanel;

  /** The first minute of the range holding rows of a view: where a chart has points. */
  async function aMinuteWithData(view: string): Promise<Date> {
    const r = await client.query(
      `SELECT min(window_start)::text AS t FROM ${view} WHERE window_start >= $1 AND window_start < $2`,
      [range.from.replace('T', ' ').replace('Z', ''), range.to.replace('T', ' ').replace('Z', '')],
    );
    return new Date(`${(r.rows[0] as { t: string }).t.replace(' ', 'T')}Z`);
  }

  test('a click on a point of the security levels shows the requests of that level and minute', async () => {
    const minute = await aMinuteWithData('security_level_analysis_summary');
    const chart = page.locator('[data-panel="security-levels"] .u-over');
    const box = await chart.boundingBox();
    assert.ok(box !== null);
    // The x axis spans the page's range exactly (TimeSeries' scale), so a time has one x.
    const x =
      ((minute.getTime() - Date.parse(range.from)) / (Date.parse(range.to) - Date.parse(range.from))) *
      box.width;
    const position = { x, y: box.height / 2 };
    // The click's own move (from a pixel away) puts uPlot's cursor on the point.
    await chart.hover({ position: { x, y: position.y - 1 } });
    await chart.click({ position });
    const window = { from: minute.toISOString(), to: new Date(minute.getTime() + 60_000).toISOString() };
    await page.waitForFunction(
      (w) => document.querySelector('[data-panel="raw-logs"]')?.getAttribute('data-window') === w,
      `${window.from}/${window.to}`,
    );
    const level = await filterShown('Security level');
    assert.notEqual(level, '', 'the level of the series nearest the click');
    assert.equal(await filterShown('IP address'), '', 'a drill-down replaces the earlier filters');
    const expected = await overPg(rawLogs(), { security_level: level }, window);
    assert.ok(expected.length > 0);
    const shown = await rawLogsOnceShown(window, expected.length, 8, level);
    assertSameRows(shown, expected, `raw logs of ${level} at ${window.from}`);
    assert.match(
      (await page.locator('[data-panel="raw-logs"] .window').textContent()) ?? '',
      new RegExp(`Window: ${window.from.slice(11, 16)}–${window.to.slice(11, 16)} UTC`),
    );
    // As many requests as the chart's point counts, up to a page of them.
    const counted = await client.query(
      `SELECT count_security_level::int AS n FROM security_level_analysis_summary
       WHERE window_start = $1 AND security_level = $2`,
      [window.from.replace('T', ' ').replace('Z', ''), level],
    );
    assert.equal(shown.length, Math.min(50, (counted.rows[0] as { n: number }).n));
    assert.equal(await focused(), 'Recent requests', 'the focus moves to the raw logs');
    // Back to the page's range: the level stays, the window goes.
    await page
      .locator('[data-panel="raw-logs"]')
      .getByRole('button', { name: /^Back to/ })
      .click();
    const wide = await overPg(rawLogs(), { security_level: level });
    assertSameRows(
      await rawLogsOnceShown(range, wide.length, 8, level),
      wide,
      `raw logs of ${level} over the range`,
    );
  });

  test('the Data table under a chart drills down from the keyboard', async () => {
    const referrers = page.locator('[data-panel="referrers"]');
    if ((await referrers.locator('details[open]').count()) === 0)
      await referrers.locator('details summary').click();
    const first = referrers.locator('details[open] tbody tr').first();
    await first.waitFor();
    const [time, referrer] = await first
      .locator('td')
      .evaluateAll((tds) => tds.slice(0, 2).map((td) => td.getAttribute('data-value') as string));
    const button = first.getByRole('button', { name: /^Show the requests of / });
    await button.focus();
    await page.keyboard.press('Enter');
    const from = new Date(`${time}Z`);
    const window = { from: from.toISOString(), to: new Date(from.getTime() + 60_000).toISOString() };
    const expected = await overPg(rawLogs(), { referrer: referrer as string }, window);
    assert.ok(expected.length > 0);
    assertSameRows(
      await rawLogsOnceShown(window, expected.length, 9, referrer as string),
      expected,
      `raw logs of ${referrer} at ${window.from}`,
    );
    assert.equal(await filterShown('Referrer'), referrer);
    assert.equal(await focused(), 'Recent requests');
  });

  test('a click on a top-actions bar shows the requests of that action over the range', async () => {
    const bar = page.locator('[data-panel="top-actions"] li[data-category]').nth(1);
    const action = (await bar.getAttribute('data-category')) as string;
    await bar.getByRole('button').click();
    const expected = await overPg(rawLogs(), { user_action: action });
    assert.ok(expected.length > 0);
    assertSameRows(
      await rawLogsOnceShown(range, expected.length, 7, action),
      expected,
      `raw logs of ${action}`,
    );
    assert.equal(await filterShown('User action'), action);
    assert.equal(await filterShown('Referrer'), '');
  });

  test('pipeline health shows how far the watermark is behind the newest event: the WATERMARK delay', async () => {
    // The reference pipeline's WATERMARK is the event time less 5 seconds; --idle-timeout 0.
    const row = page.locator('[data-panel="health"] table.sources tbody tr', {
      hasText: 'website_logs_source',
    });
    assert.equal(await row.locator('td').nth(1).textContent(), '5 s');
  });

  test('a new epoch reaches the page within 2 s of its commit', async () => {
    const before = (await status()).committed_epoch ?? 0;
    let committed = before;
    while (committed === before) {
      await new Promise((r) => setTimeout(r, 20));
      committed = (await status()).committed_epoch ?? 0;
    }
    const seenAt = Date.now();
    await page.waitForFunction(
      (e) => Number(document.querySelector('[data-live-epoch]')?.getAttribute('data-live-epoch')) >= e,
      committed,
      { timeout: 2000, polling: 20 },
    );
    assert.ok(Date.now() - seenAt < 2000);
  });

  test('the SQL box refuses DROP TABLE and INSERT', async () => {
    const box = page.locator('[data-panel="sql-box"]');
    for (const sql of [
      'DROP TABLE website_user_metrics',
      "INSERT INTO website_logs_source (ip_address) VALUES ('x')",
    ]) {
      await box.getByLabel('SQL query').fill(sql);
      await box.getByRole('button', { name: 'Run' }).click();
      await box.locator('[data-sql-error]').waitFor();
      assert.match((await box.locator('[data-sql-error]').textContent()) ?? '', /read-only.*SQLSTATE 25006/);
    }
    await box.getByLabel('SQL query').fill('SELECT count(*) AS n FROM website_logs_source');
    await box.getByRole('button', { name: 'Run' }).click();
    await box.locator('tbody td[data-value]').waitFor();
    assert.equal(await box.locator('tbody td').first().getAttribute('data-value'), String(EVENTS));
  });

  test('a SQL box query saved as a panel shows what the query answers over the PostgreSQL endpoint', async () => {
    const box = page.locator('[data-panel="sql-box"]');
    await box.getByLabel('SQL query').fill(ACTIONS_SQL);
    await box.getByRole('button', { name: 'Run' }).click();
    // This query's result, not the one an earlier test left in the box.
    await box.locator('.sql-result th', { hasText: 'user_action' }).waitFor();
    const form = box.getByRole('form', { name: 'Save as panel' });
    // Prefilled from the result's columns: bars of the text column by the number.
    assert.equal(await form.getByLabel('Kind').inputValue(), 'bars');
    assert.equal(await form.getByLabel('Category').inputValue(), 'user_action');
    assert.equal(await form.getByLabel('Value').inputValue(), 'requests');
    await form.getByLabel('Title').fill('Requests per action');
    await form.getByRole('button', { name: 'Save as panel' }).click();
    const saved = page.locator('[data-panel="saved-requests-per-action"]');
    await page.waitForFunction(
      () =>
        document.querySelector('[data-panel="saved-requests-per-action"]')?.getAttribute('data-state') ===
        'ready',
      undefined,
      { timeout: 10_000 },
    );
    const bars = await saved
      .locator('li[data-category]')
      .evaluateAll((els) =>
        els.map((e) => [e.getAttribute('data-category'), Number(e.getAttribute('data-value'))]),
      );
    assertSameRows(bars, await sqlOverPg(ACTIONS_SQL), 'saved panel');
    assert.equal(await focused(), 'Requests per action');

    await saved.getByRole('button', { name: 'Delete the panel Requests per action' }).click();
    await saved.waitFor({ state: 'detached' });
    const ids = ((await (await api('/api/dashboard')).json()) as { panels: { id: string }[] }).panels.map(
      (p) => p.id,
    );
    assert.ok(!ids.includes('saved-requests-per-action'), ids.join());
  });

  test('without the token the page asks for the password', async () => {
    const context = await browser.newContext();
    const other = await context.newPage();
    await other.goto(`${server.httpUrl}/`);
    await other.getByLabel('Password').fill(PASSWORD);
    await other.getByRole('button', { name: 'Open the dashboard' }).click();
    await other.locator('[data-panel="status-codes"]').waitFor({ timeout: 10_000 });
    await context.close();
  });
});

describe('saved panels', () => {
  test('a saved panel survives a restart on the same data directory, and can be deleted', async () => {
    const saved = await api('/api/panels', {
      panel: {
        title: 'Requests per minute',
        kind: 'timeseries',
        time: 'time',
        keys: 'http_method',
        values: ['requests'],
        sql: "SELECT window_start AS time, http_method, count(*) AS requests\nFROM TUMBLE(website_logs_source, request_timestamp, INTERVAL '1 MINUTES')\nWHERE $__timeFilter(window_start)\nGROUP BY window_start, http_method ORDER BY window_start, http_method",
      },
      ...range,
    });
    assert.equal(saved.status, 201, await saved.clone().text());
    const { id, sql } = (await saved.json()) as { id: string; sql: string };
    assert.equal(id, 'saved-requests-per-minute');

    await client.end();
    await server.restart([
      '--password',
      PASSWORD,
      '--no-generator',
      '--idle-timeout',
      '0',
      '--status-interval',
      '600',
    ]);
    client = await server.connect(PASSWORD);
    await twoMoreCommits();
    const d = (await (await api('/api/dashboard')).json()) as { panels: { id: string; saved?: boolean }[] };
    assert.deepEqual(d.panels.at(-1), { ...d.panels.at(-1), id, saved: true });
    const r = await api(`/api/panels/${id}/query`, { ...range, filters: {} });
    assert.equal(r.status, 200);
    const rows = ((await r.json()) as { rows: unknown[][] }).rows;
    assert.ok(rows.length > 0);
    assertSameRows(rows, await sqlOverPg(sql), 'the saved panel after a restart');

    const deleted = await api(`/api/panels/${id}`, undefined, PASSWORD, 'DELETE');
    assert.deepEqual([deleted.status, await deleted.json()], [200, { deleted: id }]);
    assert.equal((await api(`/api/panels/${id}`, undefined, PASSWORD, 'DELETE')).status, 404);
    const after = (await (await api('/api/dashboard')).json()) as { panels: { id: string }[] };
    assert.deepEqual(
      after.panels.map((p) => p.id),
      dashboard.panels.map((p) => p.id),
    );
  });
});
