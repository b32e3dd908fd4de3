import assert from 'node:assert/strict';
import { test } from 'node:test';
import { toJsonLine } from '../../src/generator/record.ts';
import { type AttackRequest, SCENARIOS, type TrafficOptions } from '../../src/generator/traffic.ts';
import { generate, START } from './helpers.ts';

const ALL_ATTACKS: AttackRequest[] = SCENARIOS.map((scenario) => ({ scenario }));

function ndjson(options: TrafficOptions, count: number): { text: string; labels: string } {
  const { records, labels } = generate(options, count);
  return { text: records.map(toJsonLine).join('\n'), labels: JSON.stringify(labels) };
}

test('the same seed and start give byte-identical records and labels', () => {
  const options = {
    seed: 42,
    rate: 500,
    startMs: START,
    attacks: ALL_ATTACKS,
    attackDurationSec: 5,
    attackGapSec: 3,
  };
  const first = ndjson(options, 20_000);
  const second = ndjson({ ...options, attacks: ALL_ATTACKS.map((attack) => ({ ...attack })) }, 20_000);
  assert.equal(first.text, second.text);
  assert.equal(first.labels, second.labels);
  assert.notEqual(first.labels, '[]');
});

test('different seeds give different traffic', () => {
  const a = ndjson({ seed: 1, rate: 500, startMs: START }, 2_000).text.split('\n');
  const b = ndjson({ seed: 2, rate: 500, startMs: START }, 2_000).text.split('\n');
  const same = a.filter((line, i) => line === b[i]).length;
  assert.ok(same < 20, `${same} of 2000 lines identical`);
});

test('a different start shifts event time but not what happens', () => {
  const { records: early } = generate({ seed: 3, rate: 200, startMs: START }, 3_000);
  const { records: late } = generate({ seed: 3, rate: 200, startMs: START + 86_400_000 }, 3_000);
  for (let i = 0; i < early.length; i++) {
    const a = early[i];
    const b = late[i];
    assert.ok(a && b);
    assert.equal(b.request_timestamp - a.request_timestamp, 86_400_000);
    assert.deepEqual({ ...b, request_timestamp: 0 }, { ...a, request_timestamp: 0 });
  }
});

test('injected attacks leave the normal traffic as it was', () => {
  const { records: quiet } = generate({ seed: 9, rate: 400, startMs: START }, 30_000);
  const attacks: AttackRequest[] = [
    { scenario: 'brute-force' },
    { scenario: 'path-scan' },
    { scenario: 'flood' },
  ];
  const { records: attacked, labels } = generate({ seed: 9, rate: 400, startMs: START, attacks }, 60_000);
  const attackers = new Set(labels.map((label) => label.actor_ip));
  assert.equal(attackers.size, labels.length);
  const normal = attacked.filter((record) => !attackers.has(record.ip_address)).slice(0, quiet.length);
  assert.equal(normal.length, quiet.length);
  assert.deepEqual(normal.map(toJsonLine), quiet.map(toJsonLine));
});
