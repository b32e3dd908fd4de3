import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  parseAttackList,
  SCENARIOS,
  type ScenarioName,
  TrafficGenerator,
} from '../../src/generator/traffic.ts';
import { START } from './helpers.ts';

test('the canonical scenario names', () => {
  assert.deepEqual([...SCENARIOS].sort(), [
    'account-takeover',
    'bad-bot',
    'brute-force',
    'credential-stuffing',
    'degradation',
    'flood',
    'path-scan',
    'sqli',
    'xss',
  ]);
});

test('attack lists: names, the scan alias and rates', () => {
  assert.deepEqual(parseAttackList('brute-force,scan:20'), [
    { scenario: 'brute-force' },
    { scenario: 'path-scan', rate: 20 },
  ]);
  assert.deepEqual(parseAttackList(' sqli : 0.5 , xss '), [
    { scenario: 'sqli', rate: 0.5 },
    { scenario: 'xss' },
  ]);
  assert.deepEqual(parseAttackList(''), []);
  assert.deepEqual(
    parseAttackList(SCENARIOS.join(',')).map((request) => request.scenario),
    [...SCENARIOS],
  );
});

test('attack lists: a bad item is named in the error', () => {
  const cases: [string, RegExp][] = [
    ['brute-force,portscan', /"portscan".*known: brute-force/],
    ['flood:0', /"flood:0".*positive/],
    ['flood:-3', /"flood:-3"/],
    ['flood:fast', /"flood:fast"/],
    ['flood:', /"flood:"/],
    ['flood:1:2', /"flood:1:2"/],
    ['sqli,,xss', /""/],
    ['scan,path-scan', /"path-scan" is listed twice/],
  ];
  for (const [text, message] of cases) {
    assert.throws(() => parseAttackList(text), message, text);
  }
});

test('the generator refuses bad options', () => {
  const base = { seed: 1, rate: 10, startMs: START };
  assert.throws(() => new TrafficGenerator({ ...base, rate: 0 }), /rate/);
  assert.throws(() => new TrafficGenerator({ ...base, startMs: Number.NaN }), /start/);
  assert.throws(
    () => new TrafficGenerator({ ...base, attacks: [{ scenario: 'ddos' as ScenarioName }] }),
    /unknown attack scenario "ddos"/,
  );
  assert.throws(() => new TrafficGenerator({ ...base, attacks: [{ scenario: 'flood', rate: -1 }] }), /flood/);
  assert.throws(() => new TrafficGenerator({ ...base, attackDurationSec: 0 }), /attackDurationSec/);
});
