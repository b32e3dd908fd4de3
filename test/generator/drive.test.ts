import assert from 'node:assert/strict';
import { test } from 'node:test';
import { drive, type RecordOutput } from '../../src/generator/drive.ts';
import { type LogRecord, toJsonLine } from '../../src/generator/record.ts';
import type { AttackLabel } from '../../src/generator/scenarios.ts';
import { generateFor, MemoryLabels, MemoryOutput, quantile, START } from './helpers.ts';

test('wall clock at 1000/s for 3 s: the count matches the rate and records carry the current time', async () => {
  const output = new MemoryOutput();
  const began = Date.now();
  const { records } = await drive(
    { traffic: { seed: 5, rate: 1000, startMs: began }, speedup: 1, durationSec: 3 },
    output,
  );
  const elapsed = Date.now() - began;
  assert.equal(records, output.records.length);
  assert.ok(Math.abs(records - 3000) <= 150, `${records} records`);
  assert.ok(elapsed >= 2900 && elapsed < 4500, `took ${elapsed} ms`);
  assert.ok(output.batches.length > 30, `only ${output.batches.length} batches: not paced in ticks`);
  const lags: number[] = [];
  output.batches.forEach((batch, i) => {
    const arrival = output.arrivals[i] as number;
    for (const record of batch) lags.push(arrival - record.request_timestamp);
  });
  lags.sort((a, b) => a - b);
  assert.ok((lags[0] as number) >= -5, 'a record from the future');
  // Ticks are 10 ms apart; a shared, busy CI machine may delay them, but a batch at the end would lag ~1.5 s.
  assert.ok(quantile(lags, 0.5) < 500, `median lag ${quantile(lags, 0.5)} ms`);
  assert.ok((lags.at(-1) as number) < 1000, `a record ${lags.at(-1)} ms late`);
  assert.ok(output.closed);
});

test('paced and unpaced runs write the same records', async () => {
  const traffic = { seed: 8, rate: 100, startMs: START, attacks: [{ scenario: 'brute-force' as const }] };
  const paced = new MemoryOutput();
  const pacedLabels = new MemoryLabels();
  const began = performance.now();
  await drive({ traffic, speedup: 200, durationSec: 60 }, paced, pacedLabels);
  const wall = performance.now() - began;
  assert.ok(wall >= 250 && wall < 2000, `60 s at 200x took ${wall} ms`);
  const unpaced = new MemoryOutput();
  const unpacedLabels = new MemoryLabels();
  await drive({ traffic, speedup: 'max', durationSec: 60 }, unpaced, unpacedLabels);
  assert.deepEqual(paced.records.map(toJsonLine), unpaced.records.map(toJsonLine));
  assert.deepEqual(pacedLabels.labels, unpacedLabels.labels);
  const expected = generateFor(traffic, 60);
  assert.deepEqual(unpaced.records.map(toJsonLine), expected.records.map(toJsonLine));
  assert.deepEqual(unpacedLabels.labels, expected.labels);
  assert.ok(unpaced.records.every((record) => record.request_timestamp < START + 60_000));
  assert.ok(paced.closed && pacedLabels.closed && unpaced.closed && unpacedLabels.closed);
});

test('count stops after exactly that many records; labels of running episodes end at their last request', async () => {
  const output = new MemoryOutput();
  const labels = new MemoryLabels();
  const traffic = {
    seed: 3,
    rate: 500,
    startMs: START,
    attacks: [{ scenario: 'flood' as const, rate: 100 }],
    attackDurationSec: 10,
    attackGapSec: 5,
  };
  const { records } = await drive({ traffic, speedup: 'max', count: 20_000 }, output, labels);
  assert.equal(records, 20_000);
  assert.equal(output.records.length, 20_000);
  assert.ok(output.batches.every((batch) => batch.length <= 8192));
  const last = output.records.at(-1)?.request_timestamp ?? 0;
  assert.equal(labels.labels.length, 3);
  assert.equal(labels.labels[1]?.end, '2024-01-25T12:00:25.500Z');
  const running = labels.labels.at(-1);
  const floodTimes = output.records
    .filter((record) => record.ip_address === running?.actor_ip)
    .map((record) => record.request_timestamp);
  assert.equal(Date.parse(running?.end ?? ''), Math.max(...floodTimes));
  assert.ok(Date.parse(running?.end ?? '') <= last);
});

test('an abort stops the run promptly and cleanly', async () => {
  const output = new MemoryOutput();
  const labels = new MemoryLabels();
  const controller = new AbortController();
  setTimeout(() => controller.abort(), 1000);
  const began = performance.now();
  const { records } = await drive(
    {
      traffic: { seed: 1, rate: 1000, startMs: Date.now(), attacks: [{ scenario: 'brute-force' }] },
      speedup: 1,
      signal: controller.signal,
    },
    output,
    labels,
  );
  const took = performance.now() - began;
  assert.ok(took < 1500, `stopped after ${took} ms`);
  assert.ok(records > 700 && records < 1300, `${records} records`);
  assert.equal(labels.labels.length, 1);
  assert.ok(output.closed && labels.closed);
});

test('unpaced, the event loop still runs and an abort is seen', async () => {
  const controller = new AbortController();
  const output = new MemoryOutput();
  setTimeout(() => controller.abort(), 100);
  const { records } = await drive(
    { traffic: { seed: 1, rate: 1000, startMs: START }, speedup: 'max', signal: controller.signal },
    output,
  );
  assert.ok(records > 8192, `${records} records`);
});

test('a failing output rejects the run, and both outputs are closed', async () => {
  let closed = false;
  const failing: RecordOutput = {
    write: () => Promise.reject(new Error('disk full')),
    close: async () => {
      closed = true;
    },
  };
  const labels = new MemoryLabels();
  await assert.rejects(
    drive({ traffic: { seed: 1, rate: 100, startMs: START }, speedup: 'max', count: 10 }, failing, labels),
    /disk full/,
  );
  assert.ok(closed && labels.closed);
  await assert.rejects(
    drive({ traffic: { seed: 1, rate: 100, startMs: START }, speedup: 0 }, new MemoryOutput()),
    /speedup/,
  );
});

test('with a clock, records carry its time and attack episodes follow it', async () => {
  let now = START;
  const clock = (): number => {
    now += 0.25;
    return now;
  };
  const output = new MemoryOutput();
  const labels = new MemoryLabels();
  await drive(
    {
      traffic: {
        seed: 4,
        rate: 50,
        startMs: START,
        clock,
        attacks: [{ scenario: 'sqli' }],
        attackDurationSec: 2,
      },
      speedup: 1,
      durationSec: 5,
    },
    output,
    labels,
  );
  const times = output.records.map((record) => record.request_timestamp);
  assert.ok(output.records.length > 5_000, 'paced although a clock was given');
  assert.ok(times.every((time, i) => i === 0 || time >= (times[i - 1] as number)));
  assert.ok((times.at(-1) as number) < START + 5000 && (times.at(-1) as number) > START + 4900);
  assert.equal(labels.labels[0]?.start, new Date(START + 500).toISOString());
  assert.equal(labels.labels[0]?.end, new Date(START + 2500).toISOString());
  const probes = output.records.filter((record) => record.ip_address === labels.labels[0]?.actor_ip);
  assert.ok(probes.length >= 3 && probes.length <= 5, `${probes.length} probes in 2 s at 2/s`);
});

test("each episode's label comes with the batch of its first record, at that record's index", async () => {
  const traffic = {
    seed: 4,
    rate: 100,
    startMs: START,
    attacks: (['brute-force', 'sqli', 'flood'] as const).map((scenario) => ({ scenario })),
    attackDurationSec: 20,
    attackGapSec: 20,
  };
  const firsts: { label: AttackLabel; record: LogRecord }[] = [];
  let resumedAt = Number.POSITIVE_INFINITY;
  const output: RecordOutput = {
    write: (batch, started = []) => {
      resumedAt = Math.min(resumedAt, (batch[0] as LogRecord).request_timestamp);
      for (const { label, index } of started) firsts.push({ label, record: batch[index] as LogRecord });
    },
    close: async () => {},
  };
  const labels = new MemoryLabels();
  await drive({ traffic, speedup: 'max', durationSec: 200, skip: 1000 }, output, labels);
  // Episodes that began within the skipped records are not labelled again.
  const after = labels.labels.filter((l) => Date.parse(l.start) >= resumedAt);
  assert.ok(after.length > 5 && after.length < labels.labels.length);
  for (const { label, record } of firsts) {
    assert.equal(record.request_timestamp, Date.parse(label.start), `${label.scenario} from ${label.start}`);
    assert.equal(record.ip_address, label.actor_ip);
  }
  assert.deepEqual(
    firsts.map((f) => [f.label.scenario, f.label.actor_ip, f.label.start]),
    after.map((l) => [l.scenario, l.actor_ip, l.start]),
  );
});
