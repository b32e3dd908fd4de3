/**
 * The blocklist's pure parts: addresses made canonical and matched against CIDR allow-lists of
 * both families; blocks made, extended, ended and lifted as functions of the detections and
 * the clock (so a redelivery changes nothing); the files' text.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ipsetText, nginxDenyText, plainListText } from '../../src/sinks/blocklist-files.ts';
import {
  alertResolved,
  type BlocklistState,
  block,
  EMPTY_BLOCKLIST,
  prune,
} from '../../src/sinks/blocklist-state.ts';
import { AllowList, type IpAddress, parseIp, parseRange } from '../../src/sinks/ip-address.ts';

const ip = (text: string) => parseIp(text) as IpAddress;
const HOUR = 3_600_000;

describe('addresses', () => {
  test('canonical text; IPv4-mapped IPv6 is IPv4; anything else is no address', () => {
    assert.deepEqual(parseIp('2001:0DB8:0:0::1'), { text: '2001:db8::1', family: 'ipv6' });
    assert.deepEqual(parseIp(' 203.0.113.7 '), { text: '203.0.113.7', family: 'ipv4' });
    assert.deepEqual(parseIp('::ffff:198.51.100.9'), { text: '198.51.100.9', family: 'ipv4' });
    for (const no of ['alice', '999.1.1.1', '01.2.3.4', '1.2.3.4/32', '', '1.2.3'])
      assert.equal(parseIp(no), undefined, no);
    assert.equal(parseRange('10.0.0.0/33'), undefined);
    assert.equal(parseRange('10.0.0.0/8/1'), undefined);
  });

  test('an allow-list of addresses and ranges of both families', () => {
    const allow = new AllowList(['10.0.0.0/8', '192.0.2.1', '2001:db8:ffff::/48', 'office']);
    assert.deepEqual(allow.invalid, ['office']);
    assert.equal(allow.allows(ip('10.200.3.4')), true);
    assert.equal(allow.allows(ip('11.0.0.1')), false);
    assert.equal(allow.allows(ip('192.0.2.1')), true);
    assert.equal(allow.allows(ip('192.0.2.2')), false);
    assert.equal(allow.allows(ip('2001:db8:ffff:1::5')), true);
    assert.equal(allow.allows(ip('2001:db8:fffe::5')), false);
  });
});

describe('blocks', () => {
  const detect = (s: BlocklistState, addr: string, at: number, alert?: string, scenario = 'path-scan') =>
    block(s, 'sink', { ip: ip(addr), scenario, alert, at }, HOUR);

  test('a detection blocks for the duration from its commit; a later one extends it', () => {
    let s = detect(EMPTY_BLOCKLIST, '203.0.113.7', 1000);
    const first = s.entries[0];
    assert.equal(first?.until, 1000 + HOUR);
    s = detect(s, '203.0.113.7', 5000, undefined, 'brute-force');
    assert.equal(s.entries.length, 1);
    assert.equal(s.entries[0]?.until, 5000 + HOUR);
    assert.equal(s.entries[0]?.scenario, 'brute-force');
    assert.equal(s.entries[0]?.id, first?.id, 'one block keeps its id');
    // Delivered again (at least once), nothing changes.
    assert.deepEqual(detect(s, '203.0.113.7', 5000, undefined, 'brute-force'), s);
    // An older detection delivered late does not shorten the block.
    assert.equal(detect(s, '203.0.113.7', 2000).entries[0]?.until, 5000 + HOUR);
  });

  test('blocks end at their time; a new block of the same address has a new id', () => {
    const s = detect(EMPTY_BLOCKLIST, '198.51.100.1', 0);
    assert.equal(prune(s, HOUR - 1, undefined).entries.length, 1);
    const ended = prune(s, HOUR, undefined);
    assert.equal(ended.entries.length, 0);
    const again = detect(ended, '198.51.100.1', 2 * HOUR);
    assert.notEqual(again.entries[0]?.id, s.entries[0]?.id);
    assert.equal(prune(s, 10, undefined), s, 'nothing pruned: the same state');
  });

  test('with unblock_on_resolve, the block lifts once none of its alerts is open', () => {
    let s = detect(EMPTY_BLOCKLIST, '192.0.2.9', 0, 'a1');
    s = detect(s, '192.0.2.9', 10, 'a2');
    s = alertResolved(s, ip('192.0.2.9'), 'a1');
    assert.equal(s.entries.length, 1);
    s = alertResolved(s, ip('192.0.2.9'), 'a2');
    assert.equal(s.entries.length, 0);
  });

  test('the allow-list prunes what it allows', () => {
    const s = detect(detect(EMPTY_BLOCKLIST, '10.1.1.1', 0), '2001:db8::7', 0);
    assert.deepEqual(
      prune(s, 1, new AllowList(['10.0.0.0/8'])).entries.map((e) => e.ip),
      ['2001:db8::7'],
    );
  });
});

describe('files', () => {
  const entries = [
    { ip: '2001:db8::1', family: 'ipv6' as const, id: 1, scenario: 's', since: 0, until: 90_500, alerts: [] },
    {
      ip: '203.0.113.7',
      family: 'ipv4' as const,
      id: 2,
      scenario: 's',
      since: 0,
      until: 3_600_000,
      alerts: [],
    },
  ];

  test('nginx deny lines, a plain list and ipset restore input, IPv4 first', () => {
    assert.equal(
      nginxDenyText('x', entries),
      '# tidewatch blocklist sink x: 2 address(es); replaced whole, do not edit\ndeny 203.0.113.7;\ndeny 2001:db8::1;\n',
    );
    assert.equal(plainListText(entries), '203.0.113.7\n2001:db8::1\n');
    assert.equal(
      ipsetText({ ipsetName: 'tw', ipsetTimeout: 3600 }, entries, 0),
      [
        'create tw hash:ip family inet timeout 3600 -exist',
        'flush tw',
        'add tw 203.0.113.7 timeout 3600 -exist',
        'create tw-v6 hash:ip family inet6 timeout 3600 -exist',
        'flush tw-v6',
        'add tw-v6 2001:db8::1 timeout 91 -exist',
        '',
      ].join('\n'),
    );
  });
});
