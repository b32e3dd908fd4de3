/**
 * Two views of the page in real Chromium against a real `tidewatch start` fed by the generator:
 * malformed records posted to the HTTP ingest endpoint appear in the Dead letters panel with
 * their reason and raw text, live, as `tidewatch_dead_letters` holds them over the PostgreSQL
 * endpoint, and in the health panel's count; and the raw logs' Endpoint filter (what the
 * degradation detection names: the path with numeric segments as `:id`), typed and applied from
 * the keyboard, shows only that endpoint's requests. Without /usr/bin/chromium the file skips.
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
  readonly textContent: string | null;
}
declare const document: {
  querySelector(selector: string): PageElement | null;
  querySelectorAll(selector: string): Iterable<PageElement>;
};

type Browser = import('playwright-core').Browser;
type Page = import('playwright-core').Page;

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const PASSWORD = 'letters-s3cret';
const EVENTS = 4000;
const panelOf = shippedPanel;
const start = tenMinutesAgo();
const skip = chromiumMissing();
if (skip !== undefined) console.log(`# skipping the dead-letter and endpoint page tests: ${skip}`);

/** An endpoint as the degradation rule and the raw logs' filter name it. */
function endpointOf(url: string): string {
  return url.replace(/^[A-Za-z]+:\/\/[^/]*|[?#].*$/g, '').replace(/\/[0-9]+(\/|$)/g, '/:id$1');
}

describe('dead letters and endpoints on the page', { skip: skip ?? false }, () => {
  let dir: string;
  let server: RestartableServer;
  let client: pg.Client;
  let browser: Browser;
  let page: Page;
  const problems: string[] = [];

  before(async () => {
    execFileSync(process.execPath, [join(ROOT, 'scripts/build-web.mjs'), '--quiet'], { stdio: 'inherit' });
    dir = mkdtempSync(join(tmpdir(), 'tidewatch-letters-page-'));
    server = new RestartableServer({
      dataDir: join(dir, 'data'),
      args: [
        '--password',
        PASSWORD,
        '--no-detections',
        ...generatedTraffic({ seed: 3, rate: 'max', start, count: EVENTS }),
      ],
    });
    await server.start();
    client = await server.connect(PASSWORD);
    for (;;) {
      const { rows } = await client.query('SELECT count(*)::int AS n FROM website_logs_source');
      if ((rows[0] as { n: number }).n >= EVENTS) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1366, height: 900 } });
    recordProblems(page, problems);
    // The last hour: the generated minutes and the letters posted now.
    await page.goto(`${server.httpUrl}/#token=${PASSWORD}`);
    await panelState(page, 'raw-logs', 'ready');
  });

  after(async () => {
    await browser?.close();
    await client?.end().catch(() => undefined);
    await server?.dispose();
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  test('malformed records posted for ingestion appear in the Dead letters panel with their reason, live', async () => {
    const letters = page.locator('[data-panel="dead-letters"]');
    // Panels load side by side: this one may still be asking when the raw logs are shown.
    await panelState(page, 'dead-letters', 'empty');
    const bad = [
      'this is not a record',
      JSON.stringify({ request_timestamp: 'yesterday-ish', ip_address: '192.0.2.9', status_code: 200 }),
    ];
    const posted = await fetch(`${server.httpUrl}/ingest/website_logs_source`, {
      method: 'POST',
      headers: { authorization: `Bearer ${PASSWORD}` },
      body: `${bad.join('\n')}\n`,
    });
    assert.equal(posted.status, 200);
    // No reload: the epoch that commits them names tidewatch_dead_letters, and the panel asks again.
    await page.waitForFunction(
      () => [...document.querySelectorAll('[data-panel="dead-letters"] .table-scroll tbody tr')].length === 2,
      undefined,
      { timeout: 15_000 },
    );
    const shown = await letters
      .locator('.table-scroll tbody tr')
      .evaluateAll((trs) =>
        trs.map((tr) =>
          [...tr.querySelectorAll('td[data-value]')].map((td) => td.getAttribute('data-value') as string),
        ),
      );
    const stored = await client.query(
      'SELECT source, reason, raw, position FROM tidewatch_dead_letters ORDER BY position DESC',
    );
    assert.deepEqual(
      shown.map((r) => r.slice(1)).sort(),
      stored.rows.map((r) => [r.source, r.reason, r.raw, r.position]).sort(),
    );
    const byRaw = new Map(shown.map((r) => [r[3], r[2]]));
    assert.match(byRaw.get(bad[0] as string) ?? '', /^invalid JSON/);
    assert.match(byRaw.get(bad[1] as string) ?? '', /request_timestamp/);
    // The reason is there as people read it, not only in an attribute.
    assert.match((await letters.textContent()) ?? '', /invalid JSON/);
    // The health panel counts them for the source, in its Dead letters column.
    await page.waitForFunction(
      () =>
        [...document.querySelectorAll('[data-panel="health"] table.sources tbody tr')].some(
          (tr) =>
            (tr as unknown as { querySelector(s: string): PageElement | null })
              .querySelector('th')
              ?.textContent?.trim() === 'website_logs_source' &&
            (tr as unknown as { querySelector(s: string): PageElement | null })
              .querySelector('td:nth-of-type(4)')
              ?.textContent?.trim() === '2',
        ),
      undefined,
      { timeout: 10_000 },
    );
    // The Source filter narrows them: another source has none.
    await letters.getByLabel('Source').fill('tidewatch_audit');
    await letters.getByLabel('Source').press('Enter');
    await panelState(page, 'dead-letters', 'empty');
    assert.deepEqual(problems, []);
  });

  test("the raw logs' Endpoint filter shows only that endpoint's requests", async () => {
    const range = {
      from: new Date(Date.now() - 3_600_000).toISOString(),
      to: new Date(Date.now() + 60_000).toISOString(),
    };
    // An endpoint with an id in its path, as the degradation rule counts it.
    const { rows } = await client.query(
      `SELECT regexp_replace(regexp_replace(url, '^[A-Za-z]+://[^/]*|[?#].*$', '', 'g'), '/[0-9]+(/|$)', '/:id\\1', 'g') AS endpoint,
         count(*)::int AS n
       FROM website_logs_source GROUP BY 1 HAVING count(*) BETWEEN 3 AND 50 ORDER BY 2 DESC, 1`,
    );
    const endpoint = (rows.find((r) => String(r.endpoint).includes(':id')) ?? rows[0])?.endpoint as string;
    assert.ok(endpoint !== undefined, 'an endpoint with a few requests');
    const expected = await panelOverPg(client, panelOf('raw-logs'), { endpoint }, range);
    assert.ok(expected.length >= 3, `${expected.length} requests of ${endpoint}`);
    const logs = page.locator('[data-panel="raw-logs"]');
    await logs.getByLabel('Endpoint').fill(endpoint);
    await logs.getByLabel('Endpoint').press('Enter');
    await page.waitForFunction(
      (n) => {
        const rows = [...document.querySelectorAll('[data-panel="raw-logs"] .table-scroll tbody tr')];
        return (
          document.querySelector('[data-panel="raw-logs"]')?.getAttribute('data-state') === 'ready' &&
          rows.length === n
        );
      },
      expected.length,
      { timeout: 10_000 },
    );
    const urls = await logs
      .locator('.table-scroll tbody tr td:nth-child(5)')
      .evaluateAll((tds) => tds.map((td) => td.getAttribute('data-value') as string));
    assert.equal(urls.length, expected.length);
    for (const url of urls) assert.equal(endpointOf(url), endpoint, url);
    assert.deepEqual(urls.sort(), expected.map((r) => r[4] as string).sort());
    // Other endpoints' requests are in the range, and not shown.
    const all = await client.query('SELECT count(DISTINCT url)::int AS n FROM website_logs_source');
    assert.ok((all.rows[0] as { n: number }).n > new Set(urls).size);
    assert.equal(await logs.getByLabel('Endpoint').inputValue(), endpoint);
    assert.deepEqual(problems, []);
  });
});
