// The built-in dashboard live: from an epoch's commit to its data drawn on the page (issue 14:
// p99 under 1 s at 1 s epochs).
//
// The workload: `tidewatch start` on the reference pipeline, its generator at the default rate
// (200 events/s, so every epoch changes every view), on a data directory already holding the 15
// minutes before (180,000 generator records read by a first `start --input`): the range is full,
// as on a dashboard that has been running. The full dashboard open in Chromium at 1366×768 on
// "Last 15 minutes". Per epoch, for EPOCHS consecutive epochs after a warm-up: from the server's
// commit — the `committedAt` of the epoch's live event, stamped by the store's commit listener
// once the epoch's DuckDB transaction is committed and readers see it — until every panel whose
// SQL reads a relation the epoch changed shows that epoch's data (or a later one's) drawn: the
// animation frame after its `data-epoch` says so, for a time series after its chart was rebuilt
// (bench/commit-to-pixels.ts). Both ends are this machine's clock, in milliseconds.
// The baseline, same run: commit → the live event arriving in the page, the stream alone; what
// the panels add is their queries, the answers' parsing and the rendering, on the same two cores.
// How to read it: a baseline far above a few ms means a busy machine, not a slow page. Of 60
// epochs, p99 is the slowest one. The per-panel lines tell which panel the tail waits for (the
// page asks for the panels together; the store answers them on one session, one at a time).
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readsAny } from '../src/web/time-range.ts';
import { CHROMIUM, launchChromium } from '../test/helpers/chromium.ts';
import { collect, runCli, spawnCli, waitForOutput } from '../test/helpers/cli.ts';
import {
  type CommitSeen,
  type EpochLatency,
  epochLatencies,
  installCommitProbe,
  type PanelDrawn,
} from './commit-to-pixels.ts';
import { percentile, report } from './measure.ts';

const RATE = 200;
const HISTORY_MINUTES = 15;
const WARM_UP_EPOCHS = 5;
const EPOCHS = 60;
/** Commits after the last measured one, so that its slowest panels have been drawn. */
const TRAILING_EPOCHS = 3;
const TARGET_P99_MS = 1000;

const ROOT = new URL('..', import.meta.url).pathname;
if (!existsSync(join(ROOT, 'dist', 'web'))) {
  console.log('dashboard live: skipped (no dist/web: npm install builds it)');
  process.exit(0);
}
if (!existsSync(CHROMIUM)) {
  console.log(`dashboard live: skipped (no ${CHROMIUM})`);
  process.exit(0);
}

interface Status {
  epoch: number;
  committed_epoch: number | null;
  sources: { name: string; rows: number; lateRows: number }[];
}

const dir = mkdtempSync(join(tmpdir(), 'tw-dashboard-live-bench-'));
const dataDir = join(dir, 'data');
const httpUrlOf = (banner: string) => /HTTP API +(http:\/\/\S+)/.exec(banner)?.[1] as string;

/** The 15 minutes up to now, written by the generator and read by a first start, then stopped. */
async function fillHistory(): Promise<number> {
  const events = RATE * 60 * HISTORY_MINUTES;
  const records = join(dir, 'history.ndjson');
  const from = new Date(Date.now() - HISTORY_MINUTES * 60_000).toISOString();
  const generated = await runCli(
    [
      'generate',
      '--start',
      from,
      '--rate',
      String(RATE),
      '--speedup',
      'max',
      '--count',
      String(events),
    ].concat(['--seed', '3', '-o', records]),
    { timeoutMs: 120_000 },
  );
  if (generated.code !== 0) throw new Error(`generate failed: ${generated.stderr}`);
  const child = spawnCli([
    'start',
    '--data-dir',
    dataDir,
    '--pg-port',
    '0',
    '--http-port',
    '0',
    '--input',
    records,
    '--format',
    'json',
    '--status-interval',
    '60',
  ]);
  const done = collect(child, 300_000);
  const httpUrl = httpUrlOf(await waitForOutput(child, /Press Ctrl-C to stop/, 60_000));
  try {
    // Until every record is in and committed.
    for (let epoch = -1; ; ) {
      const status = (await (await fetch(`${httpUrl}/api/status`)).json()) as Status;
      const logs = status.sources.find((s) => s.name === 'website_logs_source');
      if (epoch < 0 && (logs?.rows ?? 0) + (logs?.lateRows ?? 0) >= events) epoch = status.epoch;
      if (epoch >= 0 && (status.committed_epoch ?? -1) > epoch) break;
      await new Promise((r) => setTimeout(r, 250));
    }
  } finally {
    child.kill('SIGINT');
  }
  const stopped = await done;
  if (stopped.code !== 0)
    throw new Error(`the history's start exited with ${stopped.code}: ${stopped.stderr}`);
  return events;
}

const summary = (xs: readonly number[]) =>
  `p50 ${percentile(xs, 50).toFixed(0)} ms, p90 ${percentile(xs, 90).toFixed(0)} ms, ` +
  `p99 ${percentile(xs, 99).toFixed(0)} ms, max ${Math.max(...xs).toFixed(0)} ms`;

const history = await fillHistory();
const child = spawnCli([
  'start',
  '--data-dir',
  dataDir,
  '--pg-port',
  '0',
  '--http-port',
  '0',
  '--generator-seed',
  '5',
  '--status-interval',
  '60',
]);
const done = collect(child, 600_000);
const browser = await launchChromium();
try {
  const httpUrl = httpUrlOf(await waitForOutput(child, /Press Ctrl-C to stop/, 60_000));
  const { panels } = (await (await fetch(`${httpUrl}/api/dashboard`)).json()) as {
    panels: { id: string; sql?: string }[];
  };
  const sqlOf = new Map(panels.flatMap((p) => (p.sql === undefined ? [] : [[p.id, p.sql] as const])));
  const page = await browser.newPage({ viewport: { width: 1366, height: 768 } });
  await page.addInitScript(installCommitProbe);
  await page.goto(`${httpUrl}/#range=last-15m`);
  await page.waitForFunction(
    (ids: string[]) =>
      ids.every((id) =>
        ['ready', 'empty'].includes(
          (
            globalThis as unknown as {
              document: { querySelector(s: string): { getAttribute(n: string): string | null } | null };
            }
          ).document
            .querySelector(`[data-panel="${id}"]`)
            ?.getAttribute('data-state') ?? '',
        ),
      ),
    [...sqlOf.keys()],
    { timeout: 60_000 },
  );
  const recorded = () =>
    page.evaluate(
      () =>
        (globalThis as unknown as { __commitProbe: { commits: CommitSeen[]; drawn: PanelDrawn[] } })
          .__commitProbe,
    );
  const wanted = WARM_UP_EPOCHS + EPOCHS + TRAILING_EPOCHS;
  const deadline = Date.now() + (wanted + 60) * 1000;
  while ((await recorded()).commits.length < wanted) {
    if (Date.now() > deadline) throw new Error(`fewer than ${wanted} commits reached the page`);
    await new Promise((r) => setTimeout(r, 1000));
  }
  const { commits, drawn } = await recorded();
  const skew = await page.evaluate(() => Date.now() - (performance.timeOrigin + performance.now()));
  const measured = commits.slice(WARM_UP_EPOCHS, WARM_UP_EPOCHS + EPOCHS);
  const latencies: EpochLatency[] = epochLatencies(measured, drawn, [...sqlOf.keys()], (panel, changed) =>
    readsAny(sqlOf.get(panel) ?? '', changed),
  );
  if (latencies.length === 0)
    throw new Error(
      `no epoch had all its panels drawn: commits ${JSON.stringify(measured.slice(0, 3))}, drawn ${JSON.stringify(drawn.slice(-20))}`,
    );
  const pixels = latencies.map((l) => l.pixelsMs);
  const events = latencies.map((l) => l.eventMs);
  const lastCounts = new Map<string, number>();
  for (const l of latencies) lastCounts.set(l.last, (lastCounts.get(l.last) ?? 0) + 1);
  const [slowest, slowestCount] = [...lastCounts].sort((a, b) => b[1] - a[1])[0] ?? ['—', 0];
  const p99 = percentile(pixels, 99);
  const first = measured[0]?.epoch;
  const last = measured.at(-1)?.epoch;
  console.log(
    `  live at ${RATE} events/s after ${HISTORY_MINUTES} min of history (${history.toLocaleString('en-US')} events), ` +
      `1 s epochs; ${sqlOf.size} SQL panels on "Last 15 minutes" at 1366×768`,
  );
  report([
    [
      'epochs measured',
      `${latencies.length} (epochs ${first}–${last}; ${measured.length - latencies.length} with a panel never drawn)`,
    ],
    ['baseline: commit → live event in the page', summary(events)],
    [
      'commit → every changed panel drawn',
      `${summary(pixels)} (target p99 < ${TARGET_P99_MS} ms: ${p99 < TARGET_P99_MS ? 'met' : 'MISSED'})`,
    ],
    ['panel drawn last, most often', `${slowest} (${slowestCount} of ${latencies.length} epochs)`],
    ...[...sqlOf.keys()].map((panel): [string, string] => {
      const own = latencies.flatMap((l) => l.perPanel.get(panel) ?? []);
      return [`  commit → "${panel}" drawn`, own.length === 0 ? 'never changed' : summary(own)];
    }),
    ['clock check in the page: Date.now() less timeOrigin + now()', `${skew.toFixed(1)} ms`],
  ]);
} finally {
  await browser.close();
  child.kill('SIGINT');
  await done.catch(() => undefined);
  rmSync(dir, { recursive: true, force: true });
}
