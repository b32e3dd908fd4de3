/**
 * The data directory's DuckDB file under failure, end to end through `tidewatch start`: a
 * full disk stops tidewatch with a message naming the file and leaves the committed epochs
 * intact (a start on a copy of what was on disk resumes and finishes the stream exactly);
 * a read-only data directory, a truncated file and a file that is not DuckDB's are refused
 * at start with the file's name, and the file is left as it was.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { BIN, collect, runCli, spawnCli, waitForOutput } from '../helpers/cli.ts';
import { mountNamespace, tempDir } from '../store/helpers.ts';
import { expectedRun, finishAndCheck, type StreamSpec, startArgs } from './deterministic-run.ts';

const STREAM: StreamSpec = { events: 40_000, rate: 5000, seed: 5 };

const digest = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');

/** A data directory holding a few committed epochs of the stream (a clean stop part-way). */
async function committedDataDir(dir: string): Promise<string> {
  const dataDir = join(dir, 'data');
  const child = spawnCli(startArgs({ ...STREAM, events: 3000 }, dataDir));
  const done = collect(child);
  await waitForOutput(child, /Press Ctrl-C to stop/);
  await new Promise((r) => setTimeout(r, 2000));
  child.kill('SIGINT');
  const r = await done;
  assert.equal(r.code, 0, r.stderr);
  return dataDir;
}

/** Runs a command in the mount namespace of `holder` (a process that made its own mounts). */
function inNamespace(holder: ChildProcess, command: string, args: readonly string[]) {
  return spawnSync('nsenter', ['-t', String(holder.pid), '-m', command, ...args], {
    encoding: 'utf8',
    timeout: 120_000,
  });
}

test('a full disk stops tidewatch naming the file; the committed epochs survive and the stream finishes exactly', async (t) => {
  const dir = tempDir(t, 'tidewatch-full-');
  const ns = mountNamespace(dir);
  if ('reason' in ns) {
    t.skip(ns.reason);
    return;
  }
  const mount = join(dir, 'mnt');
  const dataDir = join(mount, 'data');
  // The data directory gets 4 MiB, its log a tmpfs of its own: the DuckDB file fills first.
  const holder = spawn(
    ns.prefix[0] as string,
    [
      ...ns.prefix.slice(1),
      'sh',
      '-c',
      'mkdir -p "$1" && mount -t tmpfs -o size=4m tmpfs "$1" && mkdir -p "$2/log" && mount -t tmpfs -o size=64m tmpfs "$2/log" && echo ready && exec sleep 600',
      'sh',
      mount,
      dataDir,
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  t.after(() => holder.kill('SIGKILL'));
  await new Promise<void>((resolve, reject) => {
    holder.stdout?.once('data', () => resolve());
    holder.once('exit', (code) => reject(new Error(`the mount namespace ended (${code})`)));
  });
  const expected = await expectedRun(STREAM);
  const full = inNamespace(holder, process.execPath, [BIN, ...startArgs(STREAM, dataDir)]);
  assert.equal(full.status, 1, full.stdout + full.stderr);
  assert.match(
    full.stderr,
    // DuckDB's file filled, or the CSV file an epoch's rows are loaded from beside it (csv-load.ts).
    /tidewatch: stopping, the last epoch could not be made durable: view store: cannot (commit epoch \d+ to .*tidewatch\.duckdb: .*No space left on device|write .*tidewatch\.duckdb\.(raw-)?load\/load-\d+\.csv: no space left on device \(disk full\) \[ENOSPC\])/,
  );
  // What was on disk after the failure, moved to where there is room again.
  const copy = join(dir, 'copy');
  const cp = inNamespace(holder, 'cp', ['-a', dataDir, copy]);
  assert.equal(cp.status, 0, cp.stderr);
  const banner = await finishAndCheck(STREAM, copy, expected, 'after a full disk');
  assert.match(banner, /resumed at epoch \d+/);
});

test('a read-only data directory is refused at start with the file it could not write', async (t) => {
  const dir = tempDir(t, 'tidewatch-ro-');
  const ns = mountNamespace(dir);
  if ('reason' in ns) {
    t.skip(ns.reason);
    return;
  }
  const dataDir = await committedDataDir(dir);
  const before = digest(join(dataDir, 'tidewatch.duckdb'));
  const shell =
    'mount --bind "$1" "$1" && mount -o remount,bind,ro "$1" && exec "$2" "$3" start --data-dir "$1" --http-port 0 --pg-port 0 --no-generator';
  const r = spawnSync(
    ns.prefix[0] as string,
    [...ns.prefix.slice(1), 'sh', '-c', shell, 'sh', dataDir, process.execPath, BIN],
    { encoding: 'utf8', timeout: 60_000 },
  );
  assert.equal(r.status, 1, r.stdout + r.stderr);
  assert.match(r.stderr, new RegExp(`${join(dataDir, 'lock')}: read-only file system`));
  assert.equal(digest(join(dataDir, 'tidewatch.duckdb')), before);
});

test('a truncated or foreign DuckDB file is refused at start, named, and left as it was', async (t) => {
  const dir = tempDir(t, 'tidewatch-corrupt-');
  const dataDir = await committedDataDir(dir);
  const file = join(dataDir, 'tidewatch.duckdb');
  const whole = readFileSync(file);
  for (const [what, damage] of [
    ['truncated', () => truncateSync(file, Math.floor(whole.length / 3))],
    [
      'not a DuckDB file',
      () => writeFileSync(file, Buffer.concat([Buffer.alloc(4096, 0x5a), whole.subarray(4096)])),
    ],
  ] as const) {
    damage();
    const damaged = digest(file);
    const r = await runCli([
      'start',
      '--data-dir',
      dataDir,
      '--http-port',
      '0',
      '--pg-port',
      '0',
      '--no-generator',
    ]);
    assert.equal(r.code, 1, `${what}: ${r.stdout}${r.stderr}`);
    assert.match(
      r.stderr,
      new RegExp(`tidewatch: view store: cannot (open|read the catalog of) ${file}: `),
      what,
    );
    assert.equal(digest(file), damaged, `${what}: the file is left as it was`);
    writeFileSync(file, whole);
  }
});
