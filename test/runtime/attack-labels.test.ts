/**
 * The attack-label file on its own: labels are released with the epoch that consumes their
 * first event, a restart keeps pending only those beyond the committed offset, and what a crash
 * left — a half-written line, labels whose events never reached the log — is cut at start.
 */
import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { type AttackLabel, AttackLabelFile } from '../../src/runtime/attack-labels.ts';

function label(n: number): AttackLabel {
  return {
    scenario: 'brute-force',
    actor_ip: `203.0.113.${n}`,
    actor_user: null,
    target: '/login',
    start: '2024-01-25T12:00:00.000Z',
    end: '2024-01-25T12:01:00.000Z',
  };
}

function withFile(run: (path: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), 'tw-label-file-'));
  try {
    run(join(dir, 'attack-labels.ndjson'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('a label is released once, by the epoch that consumes its first event', () =>
  withFile((path) => {
    const file = new AttackLabelFile(path, { fsync: false, committed: () => 0, notices: [] });
    file.append('logs', [
      { label: label(1), offset: 10 },
      { label: label(2), offset: 30 },
    ]);
    assert.deepEqual(file.release({ logs: 10 }), []);
    assert.deepEqual(
      file.release({ logs: 11 }).map((l) => [l.actor_ip, l.source]),
      [['203.0.113.1', 'logs']],
    );
    assert.deepEqual(file.release({ other: 100 }), []);
    assert.deepEqual(
      file.release({ logs: 31 }).map((l) => l.actor_ip),
      ['203.0.113.2'],
    );
    assert.deepEqual(file.release({ logs: 100 }), []);
    assert.equal(file.total, 2);
    file.close();
  }));

test('a restart keeps pending the labels beyond the committed offset, and cuts what a crash left', () =>
  withFile((path) => {
    const first = new AttackLabelFile(path, { fsync: true, committed: () => 0, notices: [] });
    first.append('logs', [
      { label: label(1), offset: 10 },
      { label: label(2), offset: 30 },
      { label: label(3), offset: 50 },
    ]);
    first.close();
    appendFileSync(path, '{"scenario":"flood","actor_ip":"198.51');
    const notices: string[] = [];
    const second = new AttackLabelFile(path, { fsync: true, committed: () => 20, notices });
    // The log holds records up to offset 39: the third label's first event never reached it.
    assert.equal(second.cutOrphans('logs', 40), 1);
    assert.equal(second.cutOrphans('logs', 40), 0);
    assert.equal(notices.length, 2, notices.join('\n'));
    assert.deepEqual(
      second.release({ logs: 60 }).map((l) => l.actor_ip),
      ['203.0.113.2'],
    );
    second.append('logs', [{ label: label(4), offset: 40 }]);
    second.close();
    const lines = readFileSync(path, 'utf8').trimEnd().split('\n');
    assert.deepEqual(
      lines.map((l) => (JSON.parse(l) as { actor_ip: string }).actor_ip),
      ['203.0.113.1', '203.0.113.2', '203.0.113.4'],
    );
  }));

test('lines written before labels named their events stay in the file and are never released', () =>
  withFile((path) => {
    appendFileSync(path, `${JSON.stringify(label(9))}\n`);
    const file = new AttackLabelFile(path, { fsync: false, committed: () => 0, notices: [] });
    file.append('logs', [{ label: label(1), offset: 0 }]);
    assert.equal(file.cutOrphans('logs', 0), 1);
    assert.deepEqual(file.release({ logs: 10 }), []);
    file.close();
    assert.equal(readFileSync(path, 'utf8'), `${JSON.stringify(label(9))}\n`);
  }));
