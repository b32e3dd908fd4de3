/**
 * Decisions as CrowdSec shows them: Go-style durations that Go's ParseDuration and bouncer
 * libraries read, the filters of GET /v1/decisions, and per-bouncer stream diffs.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import {
  type Decision,
  decisionOf,
  decisionsFilter,
  FilterError,
  goDuration,
  streamFilter,
} from '../../src/decisions/crowdsec-decisions.ts';
import { DecisionStreams } from '../../src/decisions/decision-streams.ts';

function decision(value: string, scenario: string, until = 7_200_000): Decision {
  return decisionOf(
    {
      sink: 's',
      entry: {
        ip: value,
        family: value.includes(':') ? 'ipv6' : 'ipv4',
        id: value.length,
        scenario,
        since: 0,
        until,
        alerts: [],
      },
    },
    0,
  );
}

describe('CrowdSec decisions', () => {
  test('durations as Go prints them (fractions of a second as seconds, as every parser reads)', () => {
    assert.deepEqual([0, 250, -250, 1000, 61_500, 3_600_000, 14_351_999, -62_000].map(goDuration), [
      '0s',
      '0.25s',
      '-0.25s',
      '1s',
      '1m1.5s',
      '1h0m0s',
      '3h59m11.999s',
      '-1m2s',
    ]);
    const d = decision('203.0.113.7', 'brute-force');
    assert.deepEqual(d, {
      id: 11,
      origin: 'tidewatch',
      type: 'ban',
      scope: 'Ip',
      value: '203.0.113.7',
      duration: '2h0m0s',
      until: '1970-01-01T02:00:00.000Z',
      scenario: 'brute-force',
      simulated: false,
    });
  });

  test("GET /v1/decisions' filters", () => {
    const all = [decision('203.0.113.7', 'brute-force'), decision('2001:db8::1', 'path-scan')];
    const pick = (q: string) => all.filter(decisionsFilter(new URLSearchParams(q))).map((d) => d.value);
    assert.deepEqual(pick(''), ['203.0.113.7', '2001:db8::1']);
    assert.deepEqual(pick('ip=2001:0db8::1'), ['2001:db8::1']);
    assert.deepEqual(pick('scope=Ip&value=203.0.113.7'), ['203.0.113.7']);
    assert.deepEqual(pick('range=203.0.113.0/24&contains=false'), ['203.0.113.7']);
    assert.deepEqual(pick('range=203.0.113.0/24'), []);
    assert.deepEqual(pick('range=203.0.113.7/32'), ['203.0.113.7']);
    assert.deepEqual(pick('type=ban&scenarios_not_containing=brute'), ['2001:db8::1']);
    assert.deepEqual(pick('origins=crowdsec,cscli'), []);
    assert.throws(() => decisionsFilter(new URLSearchParams('ip=nope')), FilterError);
    assert.throws(() => decisionsFilter(new URLSearchParams('range=1.2.3.0/99')), FilterError);
    assert.deepEqual(all.filter(streamFilter(new URLSearchParams('scopes=range'))), []);
    assert.equal(all.filter(streamFilter(new URLSearchParams('scopes=ip,range'))).length, 2);
  });

  test('a stream gives each bouncer what changed since its own last pull, and keeps that on disk', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tw-streams-'));
    try {
      const a = decision('203.0.113.7', 'x');
      const b = decision('198.51.100.1', 'x');
      const streams = new DecisionStreams(dir);
      assert.deepEqual(streams.pull('fw', [a], true), { new: [a], deleted: [] });
      assert.deepEqual(streams.pull('fw', [a, b], false), { new: [b], deleted: [] });
      const longer = { ...a, until: '1970-01-01T03:00:00.000Z' };
      const reopened = new DecisionStreams(dir);
      assert.deepEqual(reopened.pull('fw', [longer], false), { new: [longer], deleted: [b] });
      assert.deepEqual(reopened.pull('other', [longer], false), { new: [longer], deleted: [] });
      assert.deepEqual(reopened.pull('fw', [longer], false), { new: [], deleted: [] });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
