/** The durable log: round trips, recovery of a torn end, corruption, retention, the lock, and failures of the disk. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import {
  appendFileSync,
  closeSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  statSync,
  utimesSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { crc32 } from 'node:zlib';
import { DurableLog, type DurableLogOptions, sourceLogDir } from '../../src/store/durable-log.ts';
import { isStoreError, type StoreError } from '../../src/store/errors.ts';
import { readSegmentPayloads, segmentFileName } from '../../src/store/segment-format.ts';
import {
  DURABLE_LOG_URL,
  faultyFs,
  lineFrom,
  mountNamespace,
  runScript,
  spawnScript,
  tempDir,
  waitFor,
} from './helpers.ts';

/** A record that names its own offset, of a length that varies with it. */
function record(offset: number): string {
  return JSON.stringify({ o: offset, pad: 'x'.repeat((offset * 37) % 150), s: 'é→' });
}

function offsetOf(payload: Buffer): number {
  return (JSON.parse(payload.toString('utf8')) as { o: number }).o;
}

/** Appends the records for offsets [from, to) in batches of `batch`. */
function fill(log: DurableLog, from: number, to: number, batch = 25): void {
  for (let o = from; o < to; o += batch) {
    const n = Math.min(batch, to - o);
    const result = log.append(Array.from({ length: n }, (_, i) => record(o + i)));
    assert.deepEqual(result, { firstOffset: o, lastOffset: o + n - 1, count: n });
  }
}

/** Every record of the log, checked to name its own offset; returns how many. */
function checkAll(log: DurableLog, from = log.startOffset): number {
  let count = 0;
  let expected = from;
  for (const batch of log.batches(from)) {
    assert.equal(batch.firstOffset, expected);
    for (const [i, payload] of batch.records.entries())
      assert.equal(offsetOf(payload), batch.firstOffset + i);
    expected = batch.nextOffset;
    count += batch.records.length;
  }
  assert.equal(expected, log.nextOffset);
  return count;
}

/** Byte position of the record `index` in a segment holding the records `record(base)…`. */
function framePosition(base: number, index: number): number {
  let pos = 16;
  for (let i = 0; i < index; i++) pos += 12 + Buffer.byteLength(record(base + i));
  return pos;
}

function expectStoreError(kind: string, ...patterns: (string | RegExp)[]): (e: unknown) => boolean {
  return (e: unknown) => {
    assert.ok(isStoreError(e), `expected a StoreError, got ${e}`);
    assert.equal(e.kind, kind, e.message);
    for (const p of patterns) {
      if (typeof p === 'string') assert.ok(e.message.includes(p), `"${e.message}" should mention ${p}`);
      else assert.match(e.message, p);
    }
    return true;
  };
}

function open(dir: string, options: DurableLogOptions = {}): DurableLog {
  return DurableLog.open(dir, { segmentBytes: 2048, ...options });
}

test('append and read round trip across segment rolls', (t) => {
  const dir = tempDir(t);
  const log = open(dir);
  assert.equal(log.nextOffset, 0);
  assert.deepEqual(log.append([]), { firstOffset: 0, lastOffset: -1, count: 0 });
  fill(log, 0, 1500);
  const segments = log.segmentInfo();
  assert.ok(segments.length > 20, `${segments.length} segments`);
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.log'))
    .sort();
  assert.deepEqual(
    files,
    segments.map((s) => segmentFileName(s.baseOffset)),
  );
  for (const [i, s] of segments.entries()) {
    assert.equal(s.bytes, statSync(s.file).size);
    assert.ok(s.bytes <= 2048, `${s.file} has ${s.bytes} bytes`);
    if (i > 0) assert.equal(s.baseOffset, segments[i - 1]?.endOffset);
  }
  assert.equal(checkAll(log), 1500);

  // Limits: records, bytes (at least one record whatever its size).
  const five = log.read(10, { maxRecords: 5 });
  assert.deepEqual(five.records.map(offsetOf), [10, 11, 12, 13, 14]);
  assert.equal(five.nextOffset, 15);
  assert.equal(
    five.bytes,
    five.records.reduce((sum, r) => sum + r.length, 0),
  );
  const tiny = log.read(100, { maxBytes: 1 });
  assert.deepEqual(tiny.records.map(offsetOf), [100]);
  const some = log.read(100, { maxBytes: 1000 });
  assert.ok(some.bytes <= 1000 && some.records.length > 1);
  assert.deepEqual(log.read(1500), { firstOffset: 1500, nextOffset: 1500, records: [], bytes: 0 });
  assert.deepEqual(log.read(99_999).records, []);

  // Random access, each read continuing sequentially for a while.
  let seed = 7;
  for (let i = 0; i < 200; i++) {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    const from = seed % 1500;
    const batch = log.read(from, { maxRecords: 1 + (seed % 40) });
    assert.deepEqual(
      batch.records.map(offsetOf),
      Array.from({ length: batch.records.length }, (_, k) => from + k),
    );
    assert.ok(batch.records.length >= 1);
  }

  // Strings and bytes, empty records, a record larger than a segment (it gets one of its own).
  const big = Buffer.alloc(5000, 0x61);
  const r = log.append([new Uint8Array([1, 2, 3]), '', big, 'after']);
  assert.deepEqual(r, { firstOffset: 1500, lastOffset: 1503, count: 4 });
  const tail = log.read(1500, { maxBytes: 1 << 20 });
  assert.deepEqual(
    tail.records.map((b) => Buffer.from(b)),
    [Buffer.from([1, 2, 3]), Buffer.alloc(0), big, Buffer.from('after')],
  );
  const holding = log.segmentInfo().find((s) => s.baseOffset <= 1502 && s.endOffset > 1502);
  assert.deepEqual([holding?.baseOffset, holding?.endOffset], [1502, 1503]);
  log.close();
});

test('records are read across segments after reopening, from any offset', (t) => {
  const dir = tempDir(t);
  // Large enough segments for the sparse index (a point every MiB) to matter.
  let log = DurableLog.open(dir, { segmentBytes: 3 * 1024 * 1024 });
  fill(log, 0, 40_000, 1000);
  log.close();
  log = DurableLog.open(dir, { segmentBytes: 3 * 1024 * 1024 });
  assert.equal(log.nextOffset, 40_000);
  assert.ok(log.segmentInfo().length >= 2);
  for (const from of [39_999, 0, 17_321, 31_000, 5, 25_000, 17_320]) {
    assert.deepEqual(
      log.read(from, { maxRecords: 3 }).records.map(offsetOf),
      [from, from + 1, from + 2].filter((o) => o < 40_000),
    );
  }
  assert.equal(checkAll(log), 40_000);
  log.close();
});

test('records larger than a read or a recovery chunk; records over the limit are refused whole', (t) => {
  const dir = tempDir(t);
  let log = DurableLog.open(dir, { segmentBytes: 1 << 20, maxRecordBytes: 10 << 20 });
  const huge = Buffer.alloc(9 << 20, 0x42); // larger than the 8 MiB the recovery scan reads at a time
  const big = Buffer.alloc(3 << 20, 0x41); // larger than the 1 MiB a read fetches at a time
  assert.deepEqual(log.append(['a', big, 'b', huge, 'c']), { firstOffset: 0, lastOffset: 4, count: 5 });
  assert.throws(
    () => log.append(['fits', Buffer.alloc((10 << 20) + 1)]),
    expectStoreError('invalid-argument', 'larger than the limit'),
  );
  assert.equal(log.nextOffset, 5, 'none of the refused batch was appended');
  log.close();
  // A string is measured as it is written: one over the limit by its UTF-8 bytes, not its length.
  log = DurableLog.open(dir, { segmentBytes: 1 << 20, maxRecordBytes: 100 });
  assert.throws(
    () => log.append(['fits', 'é'.repeat(50), `${'x'.repeat(99)}é`]),
    expectStoreError('invalid-argument', 'a record of 101 bytes is larger than the limit of 100'),
  );
  assert.equal(log.nextOffset, 5, 'none of the refused batch was appended');
  log.close();
  log = DurableLog.open(dir, { segmentBytes: 1 << 20 });
  assert.equal(log.nextOffset, 5);
  const lengths = [...log.batches(0, { maxBytes: 1 })].flatMap((b) => b.records.map((r) => r.length));
  assert.deepEqual(lengths, [1, big.length, 1, huge.length, 1]);
  assert.ok(log.read(3).records[0]?.equals(huge));
  assert.ok(log.read(1).records[0]?.equals(big));
  log.close();
});

test('reopening continues the offsets; a clean close loses nothing', (t) => {
  const dir = tempDir(t);
  let log = open(dir);
  fill(log, 0, 300);
  log.sync();
  assert.equal(log.syncedOffset, 300);
  fill(log, 300, 420); // not synced: close() syncs
  log.close();
  assert.throws(() => log.append(['x']), expectStoreError('unusable', 'closed'));

  log = open(dir, { segmentBytes: 4096 });
  assert.equal(log.recovery.truncatedBytes, 0);
  assert.equal(log.recovery.nextOffset, 420);
  assert.equal(log.nextOffset, 420);
  assert.equal(log.syncedOffset, 420);
  fill(log, 420, 600);
  assert.equal(checkAll(log), 600);
  log.close();
  log = open(dir);
  assert.equal(log.nextOffset, 600);
  assert.equal(checkAll(log), 600);
  log.close();
});

test('fsync policies: always, epoch, never', (t) => {
  const count = (policy: 'always' | 'epoch' | 'never') => {
    const fs = faultyFs();
    const log = DurableLog.open(tempDir(t), { fsync: policy, fs, segmentBytes: 1 << 20 });
    const atOpen = fs.fsyncs;
    for (let i = 0; i < 10; i++) log.append([record(i)]);
    const afterAppends = fs.fsyncs - atOpen;
    log.sync();
    const afterSync = fs.fsyncs - atOpen;
    assert.equal(log.syncedOffset, 10);
    log.close();
    return { atOpen, afterAppends, afterSync };
  };
  const always = count('always');
  const epoch = count('epoch');
  const never = count('never');
  assert.ok(always.atOpen > 0 && epoch.atOpen > 0, 'creating the log fsyncs its segment and directory');
  assert.equal(always.afterAppends, 10);
  assert.equal(epoch.afterAppends, 0);
  assert.equal(epoch.afterSync, 1);
  assert.deepEqual(never, { atOpen: 0, afterAppends: 0, afterSync: 0 });
});

test('a source log lives in <data-dir>/log/<source>, its name made safe', (t) => {
  const data = tempDir(t);
  assert.equal(sourceLogDir(data, 'website_logs_source'), join(data, 'log', 'website_logs_source'));
  assert.equal(sourceLogDir(data, '../evil/x'), join(data, 'log', '%2E.%2Fevil%2Fx'));
  assert.throws(() => sourceLogDir(data, ''), expectStoreError('invalid-argument'));
});

// ── recovery of the last segment ────────────────────────────────────────────────

/** A log of 10 records in one segment, closed; returns its segment file. */
function tenRecords(dir: string): string {
  const log = open(dir, { segmentBytes: 1 << 20 });
  fill(log, 0, 10);
  log.close();
  return join(dir, segmentFileName(0));
}

function frame(payload: string): Buffer {
  const body = Buffer.from(payload);
  const header = Buffer.alloc(12);
  header.writeUInt32LE(body.length, 0);
  header.writeUInt32LE(~body.length >>> 0, 4);
  header.writeUInt32LE(crc32(body), 8);
  return Buffer.concat([header, body]);
}

test('an incomplete record at the end is cut off and reported', (t) => {
  const dir = tempDir(t);
  const file = tenRecords(dir);
  const size = statSync(file).size;
  const partial = frame(record(10)).subarray(0, 30);
  appendFileSync(file, partial);
  let log = open(dir);
  assert.equal(log.recovery.truncatedBytes, 30);
  assert.equal(log.recovery.truncatedAt, size);
  assert.match(log.recovery.truncatedReason ?? '', /incomplete record/);
  assert.equal(statSync(file).size, size);
  assert.equal(log.nextOffset, 10);
  fill(log, 10, 20);
  assert.equal(checkAll(log), 20);
  log.close();
  log = open(dir);
  assert.equal(log.recovery.truncatedBytes, 0);
  assert.equal(log.nextOffset, 20);
  log.close();
});

test('a few bytes of garbage, a zero-filled end, a last record with a bad checksum: all cut off', (t) => {
  const cases: [string, (file: string) => void, number, RegExp][] = [
    [
      'garbage shorter than a record header',
      (f) => appendFileSync(f, Buffer.from([0xde, 0xad, 0xbe, 0xef, 7])),
      5,
      /incomplete/,
    ],
    ['zeros', (f) => appendFileSync(f, Buffer.alloc(4096)), 4096, /zero-filled/],
    [
      'last record damaged',
      (f) => {
        const fd = openSync(f, 'r+');
        writeSync(fd, Buffer.from('Z'), 0, 1, statSync(f).size - 3);
        closeSync(fd);
      },
      12 + Buffer.byteLength(record(9)),
      /checksum mismatch in the last record/,
    ],
    [
      'a whole record and then zeros',
      (f) => appendFileSync(f, Buffer.concat([frame(record(10)).fill(0, 12), Buffer.alloc(100)])),
      12 + Buffer.byteLength(record(10)) + 100,
      /checksum mismatch in the last record/,
    ],
  ];
  for (const [name, damage, cut, reason] of cases) {
    const dir = tempDir(t);
    const file = tenRecords(dir);
    damage(file);
    const log = open(dir);
    assert.equal(log.recovery.truncatedBytes, cut, name);
    assert.match(log.recovery.truncatedReason ?? '', reason, name);
    const expected = name === 'last record damaged' ? 9 : 10;
    assert.equal(log.nextOffset, expected, name);
    assert.equal(checkAll(log), expected, name);
    log.close();
  }
});

test('a segment whose header never made it to disk gets it again', (t) => {
  const dir = tempDir(t);
  let log = open(dir);
  fill(log, 0, 100);
  const last = log.segmentInfo().at(-1);
  log.close();
  assert.ok(last !== undefined);
  const next = join(dir, segmentFileName(last.endOffset));
  writeFileSync(next, Buffer.from('TWLO')); // a roll interrupted after 4 bytes of header
  log = open(dir);
  assert.equal(log.recovery.file, next);
  assert.equal(log.recovery.truncatedBytes, 4);
  assert.equal(log.nextOffset, 100);
  fill(log, 100, 110);
  assert.equal(checkAll(log), 110);
  log.close();
});

test('a damaged record in the middle of the last segment: open fails naming the file and byte', (t) => {
  const dir = tempDir(t);
  const file = tenRecords(dir);
  const at = framePosition(0, 3);
  const fd = openSync(file, 'r+');
  writeSync(fd, Buffer.from('#'), 0, 1, at + 12 + 5); // in the payload of offset 3
  closeSync(fd);
  const before = readFileSync(file);
  assert.throws(
    () => open(dir),
    (e: unknown) =>
      expectStoreError('corrupt', file, `byte ${at}`, 'offset 3', 'checksum mismatch')(e) &&
      (e as StoreError).position === at &&
      (e as StoreError).path === file,
  );
  assert.deepEqual(readFileSync(file), before, 'a failed open changes nothing');
  // The lock was released: a second attempt fails the same way, not with "locked".
  assert.throws(() => open(dir), expectStoreError('corrupt'));

  // What can still be got out of the file, and the explicit way to cut.
  const payloads: number[] = [];
  assert.throws(
    () => {
      for (const { offset, payload } of readSegmentPayloads(file)) {
        assert.equal(offsetOf(payload), offset);
        payloads.push(offset);
      }
    },
    expectStoreError('corrupt', `byte ${at}`),
  );
  assert.deepEqual(payloads, [0, 1, 2]);
  const log = open(dir, { truncateCorruptTail: true });
  assert.equal(log.nextOffset, 3);
  assert.equal(log.recovery.truncatedAt, at);
  assert.match(log.recovery.truncatedReason ?? '', /truncateCorruptTail/);
  log.close();
});

test('a damaged record length, or long garbage after the last record, is corruption too', (t) => {
  const dir = tempDir(t);
  const file = tenRecords(dir);
  const at = framePosition(0, 6);
  const fd = openSync(file, 'r+');
  writeSync(fd, Buffer.from([0xff, 0xff, 0x00, 0x10]), 0, 4, at);
  closeSync(fd);
  assert.throws(() => open(dir), expectStoreError('corrupt', file, `byte ${at}`, 'damaged record header'));

  const dir2 = tempDir(t);
  const file2 = tenRecords(dir2);
  const end = statSync(file2).size;
  appendFileSync(file2, Buffer.from('this is not a record, and it is long enough to not be a torn header'));
  assert.throws(() => open(dir2), expectStoreError('corrupt', file2, `byte ${end}`));
});

test('corruption in an older segment is found when it is read', (t) => {
  const dir = tempDir(t);
  let log = open(dir);
  fill(log, 0, 200);
  const first = log.segmentInfo()[0];
  log.close();
  assert.ok(first !== undefined);
  const at = framePosition(0, 2);
  const fd = openSync(first.file, 'r+');
  writeSync(fd, Buffer.from('#'), 0, 1, at + 20);
  closeSync(fd);
  log = open(dir);
  assert.equal(log.nextOffset, 200);
  assert.deepEqual(log.read(first.endOffset, { maxRecords: 2 }).records.map(offsetOf), [
    first.endOffset,
    first.endOffset + 1,
  ]);
  assert.throws(() => log.read(0), expectStoreError('corrupt', first.file, `byte ${at}`, 'offset 2'));
  assert.deepEqual(log.read(0, { maxRecords: 2 }).records.map(offsetOf), [0, 1]);
  log.close();

  // An older segment cut short: its records end before the next segment begins.
  writeFileSync(first.file, readFileSync(first.file).subarray(0, at + 7));
  log = open(dir);
  assert.throws(
    () => log.read(0, { maxBytes: 1 << 20 }),
    expectStoreError('corrupt', first.file, 'ends at byte'),
  );
  log.close();

  // Not a segment at all.
  writeFileSync(first.file, 'hello, this is not a segment');
  assert.throws(() => open(dir), expectStoreError('corrupt', first.file, 'not a tidewatch log segment'));
});

test('a child process killed mid-append (kill -9) loses nothing it acknowledged', async (t) => {
  const dir = tempDir(t);
  const script = `
    import { DurableLog } from ${JSON.stringify(DURABLE_LOG_URL)};
    const log = DurableLog.open(process.argv[1], { segmentBytes: 64 * 1024, fsync: 'never' });
    let next = log.nextOffset;
    for (;;) {
      const batch = [];
      for (let i = 0; i < 50; i++, next++) batch.push(JSON.stringify({ o: next, pad: 'y'.repeat(next % 300) }));
      const { lastOffset } = log.append(batch);
      process.stdout.write(lastOffset + '\\n');
    }`;
  let acknowledged = -1;
  for (let round = 0; round < 4; round++) {
    const child = spawnScript(script, [dir]);
    const target = acknowledged + 2000 + round * 1777;
    await lineFrom(child, (line) => {
      const n = Number(line);
      if (Number.isInteger(n)) acknowledged = Math.max(acknowledged, n);
      return n >= target;
    });
    child.kill('SIGKILL');
    const result = await waitFor(child);
    assert.equal(result.signal, 'SIGKILL', result.stderr);
    const log = open(dir, { segmentBytes: 64 * 1024 });
    assert.ok(
      log.nextOffset > acknowledged,
      `next offset ${log.nextOffset}, acknowledged up to ${acknowledged}`,
    );
    assert.equal(checkAll(log), log.nextOffset);
    acknowledged = log.nextOffset - 1;
    log.close();
  }
});

// ── retention ───────────────────────────────────────────────────────────────────

test('truncateBefore deletes whole segments below an offset, never the last', (t) => {
  const dir = tempDir(t);
  let log = open(dir);
  fill(log, 0, 500);
  const segments = log.segmentInfo();
  const cutAt = 250;
  const kept = segments.filter((s) => s.endOffset > cutAt);
  const result = log.truncateBefore(cutAt);
  assert.equal(result.deletedSegments, segments.length - kept.length);
  assert.equal(
    result.deletedBytes,
    segments.filter((s) => s.endOffset <= cutAt).reduce((sum, s) => sum + s.bytes, 0),
  );
  assert.equal(result.startOffset, kept[0]?.baseOffset);
  assert.ok(log.startOffset <= cutAt);
  assert.deepEqual(
    readdirSync(dir)
      .filter((f) => f.endsWith('.log'))
      .sort(),
    kept.map((s) => segmentFileName(s.baseOffset)),
  );
  assert.throws(
    () => log.read(log.startOffset - 1),
    expectStoreError('offset-out-of-range', `starts at offset ${log.startOffset}`),
  );
  assert.equal(checkAll(log), 500 - log.startOffset);
  assert.deepEqual(log.truncateBefore(cutAt).deletedSegments, 0);

  const everything = log.truncateBefore(1_000_000);
  assert.equal(log.segmentInfo().length, 1);
  assert.equal(everything.startOffset, log.segmentInfo()[0]?.baseOffset);
  fill(log, 500, 520);
  log.close();
  log = open(dir);
  assert.equal(log.nextOffset, 520);
  assert.equal(log.startOffset, everything.startOffset);
  assert.equal(checkAll(log), 520 - log.startOffset);
  log.close();
});

test('retention by bytes and by age, never past keepFrom', (t) => {
  const dir = tempDir(t);
  let log = open(dir);
  fill(log, 0, 600);
  const total = log.totalBytes;
  assert.equal(log.applyRetention({}).deletedSegments, 0);

  // keepFrom stops it whatever the limits say.
  const kept = log.applyRetention({ maxBytes: 0, keepFrom: 100 });
  assert.ok(log.startOffset <= 100);
  assert.ok(log.segmentInfo()[1] === undefined || (log.segmentInfo()[0]?.endOffset ?? 0) > 100);
  assert.ok(kept.deletedSegments > 0);

  const limit = Math.floor(total / 2);
  log.applyRetention({ maxBytes: limit });
  assert.ok(log.totalBytes <= limit, `${log.totalBytes} > ${limit}`);
  assert.ok(log.totalBytes + 2048 > limit, 'deletes no more than it must');
  const startBytes = log.startOffset;
  log.close();

  // Age: by each segment's mtime (its newest record), against the caller's clock.
  const now = Date.now();
  const segments = readdirSync(dir)
    .filter((f) => f.endsWith('.log'))
    .sort();
  segments.forEach((f, i) => {
    const hoursAgo = i < 3 ? 10 : 1;
    utimesSync(join(dir, f), (now - hoursAgo * 3600_000) / 1000, (now - hoursAgo * 3600_000) / 1000);
  });
  log = open(dir);
  assert.equal(log.startOffset, startBytes);
  const aged = log.applyRetention({ maxAgeMs: 6 * 3600_000, now });
  assert.equal(aged.deletedSegments, 3);
  assert.equal(log.startOffset, log.segmentInfo()[0]?.baseOffset);
  assert.equal(log.applyRetention({ maxAgeMs: 6 * 3600_000, now }).deletedSegments, 0);
  const later = log.applyRetention({ maxAgeMs: 6 * 3600_000, now: now + 24 * 3600_000 });
  assert.equal(later.deletedSegments, segments.length - 4, 'all but the last');
  assert.equal(checkAll(log), 600 - log.startOffset);
  log.close();
});

// ── the lock ────────────────────────────────────────────────────────────────────

const TRY_OPEN = `
  import { DurableLog } from ${JSON.stringify(DURABLE_LOG_URL)};
  try {
    const log = DurableLog.open(process.argv[1]);
    console.log(JSON.stringify({ ok: true, next: log.nextOffset, tookOver: log.recovery.lockTakenOverFrom?.pid }));
    log.close();
  } catch (e) {
    console.log(JSON.stringify({ ok: false, kind: e.kind, message: e.message }));
  }`;

const HOLD = `
  import { DurableLog } from ${JSON.stringify(DURABLE_LOG_URL)};
  const log = DurableLog.open(process.argv[1]);
  log.append(['from the child']);
  log.sync();
  console.log('ready');
  process.stdin.on('data', () => {});
  process.stdin.on('end', () => log.close());`;

test('a second open in the same process is refused until the first closes', (t) => {
  const dir = tempDir(t);
  const log = open(dir);
  assert.throws(() => open(dir), expectStoreError('locked', 'already open in this process', dir));
  assert.throws(() => open(`${dir}/./`), expectStoreError('locked'));
  log.close();
  open(dir).close();
});

test('another process is refused while one holds the log, and takes over once it is killed', async (t) => {
  const dir = tempDir(t);
  const log = open(dir);
  const refused = await runScript(TRY_OPEN, [dir]);
  const answer = JSON.parse(refused.stdout) as { ok: boolean; kind: string; message: string };
  assert.equal(answer.ok, false, refused.stderr);
  assert.equal(answer.kind, 'locked');
  assert.ok(answer.message.includes(`process ${process.pid}`), answer.message);
  assert.ok(answer.message.includes(join(dir, 'lock')), answer.message);
  log.close();

  // The other way round: a child holds it; then it is killed and leaves its lock file behind.
  const child = spawnScript(HOLD, [dir]);
  await lineFrom(child, (line) => line === 'ready');
  assert.throws(() => open(dir), expectStoreError('locked', `process ${child.pid}`));
  child.kill('SIGKILL');
  await waitFor(child);
  assert.ok(readdirSync(dir).includes('lock'), 'the killed child left its lock file');
  const after = open(dir);
  assert.equal(after.recovery.lockTakenOverFrom?.pid, child.pid);
  assert.equal(after.read(0).records.map(String)[0], 'from the child');
  after.close();
  assert.ok(!readdirSync(dir).includes('lock'), 'close removes the lock file');

  const free = JSON.parse((await runScript(TRY_OPEN, [dir])).stdout) as { ok: boolean; next: number };
  assert.deepEqual(free, { ok: true, next: 1 });
});

test('a stale lock file left by a dead process is taken over; an unreadable one is not', async (t) => {
  const dir = tempDir(t);
  open(dir).close();
  const dead = spawnSync(process.execPath, ['-e', 'process.exit(0)']);
  writeFileSync(
    join(dir, 'lock'),
    `${JSON.stringify({ pid: dead.pid, hostname: (await import('node:os')).hostname(), start: null, boot: null, token: 'old', acquiredAt: '2024-01-01T00:00:00.000Z' })}\n`,
  );
  const log = open(dir);
  assert.equal(log.recovery.lockTakenOverFrom?.pid, dead.pid);
  log.close();

  writeFileSync(join(dir, 'lock'), 'garbage');
  assert.throws(() => open(dir), expectStoreError('locked', 'unreadable', 'delete the lock file'));
});

// ── failures of the disk ────────────────────────────────────────────────────────

test('a file where the log directory should be gives a clear error', (t) => {
  const base = tempDir(t);
  const file = join(base, 'data');
  writeFileSync(file, 'not a directory');
  assert.throws(() => DurableLog.open(file), expectStoreError('io', file, 'not a directory'));
  assert.throws(
    () => DurableLog.open(join(file, 'log', 'src')),
    expectStoreError('io', join(file, 'log', 'src')),
  );
});

/** Makes `dir` read-only for this process, or says why it cannot; returns the undo. */
function makeReadOnly(dir: string): { undo: () => void } | { reason: string } {
  if (process.getuid?.() !== 0) {
    const { mode } = statSync(dir);
    spawnSync('chmod', ['a-w', dir]);
    return { undo: () => spawnSync('chmod', [(mode & 0o777).toString(8), dir]) };
  }
  // Root ignores permission bits; an immutable directory (chattr +i) refuses even root.
  const r = spawnSync('chattr', ['+i', dir], { encoding: 'utf8' });
  if (r.error !== undefined || r.status !== 0) {
    return { reason: `running as root and chattr +i failed: ${r.error?.message ?? r.stderr.trim()}` };
  }
  return { undo: () => spawnSync('chattr', ['-i', dir]) };
}

test('a read-only directory: opening and rolling fail naming the file; what was written survives', (t) => {
  const dir = tempDir(t);
  const fresh = join(dir, 'fresh');
  mkdirSync(fresh);
  const log0 = open(join(dir, 'existing'), { segmentBytes: 4096 });
  fill(log0, 0, 10);
  log0.close();

  // Undone in `finally`, not in an after-hook: the directory cannot be removed while it is immutable.
  const undos: (() => void)[] = [];
  const readOnly = (path: string) => {
    const r = makeReadOnly(path);
    if ('undo' in r) undos.push(r.undo);
    return r;
  };
  const writable = () => {
    for (const undo of undos.splice(0)) undo();
  };
  try {
    const first = readOnly(fresh);
    if ('reason' in first) {
      t.skip(first.reason);
      return;
    }
    // A new log in a read-only directory: the lock file cannot be created.
    assert.throws(
      () => open(fresh),
      expectStoreError('io', `cannot create lock file ${join(fresh, 'lock')}`, /\[(EACCES|EPERM|EROFS)\]/),
    );
    writable();
    // An existing log whose directory becomes read-only once it is open: appends to the current
    // segment work, a roll to a new one fails naming it, and nothing of the failed append remains.
    const log = open(join(dir, 'existing'), { segmentBytes: 4096 });
    readOnly(join(dir, 'existing'));
    fill(log, 10, 12, 1);
    const next = log.nextOffset;
    const files = readdirSync(join(dir, 'existing')).sort();
    assert.throws(
      () => log.append(Array.from({ length: 40 }, (_, i) => record(next + i))),
      (e: unknown) =>
        expectStoreError('io', /\[(EACCES|EPERM|EROFS)\]/)(e) &&
        (e as StoreError).message.startsWith(`durable log: cannot create ${join(dir, 'existing')}/`) &&
        /\/\d{20}\.log$/.test((e as StoreError).path ?? ''),
    );
    assert.deepEqual(readdirSync(join(dir, 'existing')).sort(), files, 'no segment was left behind');
    assert.equal(log.nextOffset, next, 'the failed append took no offsets');
    assert.equal(checkAll(log), next);
    writable();
    fill(log, next, next + 40);
    log.close();
    const reopened = open(join(dir, 'existing'));
    assert.equal(checkAll(reopened), next + 40);
    reopened.close();
  } finally {
    writable();
  }
});

test('disk full (injected) on append: a clear error, the append undone, synced records kept', (t) => {
  const dir = tempDir(t);
  const fs = faultyFs();
  let log = open(dir, { fs, segmentBytes: 8192 });
  fill(log, 0, 100);
  log.sync();
  const active = log.segmentInfo().at(-1);
  assert.ok(active !== undefined);

  // The disk fills in the middle of the append: a short write, then ENOSPC.
  fs.writeBudget = 500;
  assert.throws(
    () => log.append(Array.from({ length: 50 }, (_, i) => record(100 + i))),
    (e: unknown) =>
      expectStoreError('io', `cannot write ${active.file}`, 'no space left on device', '[ENOSPC]')(e) &&
      (e as StoreError).errno === 'ENOSPC',
  );
  assert.equal(log.nextOffset, 100);
  assert.equal(statSync(active.file).size, active.bytes, 'the partial write was cut off');

  // Full while creating a segment: the new segment is removed again.
  fs.writeBudget = Number.POSITIVE_INFINITY;
  fill(log, 100, 110);
  const last = log.segmentInfo().at(-1);
  assert.ok(last !== undefined);
  fs.writeBudget = 8192 - last.bytes;
  const files = readdirSync(dir).sort();
  assert.throws(
    () => log.append(Array.from({ length: 60 }, (_, i) => record(110 + i))),
    expectStoreError('io', 'no space left on device'),
  );
  assert.deepEqual(readdirSync(dir).sort(), files);
  assert.equal(log.nextOffset, 110);

  // Space again: the log goes on where it was.
  fs.writeBudget = Number.POSITIVE_INFINITY;
  fill(log, 110, 200);
  log.close();
  log = open(dir);
  assert.equal(log.recovery.truncatedBytes, 0);
  assert.equal(checkAll(log), 200);
  log.close();
});

test('a failed fsync leaves the log unusable until reopened; synced records survive', (t) => {
  const dir = tempDir(t);
  const fs = faultyFs();
  let log = open(dir, { fs });
  fill(log, 0, 50);
  log.sync();
  fill(log, 50, 60);
  fs.failFsync = 'EIO';
  assert.throws(() => log.sync(), expectStoreError('io', 'cannot fsync', 'input/output error'));
  assert.equal(log.syncedOffset, 50);
  assert.throws(() => log.append(['more']), expectStoreError('unusable', 'earlier failure', 'open it again'));
  assert.equal(log.read(0, { maxRecords: 1 }).records.length, 1, 'reads still work');
  log.close();
  log = open(dir);
  assert.ok(log.nextOffset >= 50);
  assert.equal(checkAll(log), log.nextOffset);
  log.close();

  fs.failFsync = undefined;
  const always = DurableLog.open(tempDir(t), { fs, fsync: 'always' });
  fs.failFsync = 'ENOSPC';
  assert.throws(() => always.append(['x']), expectStoreError('io', 'cannot fsync', '[ENOSPC]'));
  always.close();
});

test('syncAsync: one fsync for the appends made while another runs; across a roll; a failure makes the log unusable', async (t) => {
  const fs = faultyFs();
  const log = open(tempDir(t), { fs, segmentBytes: 4096 });
  fill(log, 0, 5);
  await log.syncAsync(); // the first segment's creation: synced at once, directory too
  const before = fs.fsyncs;
  fill(log, 5, 10);
  const first = log.syncAsync();
  fill(log, 10, 12);
  const second = log.syncAsync();
  const third = log.syncAsync();
  assert.equal(log.syncedOffset, 5, 'nothing is durable before the fsync ends');
  await Promise.all([first, second, third]);
  assert.equal(log.syncedOffset, 12);
  assert.equal(fs.fsyncs - before, 2, 'the two later calls share the second fsync');
  await log.syncAsync();
  assert.equal(fs.fsyncs - before, 2, 'nothing new: no fsync');

  // A roll while an fsync runs: the rolled segment was fsynced as it closed.
  fill(log, 12, 13);
  const pending = log.syncAsync();
  fill(log, 13, 200);
  await pending;
  await log.syncAsync();
  assert.equal(log.syncedOffset, 200);

  fill(log, 200, 201);
  fs.failFsync = 'EIO';
  await assert.rejects(log.syncAsync(), expectStoreError('io', 'cannot fsync', 'input/output error'));
  assert.throws(() => log.append(['more']), expectStoreError('unusable', 'earlier failure', 'open it again'));
  await assert.rejects(log.syncAsync(), expectStoreError('unusable', 'earlier failure', 'open it again'));
  log.close();
});

test('a real full disk and a read-only file system (tmpfs in a private mount namespace)', async (t) => {
  const mountPoint = tempDir(t, 'tidewatch-tmpfs-');
  const ns = mountNamespace(mountPoint);
  if ('reason' in ns) {
    t.skip(ns.reason);
    return;
  }
  const script = `
    import { DurableLog } from ${JSON.stringify(DURABLE_LOG_URL)};
    const [dir, phase] = process.argv.slice(1);
    const pad = 'z'.repeat(280);
    const say = (o) => console.log(JSON.stringify(o));
    if (phase === 'fill') {
      const log = DurableLog.open(dir, { segmentBytes: 64 * 1024 });
      let acked = -1;
      let error;
      for (let i = 0; i < 100000 && error === undefined; i++) {
        try {
          const batch = Array.from({ length: 20 }, (_, k) => JSON.stringify({ o: acked + 1 + k, pad }));
          acked = log.append(batch).lastOffset;
          log.sync();
        } catch (e) {
          error = { kind: e.kind, errno: e.errno, message: e.message };
        }
      }
      const synced = log.syncedOffset;
      log.close();
      const again = DurableLog.open(dir);
      let ok = true;
      for (const b of again.batches(0)) b.records.forEach((r, i) => { ok &&= JSON.parse(r).o === b.firstOffset + i; });
      say({ acked, synced, error, reopened: again.nextOffset, truncated: again.recovery.truncatedBytes, ok });
      again.close();
    } else {
      try {
        DurableLog.open(dir);
        say({ opened: true });
      } catch (e) {
        say({ kind: e.kind, errno: e.errno, message: e.message });
      }
    }`;
  const dir = join(mountPoint, 'log', 'src');
  const shell = `mount -t tmpfs -o size=256k tmpfs "$1" && "$3" --input-type=module -e "$2" "$4" fill && mount -o remount,bind,ro "$1" && "$3" --input-type=module -e "$2" "$4" read-only`;
  const [cmd, ...args] = ns.prefix;
  const r = spawnSync(
    cmd as string,
    [...args, 'sh', '-c', shell, 'sh', mountPoint, script, process.execPath, dir],
    {
      encoding: 'utf8',
    },
  );
  assert.equal(r.status, 0, r.stderr);
  const [fillResult, readOnlyResult] = r.stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  assert.equal(fillResult.error.kind, 'io');
  assert.equal(fillResult.error.errno, 'ENOSPC');
  assert.match(
    fillResult.error.message,
    /durable log: cannot (write|create) .*tidewatch-tmpfs-.*\.log: no space left on device/,
  );
  assert.ok(fillResult.acked > 100, JSON.stringify(fillResult));
  assert.equal(fillResult.synced, fillResult.acked + 1);
  assert.equal(fillResult.reopened, fillResult.acked + 1, 'every acknowledged record, nothing more');
  assert.equal(fillResult.truncated, 0);
  assert.equal(fillResult.ok, true);
  assert.equal(readOnlyResult.kind, 'io');
  assert.equal(readOnlyResult.errno, 'EROFS');
  assert.ok(
    readOnlyResult.message.includes(`cannot create lock file ${join(dir, 'lock')}: read-only file system`),
  );
});
