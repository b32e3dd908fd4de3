/**
 * A durable log that lost records or was damaged, met by `tidewatch start` and repaired by
 * `tidewatch recover`: a torn tail beyond the commit is cut and reported; a log shorter than
 * the commit, or damaged in the middle, stops the start with a message that names the file and
 * the offsets and points to `recover`; after `recover` the start resumes and the views equal an
 * uninterrupted run's.
 */
import assert from 'node:assert/strict';
import {
  appendFileSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  statSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import {
  FRAME_HEADER_BYTES,
  SEGMENT_HEADER_BYTES,
  writeFrameHeader,
} from '../../src/store/segment-format.ts';
import { collect, runCli, spawnCli, waitForOutput } from '../helpers/cli.ts';
import {
  type Expected,
  expectedRun,
  finishAndCheck,
  type StreamSpec,
  startArgs,
} from './deterministic-run.ts';

const STREAM: StreamSpec = { events: 3000, rate: 2000, seed: 3 };

/** Runs the whole stream into a new data directory and stops cleanly: everything is committed. */
async function finishedRun(expected: Expected): Promise<string> {
  const dataDir = join(mkdtempSync(join(tmpdir(), 'tw-log-damage-')), 'data');
  await finishAndCheck(STREAM, dataDir, expected, 'before any damage');
  return dataDir;
}

/** The newest segment of the generator source's durable log. */
function newestSegment(dataDir: string): string {
  const dir = join(dataDir, 'log', 'website_logs_source');
  const segments = readdirSync(dir)
    .filter((f) => f.endsWith('.log'))
    .sort();
  return join(dir, segments.at(-1) as string);
}

/** `tidewatch start` on the damaged directory: it must refuse with exit status 1. */
async function refusedStart(dataDir: string): Promise<string> {
  const r = await runCli(startArgs(STREAM, dataDir), { timeoutMs: 60_000 });
  assert.equal(r.code, 1, `the start must be refused: ${r.stdout}${r.stderr}`);
  return r.stderr;
}

async function recover(dataDir: string): Promise<string> {
  const r = await runCli(['recover', '--data-dir', dataDir], { timeoutMs: 60_000 });
  assert.equal(r.code, 0, r.stderr);
  return r.stdout;
}

test('a log cut short of the commit: a clear refusal, then recover, then the same views', async () => {
  const expected = await expectedRun(STREAM);
  const dataDir = await finishedRun(expected);
  const segment = newestSegment(dataDir);
  truncateSync(segment, statSync(segment).size - 5);

  const stderr = await refusedStart(dataDir);
  assert.match(stderr, /durable log of source website_logs_source is shorter than the last commit/);
  assert.match(stderr, new RegExp(`${join(dataDir, 'log', 'website_logs_source')} holds records 0 to 2998`));
  assert.match(stderr, /consumed records up to 2999, so 1 committed record\(s\) are missing/);
  assert.match(stderr, /opening it cut \d+ bytes .*incomplete record at the end/);
  assert.match(stderr, new RegExp(`tidewatch recover --data-dir ${dataDir}`));
  assert.doesNotMatch(stderr, /\n\s+at /, 'no stack trace');

  assert.match(await recover(dataDir), /continues from 3000/);
  assert.match(await recover(dataDir), /nothing to repair/);
  await finishAndCheck(STREAM, dataDir, expected, 'after recover');
});

test('a torn record beyond the commit is cut and reported; the start goes on', async () => {
  const expected = await expectedRun(STREAM);
  const dataDir = await finishedRun(expected);
  const torn = Buffer.alloc(FRAME_HEADER_BYTES + 20, 7);
  writeFrameHeader(torn, 0, 100); // a record of 100 bytes, of which 20 made it
  appendFileSync(newestSegment(dataDir), torn);

  const child = spawnCli(startArgs(STREAM, dataDir));
  const done = collect(child, 60_000);
  await waitForOutput(child, /Press Ctrl-C to stop/, 30_000);
  child.kill('SIGINT');
  const r = await done;
  assert.equal(r.code, 0, r.stderr);
  assert.match(
    r.stderr,
    /durable log of source website_logs_source: cut 32 bytes at byte \d+ of .*\(incomplete record at the end\)/,
  );
  await finishAndCheck(STREAM, dataDir, expected, 'after a torn tail');
});

test('a record damaged in the middle of the log: a clear refusal, then recover, then the same views', async () => {
  const expected = await expectedRun(STREAM);
  const dataDir = await finishedRun(expected);
  const segment = newestSegment(dataDir);
  const bytes = readFileSync(segment);
  // A byte inside the payload of the first record: its checksum fails, with every other record after it.
  const at = SEGMENT_HEADER_BYTES + FRAME_HEADER_BYTES + 3;
  bytes[at] = (bytes[at] as number) ^ 0xff;
  writeFileSync(segment, bytes);

  const stderr = await refusedStart(dataDir);
  assert.match(
    stderr,
    /durable log of source website_logs_source: .* is corrupt at byte 16 of \d+ \(offset 0: checksum mismatch/,
  );
  assert.match(stderr, new RegExp(`tidewatch recover --data-dir ${dataDir}`));
  assert.doesNotMatch(stderr, /readSegmentPayloads|truncateCorruptTail/, 'no API names for an operator');

  const out = await recover(dataDir);
  assert.match(out, /cut \d+ bytes at byte 16 .*checksum mismatch/);
  assert.match(out, /continues from 3000 \(the 3000 record\(s\) in between are in the store already\)/);
  await finishAndCheck(STREAM, dataDir, expected, 'after recover of a corrupt log');
});

test('recover refuses a directory without tidewatch data', async () => {
  const r = await runCli(['recover', '--data-dir', join(tmpdir(), 'tw-no-such-data-dir')]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /holds no tidewatch data/);
});
