/**
 * `tidewatch start --input - --format combined`: log lines piped into the reference pipeline's
 * source go through a durable log of their own, so that lines in the engine when tidewatch is
 * killed are there once after a restart — one reading stdin again, and one without stdin.
 *
 * The reference source runs without its Kafka connector (`FORMAT PLAIN ENCODE JSON` alone), so
 * that stdin is all that feeds it.
 */
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { collect, spawnCli, waitForOutput } from '../helpers/cli.ts';
import { RestartableServer } from '../helpers/restartable-server.ts';
import {
  combinedLine,
  committedNow,
  getStatus,
  referencePipeline,
  sourceOf,
  waitFor,
} from './ingestion-helpers.ts';

const LINES = 2000;
const SOURCE = 'website_logs_source';
let dir: string;
let pipeline: string;
/** Data directories as a kill left them, stdin's lines not committed: one per restart below. */
let killed: string[];

/** Pipes the lines into a `start --input -` on `dataDir` and kills it once they are all in the engine. */
async function killWithLinesInEngine(dataDir: string): Promise<void> {
  const child = spawnCli([
    'start',
    '--pipeline',
    pipeline,
    '--input',
    '-',
    '--format',
    'combined',
    '--data-dir',
    dataDir,
    '--pg-port',
    '0',
    '--http-port',
    '0',
    '--status-interval',
    '60',
  ]);
  const done = collect(child, 120_000);
  try {
    const banner = await waitForOutput(child, /Press Ctrl-C to stop/, 60_000);
    assert.match(banner, /input +stdin \(combined\) into website_logs_source/);
    assert.match(banner, /generator +off/);
    const httpUrl = /HTTP API +(http:\/\/\S+)/.exec(banner)?.[1] as string;
    const lines = Array.from({ length: LINES }, (_, i) => combinedLine('stdin', i, i / 20));
    // Written in two parts, stdin left open, as from `tail -F access.log |`.
    child.stdin.write(`${lines.slice(0, 1500).join('\n')}\n`);
    child.stdin.write(`${lines.slice(1500).join('\n')}\n`);
    await waitFor(
      `the ${LINES} lines in the engine`,
      async () => {
        const s = sourceOf(await getStatus(httpUrl), SOURCE);
        return s.rows + s.lateRows >= LINES ? true : undefined;
      },
      { everyMs: 10 },
    );
  } finally {
    child.kill('SIGKILL');
    const r = await done;
    assert.equal(r.signal, 'SIGKILL', r.stderr);
  }
}

/** Records a start on a copy of `dataDir` reads again from the logs (its banner says how many). */
async function replayedAtStart(dataDir: string): Promise<number> {
  const probe = `${dataDir}-probe`;
  cpSync(dataDir, probe, { recursive: true });
  const server = new RestartableServer({ dataDir: probe, args: ['--pipeline', pipeline, '--no-generator'] });
  try {
    const banner = await server.start();
    return Number(/\(([\d,]+) events replayed/.exec(banner)?.[1]?.replaceAll(',', ''));
  } finally {
    await server.dispose();
    rmSync(probe, { recursive: true, force: true });
  }
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tw-stdin-'));
  pipeline = referencePipeline(dir, 'FORMAT PLAIN ENCODE JSON');
  // Killed as soon as every line is in the engine, their epoch is most likely not committed yet;
  // the test is about that case, so a kill that came after the commit is made again.
  for (let attempt = 1; ; attempt++) {
    const dataDir = join(dir, `data-${attempt}`);
    await killWithLinesInEngine(dataDir);
    if ((await replayedAtStart(dataDir)) > 0) {
      killed = [dataDir, join(dir, 'copy')];
      cpSync(dataDir, join(dir, 'copy'), { recursive: true });
      return;
    }
    assert.ok(attempt < 5, 'the lines were committed before each of 5 kills');
  }
});

after(() => {
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
});

/** Starts tidewatch on `dataDir` and checks that the source holds every line once. */
async function restartAndCheck(dataDir: string, args: readonly string[]): Promise<void> {
  const server = new RestartableServer({
    dataDir,
    args: ['--pipeline', pipeline, '--status-interval', '60', ...args],
  });
  try {
    await server.start();
    await Promise.race([
      server.failure,
      waitFor(
        `the ${LINES} lines back in the engine`,
        async () => {
          const s = sourceOf(await getStatus(server.httpUrl), SOURCE);
          return s.rows + s.lateRows >= LINES ? true : undefined;
        },
        { timeoutMs: 20_000, describe: () => 'stdin’s lines not read again' },
      ),
    ]);
    await committedNow(server.httpUrl);
    const source = sourceOf(await getStatus(server.httpUrl), SOURCE);
    assert.deepEqual([source.rows, source.lateRows], [LINES, 0], JSON.stringify(source));
    const client = await server.connect();
    try {
      const counts = await client.query(
        `SELECT count(*)::int AS n, count(DISTINCT url)::int AS urls FROM ${SOURCE}`,
      );
      assert.deepEqual(counts.rows[0], { n: LINES, urls: LINES }, 'every line once');
      const views = await client.query(
        'SELECT sum(count_status_code)::int AS n FROM status_code_analysis_summary',
      );
      assert.equal(views.rows[0].n, LINES, 'and counted once in the views');
    } finally {
      await client.end();
    }
    await server.stop();
  } finally {
    await server.dispose();
  }
}

test('killed with lines of stdin in the engine, restarted with --input - and nothing more on stdin: each line once', {
  timeout: 60_000,
}, async () => {
  await restartAndCheck(killed[0] as string, ['--input', '-', '--format', 'combined']);
});

test('killed with lines of stdin in the engine, restarted without stdin: each line once', {
  timeout: 60_000,
}, async () => {
  await restartAndCheck(killed[1] as string, ['--no-generator']);
});
