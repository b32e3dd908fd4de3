import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { LogRecord } from '../../src/generator/record.ts';
import { REFERRER_SHARES } from '../../src/generator/referrers.ts';
import { TrafficGenerator } from '../../src/generator/traffic.ts';
import { generate, quantile, START, share } from './helpers.ts';

const { records } = generate({ seed: 77, rate: 1000, startMs: START }, 100_000);
const CRAWLER = /Googlebot|bingbot|DuckDuckBot|YandexBot|Baiduspider|Applebot|facebookexternalhit/;

test('base arrivals stay within 2 % of the rate', () => {
  for (const seed of [1, 2, 3, 4, 5]) {
    const generator = new TrafficGenerator({ seed, rate: 1000, startMs: START });
    let count = 0;
    while (generator.peekTime() < START + 5000) {
      generator.next();
      count += 1;
    }
    assert.ok(Math.abs(count - 5000) <= 100, `seed ${seed}: ${count} records in 5 s`);
  }
  const slow = new TrafficGenerator({ seed: 1, rate: 2, startMs: START });
  const gaps: number[] = [];
  let previous = slow.next().request_timestamp;
  for (let i = 0; i < 400; i++) {
    const time = slow.next().request_timestamp;
    gaps.push(time - previous);
    previous = time;
  }
  assert.ok(Math.max(...gaps) <= 1000 && new Set(gaps).size > 100, 'spacing not jittered within [0, 2/rate]');
});

test('status codes: mostly 200, with redirects, client errors and a few server errors', () => {
  const shareOf = (low: number, high: number): number =>
    share(records, (record) => record.status_code >= low && record.status_code < high);
  assert.ok(share(records, (record) => record.status_code === 200) > 0.7);
  assert.ok(shareOf(300, 400) > 0.05, 'too few redirects and 304s');
  assert.ok(share(records, (record) => record.status_code === 304) > 0.01);
  assert.ok(share(records, (record) => record.user_action === 'login' && record.status_code === 302) > 0.01);
  assert.ok(share(records, (record) => record.status_code === 404) > 0.002);
  assert.ok(shareOf(400, 500) > 0.005 && shareOf(400, 500) < 0.05);
  assert.ok(shareOf(500, 600) > 0.0003 && shareOf(500, 600) < 0.02, `5xx share ${shareOf(500, 600)}`);
});

test('response times have a long tail, and slow endpoints are slower', () => {
  const sorted = records.map((record) => record.response_time).sort((a, b) => a - b);
  const median = quantile(sorted, 0.5);
  assert.ok(median >= 40 && median <= 400, `median ${median} ms`);
  assert.ok(quantile(sorted, 0.99) > 8 * median, `p99 ${quantile(sorted, 0.99)} vs median ${median}`);
  assert.ok(quantile(sorted, 0.999) > 25 * median);
  const medianOf = (pattern: RegExp): number =>
    quantile(
      records
        .filter((record) => pattern.test(record.url) && record.status_code >= 200 && record.status_code < 300)
        .map((record) => record.response_time)
        .sort((a, b) => a - b),
      0.5,
    );
  const home = medianOf(/\.com$/);
  assert.ok(medianOf(/\/search\?/) > 2.5 * home, 'search is not slow');
  assert.ok(medianOf(/\/admin\/reports/) > 5 * home, 'reports are not slow');
  assert.ok(medianOf(/\/upload$/) > 5 * home, 'uploads are not slow');
});

test('logged-in users log in first, act, and mostly log out; one browser, a few addresses', () => {
  const byUser = new Map<string, LogRecord[]>();
  for (const record of records) {
    if (record.username === null) continue;
    const list = byUser.get(record.username) ?? [];
    list.push(record);
    byUser.set(record.username, list);
  }
  assert.ok(byUser.size > 500, `${byUser.size} users`);
  let loggedOut = 0;
  let severalAddresses = 0;
  for (const [name, list] of byUser) {
    assert.equal(list[0]?.user_action, 'login', `${name} acts before logging in`);
    assert.equal(new Set(list.map((record) => record.user_agent)).size, 1, `${name} changes browser`);
    assert.ok(new Set(list.map((record) => record.ip_address)).size <= 3, `${name} uses many addresses`);
    assert.equal(new Set(list.map((record) => record.user_id)).size, 1);
    if (list.some((record) => record.user_action === 'logout')) loggedOut += 1;
    if (new Set(list.map((record) => record.ip_address)).size > 1) severalAddresses += 1;
    const logins = list.filter(
      (record) => record.user_action === 'login' && record.status_code === 302,
    ).length;
    const logouts = list.filter((record) => record.user_action === 'logout').length;
    assert.ok(logouts <= logins, `${name} logs out more often than in`);
  }
  assert.ok(loggedOut > byUser.size * 0.5, `only ${loggedOut} of ${byUser.size} users logged out`);
  assert.ok(severalAddresses > byUser.size * 0.05, `only ${severalAddresses} users with several addresses`);
  const failedLogins = share(
    records,
    (record) => record.user_action === 'login' && record.status_code === 401,
  );
  assert.ok(failedLogins > 0 && failedLogins < 0.01);
});

test('anonymous visitors and crawlers have no account', () => {
  const anonymous = share(records, (record) => record.username === null && !CRAWLER.test(record.user_agent));
  const crawlers = records.filter((record) => CRAWLER.test(record.user_agent));
  assert.ok(anonymous > 0.25 && anonymous < 0.5, `anonymous share ${anonymous}`);
  assert.ok(crawlers.length / records.length > 0.06 && crawlers.length / records.length < 0.2);
  assert.ok(crawlers.every((record) => record.username === null && record.user_id === null));
  assert.ok(crawlers.every((record) => record.http_method === 'GET'));
  assert.ok(crawlers.some((record) => record.url.endsWith('/robots.txt')));
  const googlebot = crawlers.filter((record) => record.user_agent.includes('Googlebot'));
  assert.ok(googlebot.length > 0 && googlebot.every((record) => record.ip_address.startsWith('66.249.')));
});

test('referrers follow their shares among people, with short source names', () => {
  const people = records.filter((record) => !CRAWLER.test(record.user_agent));
  for (const [name, expected] of REFERRER_SHARES) {
    const actual = share(people, (record) => record.referrer === name);
    assert.ok(
      Math.abs(actual - expected) < Math.max(0.06, expected * 0.5),
      `${name}: ${actual} vs ${expected}`,
    );
  }
  assert.ok(
    share(people, (record) => record.referrer === 'google') >
      share(people, (record) => record.referrer === 'bing'),
  );
});

test('actions: browsing dominates, every action occurs', () => {
  const actionShare = (action: string): number => share(records, (record) => record.user_action === action);
  assert.ok(actionShare('view_page') + actionShare('navigate_page') > 0.5);
  assert.ok(actionShare('view_page') > actionShare('submit_form') * 3);
  for (const action of [
    'scroll_page',
    'download_file',
    'upload_file',
    'close_window',
    'open_new_tab',
    'logout',
  ]) {
    assert.ok(actionShare(action) > 0.001, `${action}: ${actionShare(action)}`);
  }
  assert.ok(actionShare('upload_file') < actionShare('download_file'));
});
