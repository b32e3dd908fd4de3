/**
 * The file source, like `tail -F`: appends, a last line waiting for its newline, rotation by
 * rename and by copy-truncate, files appearing later under a glob, a restart at the committed
 * position with nothing read twice, and lines that are not records as dead letters.
 */
import assert from 'node:assert/strict';
import {
  appendFileSync,
  copyFileSync,
  mkdtempSync,
  renameSync,
  rmSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { type FilePosition, FileSource, globPattern } from '../../src/connectors/file-source.ts';
import type { DeadLetter, SourceReader } from '../../src/runtime/source.ts';

/** Each line is a record of its text, but lines starting with BAD. */
function decode(line: Uint8Array) {
  const text = Buffer.from(line).toString('utf8');
  return text.startsWith('BAD') ? { error: 'a bad line' } : { row: [text] };
}

function source(root: string, pattern: string, options: { maxLineBytes?: number } = {}): FileSource {
  return new FileSource({ root, pattern, decode, pollMs: 5, ...options });
}

interface Read {
  lines: string[];
  letters: DeadLetter[];
  position: FilePosition | undefined;
}

/** Everything the reader has now, batch after batch, until a poll finds nothing new. */
async function drain(
  reader: SourceReader<FilePosition>,
  into: Read = { lines: [], letters: [], position: undefined },
): Promise<Read> {
  for (;;) {
    const stop = new AbortController();
    const timer = setTimeout(() => stop.abort(), 60);
    const batch = await reader.next(stop.signal);
    clearTimeout(timer);
    if (batch === undefined) return into;
    into.lines.push(...batch.rows.map((r) => String((r as unknown[])[0])));
    into.letters.push(...batch.rejected);
    into.position = batch.position;
  }
}

function dir(t: { after: (fn: () => void) => void }): string {
  const d = mkdtempSync(join(tmpdir(), 'tw-files-'));
  t.after(() => rmSync(d, { recursive: true, force: true }));
  return d;
}

test('globs match file names only', () => {
  const g = globPattern('access.log*');
  assert.ok(g.test('access.log') && g.test('access.log.1') && !g.test('xaccess.log'));
  assert.ok(globPattern('*.[lt]og').test('a.log') && !globPattern('*.[!l]og').test('a.log'));
  assert.ok(globPattern('a?.csv').test('ab.csv') && !globPattern('a?.csv').test('a.csv'));
});

test('appends are read as they come; a last line waits for its newline; CRLF and blank lines', async (t) => {
  const d = dir(t);
  const file = join(d, 'access.log');
  writeFileSync(file, 'one\ntwo\r\n\nthr');
  const reader = await source(d, 'access.log').open(undefined);
  assert.deepEqual((await drain(reader)).lines, ['one', 'two']);
  appendFileSync(file, 'ee\nfour\n');
  assert.deepEqual((await drain(reader)).lines, ['three', 'four']);
  await reader.close();
});

test('rotation by rename: the old file is read to its end, the new one from its start, nothing twice', async (t) => {
  const d = dir(t);
  const file = join(d, 'access.log');
  writeFileSync(file, 'a1\na2\n');
  const reader = await source(d, 'access.log').open(undefined);
  const read = await drain(reader);
  appendFileSync(file, 'a3\n'); // written just before the rotation, not read yet
  renameSync(file, join(d, 'access.log.1'));
  appendFileSync(join(d, 'access.log.1'), 'a4'); // the server still had it open: even without a newline
  writeFileSync(file, 'b1\n');
  await drain(reader, read);
  appendFileSync(file, 'b2\n');
  await drain(reader, read);
  assert.deepEqual(read.lines, ['a1', 'a2', 'a3', 'a4', 'b1', 'b2']);
  assert.equal(read.position?.files.length, 1, 'the rotated file, read to its end, is let go');
  await reader.close();
});

test('rotation by copy-truncate: the file read again from its start', async (t) => {
  const d = dir(t);
  const file = join(d, 'access.log');
  writeFileSync(file, 'a1\na2\n');
  const reader = await source(d, 'access.log').open(undefined);
  const read = await drain(reader);
  copyFileSync(file, join(d, 'access.log.1'));
  truncateSync(file, 0);
  appendFileSync(file, 'b1\n');
  await drain(reader, read);
  assert.deepEqual(read.lines, ['a1', 'a2', 'b1']);
  await reader.close();
});

test('a glob picks up files that appear later; a restart resumes each file where it was', async (t) => {
  const d = dir(t);
  writeFileSync(join(d, 'a.log'), 'a1\n');
  writeFileSync(join(d, 'skip.txt'), 'not me\n');
  const files = source(d, '*.log');
  const reader = await files.open(undefined);
  const read = await drain(reader);
  writeFileSync(join(d, 'b.log'), 'b1\nb2\n');
  await drain(reader, read);
  assert.deepEqual([...read.lines].sort(), ['a1', 'b1', 'b2']);
  const position = read.position;
  await reader.close();

  // Down meanwhile: both files grow, a third appears.
  appendFileSync(join(d, 'a.log'), 'a2\n');
  appendFileSync(join(d, 'b.log'), 'b3\n');
  writeFileSync(join(d, 'c.log'), 'c1\n');
  const resumed = await files.open(position);
  assert.deepEqual((await drain(resumed)).lines.sort(), ['a2', 'b3', 'c1']);
  await resumed.close();
});

test('lines that are not records, and lines too long, are dead letters with their place', async (t) => {
  const d = dir(t);
  const file = join(d, 'x.log');
  writeFileSync(file, `ok1\nBAD line\n${'y'.repeat(3000)}\nok2\n`);
  const reader = await source(d, 'x.log', { maxLineBytes: 1000 }).open(undefined);
  const read = await drain(reader);
  assert.deepEqual(read.lines, ['ok1', 'ok2']);
  assert.deepEqual(
    read.letters.map((l) => [l.position, l.reason]),
    [
      [`${file}:4`, 'a bad line'],
      [`${file}:13`, 'a line longer than 1000 bytes'],
    ],
  );
  await reader.close();
});
