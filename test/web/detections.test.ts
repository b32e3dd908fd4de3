/**
 * The Detections panel and the Alerts feed in real Chromium against a real `tidewatch start
 * --detections` fed by the generator with injected attacks (a brute force and a path scan, on
 * simulated time): a detection appears, shows its severity as a word, and its Show button (by
 * mouse and by keyboard) narrows the raw logs to that actor and exactly its window; a sink
 * created over the PostgreSQL endpoint shows its firing alerts in the feed, as it logged them,
 * each with the same Show leading to its evidence;
 * and a tidewatch without the detections says so in the panel, with no failed request.
 * Without /usr/bin/chromium the file skips, saying why.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import type pg from 'pg';
import { chromiumMissing, launchChromium, panelState, recordProblems } from '../helpers/chromium.ts';
import { generatedTraffic, tenMinutesAgo } from '../helpers/generated-traffic.ts';
import { panelOverPg, shippedPanel } from '../helpers/panel-over-pg.ts';
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

type Browser = import('playwright-core').Browser;
type Page = import('playwright-core').Page;

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const PASSWORD = 'detect-s3cret';
const EVENTS = 30_000;
const panelOf = shippedPanel;

// Simulated time from ten minutes ago (a whole minute), unpaced: 30,000 events are 150 s of it.
const start = tenMinutesAgo();
const range = {
  from: new Date(start.getTime() - 60_000).toISOString(),
  to: new Date(start.getTime() + 5 * 60_000).toISOString(),
};
const skip = chromiumMissing();
if (skip !== undefined) console.log(`# skipping the detections page tests: ${skip}`);

let dir: string;

function serverArgs(extra: readonly string[]): string[] {
  return [
    '--password',
    PASSWORD,
    ...generatedTraffic({ seed: 5, rate: 'max', start, count: EVENTS, attacks: 'brute-force,path-scan' }),
    ...extra,
  ];
}

async function status(
  server: RestartableServer,
): Promise<{ events_total: number; committed_epoch: number | null }> {
  const r = await fetch(`${server.httpUrl}/api/status`, { headers: { authorization: `Bearer ${PASSWORD}` } });
  return (await r.json()) as { events_total: number; committed_epoch: number | null };
}

/** Waits until every event is in, and two more epochs are committed after. */
async function settled(server: RestartableServer): Promise<void> {
  for (let s = await status(server); s.events_total < EVENTS; s = await status(server))
    await new Promise((r) => setTimeout(r, 200));
  const done = (await status(server)).committed_epoch ?? 0;
  while (((await status(server)).committed_epoch ?? 0) < done + 2)
    await new Promise((r) => setTimeout(r, 200));
}

const overPg = panelOverPg;

/** An ISO time the page or API wrote (no zone: UTC) as ms. */
const ms = (iso: string) => Date.parse(/Z$/.test(iso) ? iso : `${iso}Z`);
/** PostgreSQL's text of a timestamp as the API's ISO form, to the millisecond. */
const iso = (text: string) => new Date(`${text.replace(' ', 'T')}Z`).toISOString();

/** Opens the page with the token and the test's range; records every console error and failed request. */
async function openPage(
  browser: Browser,
  server: RestartableServer,
  problems: string[],
  onRequest: (url: string) => void = () => undefined,
): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 1366, height: 900 } });
  page.on('request', (r) => onRequest(r.url()));
  recordProblems(page, problems);
  const hash = new URLSearchParams({ token: PASSWORD, from: range.from, to: range.to });
  await page.goto(`${server.httpUrl}/#${hash}`);
  return page;
}

before(() => {
  if (skip !== undefined) return;
  execFileSync(process.execPath, [join(ROOT, 'scripts/build-web.mjs'), '--quiet'], { stdio: 'inherit' });
  dir = mkdtempSync(join(tmpdir(), 'tidewatch-detections-page-'));
});

after(() => {
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
});

describe('with the detections', { skip: skip ?? false }, () => {
  let server: RestartableServer;
  let client: pg.Client;
  let browser: Browser;
  let page: Page;
  const problems: string[] = [];

  before(async () => {
    server = new RestartableServer({ dataDir: join(dir, 'with'), args: serverArgs(['--detections']) });
    await server.start();
    await settled(server);
    client = await server.connect(PASSWORD);
    browser = await launchChromium();
    page = await openPage(browser, server, problems);
    await panelState(page, 'detections', 'ready');
  });

  after(async () => {
    await browser?.close();
    await client?.end().catch(() => undefined);
    await server?.dispose();
  });

  /** The detections panel's rows as the page shows them, by their cells' raw values. */
  const shownDetections = () =>
    page
      .locator('[data-panel="detections"] .table-scroll tbody tr')
      .evaluateAll((trs) =>
        trs.map((tr) =>
          [...tr.querySelectorAll('td[data-value]')].map((td) => td.getAttribute('data-value') as string),
        ),
      );

  test('the detections appear newest first, as the view holds them, severity as a word and a mark', async () => {
    const expected = await overPg(client, panelOf('detections'), {}, range);
    assert.ok(expected.length >= 2, `detections of the injected attacks: ${expected.length}`);
    assert.ok(
      expected.some((r) => r[1] === 'brute-force'),
      'the brute force is detected',
    );
    assert.ok(
      expected.some((r) => r[1] === 'path-scan'),
      'the path scan is detected',
    );
    const shown = await shownDetections();
    assert.equal(shown.length, expected.length);
    for (const [i, row] of shown.entries()) {
      const want = expected[i] as (string | null)[];
      assert.deepEqual(
        [row[0], row[1], row[2], ms(row[3] as string), ms(row[4] as string), row[5], row[6]],
        [want[0], want[1], want[2], ms(iso(want[3] as string)), ms(iso(want[4] as string)), want[5], want[6]],
        `row ${i}`,
      );
    }
    const starts = shown.map((r) => ms(r[3] as string));
    assert.deepEqual(
      starts,
      [...starts].sort((a, b) => b - a),
      'newest first',
    );
    // Each severity is a badge with its word (and a mark a screen reader skips), not a colour alone.
    const badges = await page.locator('[data-panel="detections"] tbody .severity').evaluateAll((spans) =>
      spans.map((s) => ({
        level: s.getAttribute('data-severity'),
        text: s.textContent?.trim(),
        mark: s.querySelector('[aria-hidden="true"]')?.textContent?.length ?? 0,
      })),
    );
    assert.equal(badges.length, expected.length);
    for (const b of badges) {
      assert.match(b.text ?? '', new RegExp(`${b.level}$`));
      assert.equal(b.mark, 4, 'four marks, filled to the level');
    }
    assert.ok(badges.some((b) => b.level === 'critical'));
  });

  /** Waits until the raw logs show the window and the IP filter asked for; their rows then. */
  async function rawLogsOf(window: { from: string; to: string }, ip: string): Promise<string[][]> {
    await page.waitForFunction(
      ([w, actor]) => {
        const panel = document.querySelector('[data-panel="raw-logs"]');
        return (
          panel?.getAttribute('data-window') === w &&
          panel.getAttribute('data-range') === w &&
          panel.getAttribute('data-state') === 'ready' &&
          [...document.querySelectorAll('[data-panel="raw-logs"] tbody tr td:nth-child(2)')].every(
            (td) => td.getAttribute('data-value') === actor,
          )
        );
      },
      [`${window.from}/${window.to}`, ip] as const,
    );
    return page
      .locator('[data-panel="raw-logs"] .table-scroll tbody tr')
      .evaluateAll((trs) =>
        trs.map((tr) =>
          [...tr.querySelectorAll('td[data-value]')].map((td) => td.getAttribute('data-value') as string),
        ),
      );
  }

  /** Checks the raw logs show exactly the actor's requests of the window (a page of them), as over psql. */
  async function assertActorWindow(actor: string, window: { from: string; to: string }): Promise<void> {
    const shown = await rawLogsOf(window, actor);
    const expected = await overPg(client, panelOf('raw-logs'), { ip: actor }, window);
    assert.ok(expected.length > 0, `requests of ${actor} in ${window.from}–${window.to}`);
    assert.equal(shown.length, expected.length, 'as many rows as over psql (a page at most)');
    for (const [i, row] of shown.entries()) {
      assert.equal(row[1], actor, `row ${i} is the actor's`);
      const t = ms(row[0] as string);
      assert.ok(t >= ms(window.from) && t < ms(window.to), `row ${i} at ${row[0]} is in the window`);
      assert.equal(t, ms(iso(expected[i]?.[0] as string)), `row ${i} is psql's row ${i}`);
    }
    const count = await client.query(
      'SELECT count(*)::int AS n FROM website_logs_source WHERE ip_address = $1 AND request_timestamp >= $2 AND request_timestamp < $3',
      [actor, window.from.replace('T', ' ').replace('Z', ''), window.to.replace('T', ' ').replace('Z', '')],
    );
    assert.equal(shown.length, Math.min(50, (count.rows[0] as { n: number }).n));
    assert.equal(
      await page.locator('[data-panel="raw-logs"]').getByLabel('IP address').inputValue(),
      actor,
      'the IP filter holds the actor',
    );
    assert.equal(
      await page.evaluate(() => document.activeElement?.textContent ?? null),
      'Recent requests',
      'the focus moves to the raw logs',
    );
  }

  test("a click on a detection's Show shows the raw logs of that actor over exactly its window", async () => {
    const rows = await shownDetections();
    const at = rows.findIndex((r) => r[1] === 'path-scan');
    assert.ok(at >= 0);
    const [, , actor, from, to] = rows[at] as string[];
    const window = {
      from: new Date(ms(from as string)).toISOString(),
      to: new Date(ms(to as string)).toISOString(),
    };
    const button = page
      .locator('[data-panel="detections"] .table-scroll tbody tr')
      .nth(at)
      .getByRole('button');
    assert.match(
      (await button.getAttribute('aria-label')) ?? '',
      new RegExp(`^Show the requests of ${actor}, `),
    );
    await button.click();
    await assertActorWindow(actor as string, window);
    assert.match(
      (await page.locator('[data-panel="raw-logs"] .window').textContent()) ?? '',
      new RegExp(`Window: ${window.from.slice(11, 16)}–${window.to.slice(11, 16)} UTC`),
    );
  });

  test('from the keyboard, a sliding-window detection leads to its own window', async () => {
    const rows = await shownDetections();
    // A brute force on a minute that does not start on the minute (HOP every 10 s).
    const at = rows.findIndex((r) => r[1] === 'brute-force' && !(r[3] as string).includes(':00.000'));
    assert.ok(at >= 0, 'a sliding window');
    const [, , actor, from, to] = rows[at] as string[];
    const window = {
      from: new Date(ms(from as string)).toISOString(),
      to: new Date(ms(to as string)).toISOString(),
    };
    await page
      .locator('[data-panel="detections"] .table-scroll tbody tr')
      .nth(at)
      .getByRole('button')
      .focus();
    await page.keyboard.press('Enter');
    await assertActorWindow(actor as string, window);
    assert.match(
      (await page.locator('[data-panel="raw-logs"] .window').textContent()) ?? '',
      new RegExp(`Window: ${window.from.slice(11, 19)}–${window.to.slice(11, 19)} UTC`),
    );
  });

  test('the alerts feed shows the firing alerts a sink sent, newest first, with the sink and its delivery', async () => {
    const alerts = page.locator('[data-panel="alerts"]');
    assert.match((await alerts.textContent()) ?? '', /No sink sends alerts yet/);
    await client.query("CREATE SINK page_alerts FROM detections WITH (connector = 'log', target = 'stderr')");
    const detections = Number(
      ((await client.query('SELECT count(*)::int AS n FROM detections')).rows[0] as { n: number }).n,
    );
    await page.waitForFunction(
      (n) => [...document.querySelectorAll('[data-panel="alerts"] li.alert')].length === n,
      Math.min(detections, 100),
      { timeout: 15_000 },
    );
    const items = await alerts.locator('li.alert').evaluateAll((lis) =>
      lis.map((li) => ({
        status: li.getAttribute('data-status'),
        outcome: li.getAttribute('data-outcome'),
        sink: li.getAttribute('data-sink'),
        key: li.getAttribute('data-dedup-key') as string,
        text: li.textContent ?? '',
      })),
    );
    for (const item of items) {
      assert.deepEqual([item.status, item.outcome, item.sink], ['firing', 'delivered', 'page_alerts']);
      assert.match(item.text, /Firing/);
      assert.match(item.text, /Delivered by page_alerts \(log\)/);
      // What the feed shows is what the sink sent: its log line with the same deduplication key.
      assert.ok(server.stderr.includes(`(${item.key})`), `${item.key} was logged`);
    }
    // Newest first: the snapshot's messages in one epoch, latest sequence first.
    const seqs = items.map((i) => Number(i.key.split(':').at(-1)));
    assert.deepEqual(
      seqs,
      [...seqs].sort((a, b) => b - a),
    );
    const sink = alerts.locator('ul.sinks li[data-sink="page_alerts"]');
    assert.match((await sink.textContent()) ?? '', /page_alerts \(log from detections\): (idle|delivering)/);
    assert.match((await sink.textContent()) ?? '', new RegExp(`${detections} delivered`));
    // A brute force's alert reads as its detection does: severity word, scenario, actor.
    const brute = alerts.locator('li.alert', { hasText: 'brute-force' }).first();
    assert.match((await brute.locator('.severity').textContent()) ?? '', /(high|critical)$/);
    assert.deepEqual(problems, []);
  });

  test("an alert's Show, by mouse and by keyboard, shows its actor's requests over its window, as its detection's does", async () => {
    const r = await fetch(`${server.httpUrl}/api/alerts?limit=500`, {
      headers: { authorization: `Bearer ${PASSWORD}` },
    });
    const feed = (await r.json()) as {
      alerts: {
        dedup_key: string;
        row: { scenario: string; actor: string; window_start: string; window_end: string };
      }[];
    };
    const alertOf = async (item: import('playwright-core').Locator) => {
      const key = await item.getAttribute('data-dedup-key');
      const alert = feed.alerts.find((a) => a.dedup_key === key);
      assert.ok(alert !== undefined, `alert ${key} in /api/alerts`);
      const window = {
        from: new Date(ms(alert.row.window_start)).toISOString(),
        to: new Date(ms(alert.row.window_end)).toISOString(),
      };
      return { actor: alert.row.actor, window, row: alert.row };
    };
    const items = page.locator('[data-panel="alerts"] li.alert');
    // By mouse: a path scan's alert. Its button says what a detection's Show of the same row says.
    const scan = items.filter({ hasText: 'path-scan' }).first();
    const { actor, window, row } = await alertOf(scan);
    const button = scan.getByRole('button');
    const detection = (await shownDetections()).findIndex(
      (d) => d[1] === row.scenario && d[2] === row.actor && ms(d[3] as string) === ms(row.window_start),
    );
    assert.ok(detection >= 0, 'the alert is of a detection the panel shows');
    assert.equal(
      await button.getAttribute('aria-label'),
      await page
        .locator('[data-panel="detections"] .table-scroll tbody tr')
        .nth(detection)
        .getByRole('button')
        .getAttribute('aria-label'),
    );
    await button.click();
    await assertActorWindow(actor, window);
    // By keyboard: a brute force's alert on a sliding minute.
    let sliding: Awaited<ReturnType<typeof alertOf>> | undefined;
    let at = 0;
    const count = await items.count();
    for (; at < count; at++) {
      const item = items.nth(at);
      if (!/brute-force/.test((await item.textContent()) ?? '')) continue;
      sliding = await alertOf(item);
      if (!sliding.window.from.endsWith(':00.000Z')) break;
    }
    assert.ok(sliding !== undefined && at < count, 'an alert of a sliding window');
    await items.nth(at).getByRole('button').focus();
    await page.keyboard.press('Enter');
    await assertActorWindow(sliding.actor, sliding.window);
    assert.match(
      (await page.locator('[data-panel="raw-logs"] .window').textContent()) ?? '',
      new RegExp(`Window: ${sliding.window.from.slice(11, 19)}–${sliding.window.to.slice(11, 19)} UTC`),
    );
    assert.deepEqual(problems, []);
  });

  test('GET /api/alerts is read-only behind the token, its limit checked', async () => {
    const get = (path: string, token: string | null = PASSWORD) =>
      fetch(
        `${server.httpUrl}${path}`,
        token === null ? {} : { headers: { authorization: `Bearer ${token}` } },
      );
    assert.equal((await get('/api/alerts', null)).status, 401);
    assert.equal((await get('/api/alerts', 'wrong')).status, 401);
    for (const limit of ['0', '501', 'x', '1;DROP'])
      assert.equal((await get(`/api/alerts?limit=${limit}`)).status, 400);
    const r = await get('/api/alerts?limit=2');
    assert.equal(r.status, 200);
    const body = (await r.json()) as { alerts: { row: { actor: string } }[]; sinks: { name: string }[] };
    assert.equal(body.alerts.length, 2);
    assert.deepEqual(
      body.sinks.map((s) => s.name),
      ['page_alerts'],
    );
    const post = await fetch(`${server.httpUrl}/api/alerts`, {
      method: 'POST',
      headers: { authorization: `Bearer ${PASSWORD}` },
    });
    assert.equal(post.status, 404);
  });
});

describe('without the detections', { skip: skip ?? false }, () => {
  let server: RestartableServer;
  let browser: Browser;

  before(async () => {
    server = new RestartableServer({
      dataDir: join(dir, 'without'),
      args: serverArgs(['--no-detections']),
    });
    await server.start();
    await settled(server);
    browser = await launchChromium();
  });

  after(async () => {
    await browser?.close();
    await server?.dispose();
  });

  test('the Detections panel says the view is not there, once, with no failed request', async () => {
    const problems: string[] = [];
    const asked: string[] = [];
    const page = await openPage(browser, server, problems, (url) => {
      if (url.endsWith('/api/panels/detections/query')) asked.push(url);
    });
    await panelState(page, 'detections', 'absent');
    const text = (await page.locator('[data-panel="detections"]').textContent()) ?? '';
    assert.match(text, /Not available here: relation "detections" does not exist/);
    // Epochs go on committing; the panel is not asked again for a relation no commit changes.
    const epoch = (await status(server)).committed_epoch ?? 0;
    while (((await status(server)).committed_epoch ?? 0) < epoch + 3)
      await new Promise((r) => setTimeout(r, 200));
    assert.equal(asked.length, 1, `asked ${asked.length} times`);
    assert.equal(await page.locator('[data-panel="detections"][data-state="absent"]').count(), 1);
    // The other panels are there as ever; the alerts feed says no sink sends alerts.
    assert.equal(await page.locator('[data-panel="raw-logs"][data-state="ready"]').count(), 1);
    assert.match(
      (await page.locator('[data-panel="alerts"]').textContent()) ?? '',
      /No sink sends alerts yet/,
    );
    assert.deepEqual(problems, []);
  });
});
