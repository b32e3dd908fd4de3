// `tidewatch analyze` beside GoAccess on the same 500,000 combined lines (the real Apache log of
// the shared data repeated 50 times): the whole command's wall clock and CPU time, the reference
// pipeline and the detections running, against Debian's `goaccess` building its HTML report of
// the file (skipped with a reason when either is missing). Best of two runs each.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BIN } from '../test/helpers/cli.ts';
import { report } from './measure.ts';

const APACHE_LOGS = new URL('../../shared/data/apache_logs', import.meta.url).pathname;
const COPIES = 50;

interface Timed {
  readonly wallMs: number;
  readonly cpuMs: number;
}

/** Runs a command to its end; its wall clock and the CPU time of it and its children. */
function timed(command: string, args: readonly string[]): Timed {
  const r = spawnSync('/usr/bin/time', ['-f', '%e %U %S', command, ...args], {
    encoding: 'utf8',
    maxBuffer: 1 << 30,
  });
  if (r.status !== 0) throw new Error(`${command} failed: ${r.stderr}`);
  const [wall, user, sys] = (r.stderr.trim().split('\n').at(-1) ?? '').split(' ').map(Number);
  return { wallMs: (wall ?? 0) * 1000, cpuMs: ((user ?? 0) + (sys ?? 0)) * 1000 };
}

function best(runs: Timed[]): Timed {
  return runs.reduce((a, b) => (b.wallMs < a.wallMs ? b : a));
}

if (!existsSync(APACHE_LOGS)) {
  console.log(`analyze: skipped, ${APACHE_LOGS} is not there`);
} else {
  const dir = mkdtempSync(join(tmpdir(), 'tw-analyze-bench-'));
  const file = join(dir, 'access.log');
  writeFileSync(file, readFileSync(APACHE_LOGS, 'utf8').repeat(COPIES));
  const lines = 10_000 * COPIES;
  const node = process.execPath;
  // As `npx tidewatch analyze` runs it: no node flags (only `start` sets its young generation).
  const tidewatch = best([0, 1].map(() => timed(node, [BIN, 'analyze', '--json', file])));
  const rows: [string, string][] = [
    [
      `tidewatch analyze (both pipelines), ${lines.toLocaleString('en-US')} lines`,
      `${(tidewatch.wallMs / 1000).toFixed(1)} s wall, ${(tidewatch.cpuMs / 1000).toFixed(1)} s CPU, ${Math.round((lines * 1000) / tidewatch.wallMs).toLocaleString('en-US')} lines/s`,
    ],
  ];
  const goaccess = spawnSync('goaccess', ['--version'], { encoding: 'utf8' });
  if (goaccess.error !== undefined || goaccess.status !== 0) {
    rows.push(['GoAccess', 'skipped: the goaccess command is not installed (Debian package goaccess)']);
  } else {
    const html = join(dir, 'report.html');
    const peer = best([0, 1].map(() => timed('goaccess', [file, '--log-format=COMBINED', '-o', html])));
    rows.push([
      'GoAccess: the same file → its HTML report',
      `${(peer.wallMs / 1000).toFixed(1)} s wall, ${(peer.cpuMs / 1000).toFixed(1)} s CPU  (tidewatch takes ${(tidewatch.wallMs / peer.wallMs).toFixed(1)}× its wall clock, ${(tidewatch.cpuMs / peer.cpuMs).toFixed(1)}× its CPU)`,
    ]);
  }
  rmSync(dir, { recursive: true, force: true });
  console.log('analyze: a finished log through both pipelines to its report, beside GoAccess');
  report(rows);
}
