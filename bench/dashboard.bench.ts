// The built-in dashboard in Chromium: the bundle's gzipped size, and how long a time-series panel
// takes to show 24 hours of one-minute data once its answer has arrived.
//
// The workload: 24 hours of generator records up to now (3 per simulated second: 259,200),
// written by `tidewatch generate` and read by `tidewatch start --input`, the page opened on that
// range with that panel alone on it. "Render" is measured in the page: from the moment the panel's query answer has been
// received (fetch resolved; the JSON not yet parsed) to the panel's chart being drawn — JSON
// parse, pivot, uPlot's build and first draw. The baseline, in the same page and run: parsing
// the same answer alone (JSON.parse of its text).
// Targets: bundle under 300 KB gzipped; 24 h rendered in under 100 ms.
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { CHROMIUM, launchChromium } from '../test/helpers/chromium.ts';
import { BIN, waitForOutput } from '../test/helpers/cli.ts';
import { report } from './measure.ts';

const ROOT = new URL('..', import.meta.url).pathname;
const WEB = join(ROOT, 'dist', 'web', 'assets');
const PANEL = 'referrers';
const RATE = 3;
const ROUNDS = 7;

if (!existsSync(WEB)) {
  console.log('dashboard: skipped (no dist/web: npm install builds it)');
  process.exit(0);
}
const assets = readdirSync(WEB).filter((f) => f.endsWith('.js') || f.endsWith('.css'));
const gzipped = assets.reduce((sum, f) => sum + gzipSync(readFileSync(join(WEB, f))).length, 0);
const rows: [string, string][] = [
  ['dashboard bundle, gzipped (JS and CSS)', `${(gzipped / 1024).toFixed(1)} KB (target < 300 KB)`],
];
if (!existsSync(CHROMIUM)) {
  rows.push(['24 h in a panel', `skipped: no ${CHROMIUM}`]);
  report(rows);
  process.exit(0);
}

const { spawn, spawnSync } = await import('node:child_process');
const dir = mkdtempSync(join(tmpdir(), 'tw-dashboard-bench-'));
const now = Math.floor(Date.now() / 60_000) * 60_000;
const from = new Date(now - 24 * 3_600_000);
const events = 24 * 3600 * RATE;
// 24 hours of records written by the generator at 3 per simulated second, read like a log file.
const records = join(dir, 'day.ndjson');
const generated = spawnSync(
  process.execPath,
  [
    BIN,
    'generate',
    '--start',
    from.toISOString(),
    '--rate',
    String(RATE),
    '--speedup',
    'max',
    '--count',
    String(events),
    '--seed',
    '3',
    '-o',
    records,
  ],
  { encoding: 'utf8' },
);
if (generated.status !== 0) throw new Error(`generate failed: ${generated.stderr}`);
const shipped = JSON.parse(readFileSync(join(ROOT, 'dashboards', 'website-security.json'), 'utf8')) as {
  title: string;
  panels: { id: string; drilldown?: unknown }[];
};
const onePanel = join(dir, 'one-panel.json');
// Alone, the panel has no raw-logs panel to drill down into.
const alone = shipped.panels.filter((p) => p.id === PANEL).map(({ drilldown: _, ...panel }) => panel);
writeFileSync(onePanel, JSON.stringify({ ...shipped, panels: alone }));
const child = spawn(
  process.execPath,
  [
    BIN,
    'start',
    '--data-dir',
    join(dir, 'data'),
    '--pg-port',
    '0',
    '--http-port',
    '0',
    // The panel alone on its page: what is timed is its own rendering, not its neighbours'.
    '--dashboard',
    onePanel,
    '--input',
    records,
    '--format',
    'json',
    '--status-interval',
    '60',
  ],
  { stdio: 'pipe' },
);
const browser = await launchChromium();
try {
  const banner = await waitForOutput(
    child as Parameters<typeof waitForOutput>[0],
    /Press Ctrl-C to stop/,
    60_000,
  );
  const httpUrl = /HTTP API +(http:\/\/\S+)/.exec(banner)?.[1] as string;
  // Until every event is in and committed.
  for (let epoch = -1; ; ) {
    const status = (await (await fetch(`${httpUrl}/api/status`)).json()) as {
      epoch: number;
      committed_epoch: number | null;
      sources: { name: string; rows: number; lateRows: number }[];
    };
    const logs = status.sources.find((s) => s.name === 'website_logs_source');
    if (epoch < 0 && (logs?.rows ?? 0) + (logs?.lateRows ?? 0) >= events) epoch = status.epoch;
    if (epoch >= 0 && (status.committed_epoch ?? -1) > epoch) break;
    await new Promise((r) => setTimeout(r, 250));
  }
  const page = await browser.newPage({ viewport: { width: 1366, height: 900 } });
  // Times the panel's answer: when its fetch resolved, and how long JSON.parse of it alone takes.
  await page.addInitScript((panel: string) => {
    // Runs in the page: its globals as much of them as is used here.
    const w = globalThis as unknown as {
      __answers: { at: number; parseMs: number; bytes: number }[];
      fetch: (input: unknown, init?: unknown) => Promise<{ clone(): { text(): Promise<string> } }>;
    };
    w.__answers = [];
    const original = w.fetch.bind(w);
    w.fetch = async (input, init) => {
      const response = await original(input, init);
      if (String(input).includes(`/api/panels/${panel}/query`)) {
        const at = performance.now();
        const text = await response.clone().text();
        const t0 = performance.now();
        JSON.parse(text);
        w.__answers.push({ at, parseMs: performance.now() - t0, bytes: text.length });
      }
      return response;
    };
  }, PANEL);
  const hash = new URLSearchParams({ from: from.toISOString(), to: new Date(now + 60_000).toISOString() });
  const renders: number[] = [];
  const parses: number[] = [];
  let answerBytes = 0;
  for (let round = 0; round < ROUNDS; round++) {
    await page.goto(`${httpUrl}/?round=${round}#${hash}`);
    const drawnAt = await page.waitForFunction(
      (panel: string) => {
        const page = globalThis as unknown as {
          document: {
            querySelector(
              s: string,
            ): { getAttribute(n: string): string | null; querySelector(s: string): unknown } | null;
          };
        };
        const el = page.document.querySelector(`[data-panel="${panel}"]`);
        return el?.getAttribute('data-state') === 'ready' && el.querySelector('canvas') !== null
          ? performance.now()
          : false;
      },
      PANEL,
      { polling: 'raf', timeout: 60_000 },
    );
    const drawn = (await drawnAt.jsonValue()) as number;
    const [answer] = (await page.evaluate(
      () =>
        (globalThis as unknown as { __answers: { at: number; parseMs: number; bytes: number }[] }).__answers,
    )) as { at: number; parseMs: number; bytes: number }[];
    if (answer === undefined) throw new Error('the panel asked nothing');
    renders.push(drawn - answer.at);
    parses.push(answer.parseMs);
    answerBytes = answer.bytes;
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
  const render = median(renders);
  rows.push(
    [
      `24 h of one-minute data in "${PANEL}" (${events.toLocaleString('en-US')} events; an answer of ${(answerBytes / 1024).toFixed(0)} KB)`,
      '',
    ],
    ['baseline: JSON.parse of the answer, in the page (median)', `${median(parses).toFixed(1)} ms`],
    [
      'answer received → chart drawn (median of the rounds after the first)',
      `${median(renders.slice(1)).toFixed(1)} ms (first ${(renders[0] as number).toFixed(1)} ms; target < 100 ms: ${render < 100 ? 'met' : 'MISSED'})`,
    ],
  );
  report(rows);
} finally {
  await browser.close();
  child.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
}
