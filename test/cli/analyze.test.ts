/**
 * `tidewatch analyze` as a user runs it: over an access log the generator wrote in the combined
 * format with every attack scenario injected, the report names each labelled attacker under its
 * scenario and `--json` gives the same detections as NDJSON; stdin (`-`) reads the same; a file
 * that is not there, or lines of another format, are said plainly. Over the real Apache log of
 * the shared data, when present, the report counts its 10,000 lines.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { AttackLabel } from '../../src/generator/scenarios.ts';
import { namesActor } from '../engine/detection-stream.ts';
import { collect, spawnCli } from '../helpers/cli.ts';

const APACHE_LOGS = new URL('../../../shared/data/apache_logs', import.meta.url).pathname;

let dir: string;
let labels: AttackLabel[];

async function run(
  args: readonly string[],
  stdin?: string,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawnCli(args);
  if (stdin !== undefined) child.stdin.end(stdin);
  return collect(child, 300_000);
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tw-analyze-'));
  const generated = await run([
    'generate',
    '--output-format',
    'combined',
    '--start',
    '2024-01-25T12:00:00Z',
    '--speedup',
    'max',
    '--rate',
    '50',
    '--duration',
    '200',
    '--seed',
    '7',
    '--attack',
    'all',
    '--attack-gap',
    '60',
    '--labels',
    join(dir, 'labels.ndjson'),
    '-o',
    join(dir, 'access.log'),
  ]);
  assert.equal(generated.code, 0, generated.stderr);
  labels = readFileSync(join(dir, 'labels.ndjson'), 'utf8')
    .trimEnd()
    .split('\n')
    .map((line) => JSON.parse(line) as AttackLabel);
});

after(() => rmSync(dir, { recursive: true, force: true }));

test('the report names every injected attacker under its scenario; --json gives the same detections', async () => {
  const report = await run(['analyze', join(dir, 'access.log')]);
  assert.equal(report.code, 0, report.stderr);
  assert.match(report.stdout, /^tidewatch analyze: [\d,]+ lines of .*access\.log \(combined\)/);
  assert.match(report.stdout, /\nTop talkers\n/);
  assert.match(report.stdout, /\nStatus codes\n {2}200 /);
  const json = await run(['analyze', '--json', join(dir, 'access.log')]);
  assert.equal(json.code, 0, json.stderr);
  const detections = json.stdout
    .trimEnd()
    .split('\n')
    .map((line) => JSON.parse(line) as Record<string, string>);
  assert.deepEqual(Object.keys(detections[0] ?? {}), [
    'scenario',
    'actor',
    'window_start',
    'window_end',
    'severity',
    'evidence',
  ]);
  assert.equal(new Set(labels.map((l) => l.scenario)).size, 9, 'every scenario was injected');
  for (const label of labels) {
    const who = label.actor_ip ?? label.target;
    const found = detections.filter(
      (d) =>
        d.scenario === label.scenario &&
        namesActor(label, d.actor as string) &&
        Date.parse(`${d.window_end}Z`) > Date.parse(label.start) &&
        Date.parse(`${d.window_start}Z`) <= Date.parse(label.end),
    );
    console.log(`# ${label.scenario} by ${who}: ${found.length} detection(s)`);
    assert.ok(found.length > 0, `${label.scenario} by ${who} from ${label.start} is detected`);
    for (const d of found)
      assert.ok(
        report.stdout.includes(`${d.scenario}  ${d.severity}  ${d.actor}: ${d.evidence}`),
        `the report shows ${d.scenario} by ${d.actor} with its evidence`,
      );
  }
});

test('stdin (-) reads as a file does; a missing file and lines of another format are said plainly', async () => {
  const lines = readFileSync(join(dir, 'access.log'), 'utf8').split('\n').slice(0, 500).join('\n');
  const piped = await run(['analyze', '--json', '-'], `${lines}\nnot a log line\n`);
  assert.equal(piped.code, 0, piped.stderr);
  writeFileSync(join(dir, 'head.log'), `${lines}\nnot a log line\n`);
  const filed = await run(['analyze', '--json', join(dir, 'head.log')]);
  assert.equal(piped.stdout, filed.stdout);
  const report = await run(['analyze', join(dir, 'head.log')]);
  assert.match(report.stdout, /1 lines are not combined records \(line 501: /);

  const missing = await run(['analyze', join(dir, 'nothing.log')]);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /cannot read .*nothing\.log: ENOENT/);
  const none = await run(['analyze']);
  assert.equal(none.code, 2);
  assert.match(none.stderr, /name the log files/);
  const badFormat = await run(['analyze', '--format', 'plain', join(dir, 'head.log')]);
  assert.equal(badFormat.code, 2, badFormat.stderr);
  assert.match(badFormat.stderr, /--format plain: log_format: "plain" has no fields/);
});

test('over the real Apache log of the shared data: every line read, what it flags listed', async (t) => {
  if (!existsSync(APACHE_LOGS)) {
    t.skip(`${APACHE_LOGS} is not there`);
    console.log(`# skipped: ${APACHE_LOGS} is not there`);
    return;
  }
  const report = await run(['analyze', APACHE_LOGS]);
  assert.equal(report.code, 0, report.stderr);
  console.log(report.stdout.replace(/^/gm, '# '));
  assert.match(report.stdout, /^tidewatch analyze: 10,000 lines/);
  assert.match(
    report.stdout,
    /10,000 requests from 1,753 addresses, 2015-05-17 10:05:00 to 2015-05-20 21:05:59 UTC/,
  );
  assert.match(report.stdout, /\n {2}66\.249\.73\.135 +482 /);
  assert.match(report.stdout, /\nDetections: /);
});
