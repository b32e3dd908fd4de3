// The durable log (src/store/durable-log.ts): append rate with fsync policy 'epoch' (a sync every
// 50,000 records), replay rate, and the time to open (recover) a log, for generator NDJSON
// lines and for 300-byte records. Baselines of the same run: fs.writeSync of the same bytes as
// plain NDJSON with the same fsyncs, and reading that NDJSON file back split into lines. Best of
// three runs after a warm-up, in a temporary directory on the system's temporary file system.
import { closeSync, fsyncSync, mkdtempSync, openSync, readSync, rmSync, statSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { toJsonLine } from '../src/generator/record.ts';
import { TrafficGenerator } from '../src/generator/traffic.ts';
import { DurableLog } from '../src/store/durable-log.ts';
import { bestOf, formatRate, report } from './measure.ts';

const N = 300_000;
const BATCH = 500; // records per append, as an HTTP POST of the generator's default batch
const SYNC_EVERY = 50_000;
const root = mkdtempSync(join(tmpdir(), 'tidewatch-bench-log-'));
process.on('exit', () => rmSync(root, { recursive: true, force: true }));
let runs = 0;

function mbPerSecond(bytes: number, seconds: number): string {
  return `${(bytes / seconds / 1e6).toFixed(0)} MB/s`;
}

function ratio(rate: number, baseline: number): string {
  return `(${((rate / baseline) * 100).toFixed(0)}% of baseline)`;
}

async function measure(name: string, lines: readonly string[]): Promise<void> {
  const bytes = lines.reduce((sum, l) => sum + Buffer.byteLength(l), 0);
  const batches: string[][] = [];
  for (let i = 0; i < N; i += BATCH) batches.push(lines.slice(i, i + BATCH));
  const ndjson = batches.map((b) => Buffer.from(`${b.join('\n')}\n`));

  // Baseline: the same bytes as NDJSON, one write per batch, the same fsyncs.
  const baselineFile = join(root, 'baseline.ndjson');
  const baselineAppend = await bestOf(3, N, () => {
    const fd = openSync(baselineFile, 'w');
    for (let i = 0; i < ndjson.length; i++) {
      writeSync(fd, ndjson[i] as Buffer);
      if (((i + 1) * BATCH) % SYNC_EVERY === 0) fsyncSync(fd);
    }
    fsyncSync(fd);
    closeSync(fd);
  });

  let lastLog = '';
  const append = await bestOf(3, N, () => {
    if (lastLog !== '') rmSync(lastLog, { recursive: true, force: true });
    lastLog = join(root, `log-${runs++}`);
    const log = DurableLog.open(lastLog, { fsync: 'epoch' });
    for (let i = 0; i < batches.length; i++) {
      log.append(batches[i] as string[]);
      if (((i + 1) * BATCH) % SYNC_EVERY === 0) log.sync();
    }
    log.close();
  });

  // One record per append: a write system call each.
  const single = await bestOf(1, N / 10, () => {
    const dir = join(root, `single-${runs++}`);
    const log = DurableLog.open(dir, { fsync: 'epoch' });
    for (let i = 0; i < N / 10; i++) {
      log.append([lines[i] as string]);
      if ((i + 1) % SYNC_EVERY === 0) log.sync();
    }
    log.close();
    rmSync(dir, { recursive: true, force: true });
  });

  // Replay: every record from offset 0, in 1 MiB batches; baseline: the NDJSON file cut into lines.
  const baselineReplay = await bestOf(3, N, () => {
    const fd = openSync(baselineFile, 'r');
    let count = 0;
    let pos = 0;
    let carry = Buffer.alloc(0);
    for (;;) {
      const chunk = Buffer.allocUnsafe(1 << 20);
      const n = readSync(fd, chunk, 0, chunk.length, pos);
      if (n === 0) break;
      pos += n;
      const data = carry.length > 0 ? Buffer.concat([carry, chunk.subarray(0, n)]) : chunk.subarray(0, n);
      const batch: Buffer[] = [];
      let start = 0;
      for (let nl = data.indexOf(10, start); nl >= 0; nl = data.indexOf(10, start)) {
        batch.push(data.subarray(start, nl));
        start = nl + 1;
      }
      count += batch.length;
      carry = data.subarray(start);
    }
    closeSync(fd);
    if (count !== N) throw new Error(`baseline read ${count} lines`);
  });
  const log = DurableLog.open(lastLog, { fsync: 'never' });
  const replay = await bestOf(3, N, () => {
    let count = 0;
    let payload = 0;
    for (const batch of log.batches(0)) {
      count += batch.records.length;
      for (const r of batch.records) payload += r.length;
    }
    if (count !== N || payload !== bytes) throw new Error(`replayed ${count} records, ${payload} bytes`);
  });
  log.close();

  // Recovery: open scans the last segment (segments of 64 MiB).
  const probe = DurableLog.open(lastLog, { fsync: 'never' });
  const segments = probe.segmentInfo();
  probe.close();
  let openMs = Number.POSITIVE_INFINITY;
  for (let i = 0; i < 3; i++) {
    const reopened = DurableLog.open(lastLog, { fsync: 'never' });
    openMs = Math.min(openMs, reopened.recovery.milliseconds);
    reopened.close();
  }
  const scanned = statSync(segments.at(-1)?.file as string).size;

  console.log(
    `\n${name}: ${N.toLocaleString('en-US')} records of ${(bytes / N).toFixed(0)} bytes on average, ${BATCH} per append, fsync 'epoch' every ${SYNC_EVERY.toLocaleString('en-US')}`,
  );
  report([
    [
      'baseline: fs.writeSync of the same NDJSON bytes, same fsyncs',
      `${formatRate(baselineAppend.perSecond)}  ${mbPerSecond(bytes, N / baselineAppend.perSecond)}`,
    ],
    [
      'durable log append',
      `${formatRate(append.perSecond)}  ${mbPerSecond(bytes, N / append.perSecond)}  ${ratio(append.perSecond, baselineAppend.perSecond)}`,
    ],
    ['durable log append, one record per call', formatRate(single.perSecond)],
    [
      'baseline: read the NDJSON file, cut into lines',
      `${formatRate(baselineReplay.perSecond)}  ${mbPerSecond(bytes, N / baselineReplay.perSecond)}`,
    ],
    [
      'durable log replay (checksums checked)',
      `${formatRate(replay.perSecond)}  ${mbPerSecond(bytes, N / replay.perSecond)}  ${ratio(replay.perSecond, baselineReplay.perSecond)}`,
    ],
    [
      `open (recovery scan of the last of ${segments.length} segments, ${(scanned / 2 ** 20).toFixed(0)} MiB)`,
      `${openMs.toFixed(0)} ms  ${mbPerSecond(scanned, openMs / 1000)}`,
    ],
  ]);
}

const generator = new TrafficGenerator({ seed: 1, rate: 200, startMs: Date.parse('2024-01-25T00:00:00Z') });
const generated = Array.from({ length: N }, () => toJsonLine(generator.next()));
await measure('generator NDJSON lines', generated);
const fixed = generated.map((line, i) => {
  const trimmed = `{"n":${i},"line":${JSON.stringify(line.slice(0, 300))}}`;
  return trimmed.slice(0, 300).padEnd(300, ' ');
});
await measure('300-byte records', fixed);
