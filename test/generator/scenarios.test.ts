import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { LogRecord } from '../../src/generator/record.ts';
import { DEFAULT_RATES } from '../../src/generator/scenarios.ts';
import { type AttackLabel, SCENARIOS, type ScenarioName } from '../../src/generator/traffic.ts';
import { generateFor, quantile, START, within } from './helpers.ts';

const DURATION_SEC = 20;
const GAP_SEC = 10;
const RUN_SEC = 75;

const { records, labels } = generateFor(
  {
    seed: 2024,
    rate: 200,
    startMs: START,
    attacks: SCENARIOS.map((scenario) => ({ scenario })),
    attackDurationSec: DURATION_SEC,
    attackGapSec: GAP_SEC,
  },
  RUN_SEC,
);

function labelsOf(scenario: ScenarioName): AttackLabel[] {
  return labels.filter((label) => label.scenario === scenario);
}

function fromActor(label: AttackLabel): LogRecord[] {
  return records.filter((record) => record.ip_address === label.actor_ip && within(record, label));
}

function decoded(url: string): string {
  try {
    return decodeURIComponent(url.replaceAll('+', ' '));
  } catch {
    return url;
  }
}

/** Attack events expected in one full episode, with room for the jitter of their spacing. */
function expected(scenario: ScenarioName): number {
  return Math.floor(DEFAULT_RATES[scenario] * DURATION_SEC * 0.8);
}

test('every scenario runs in episodes of the requested length and gap, staggered from the start', () => {
  SCENARIOS.forEach((scenario, i) => {
    const episodes = labelsOf(scenario);
    assert.equal(episodes.length, 3, `${scenario}: ${episodes.length} episodes`);
    const [first, second, third] = episodes as [AttackLabel, AttackLabel, AttackLabel];
    const firstStart = Date.parse(first.start) - START;
    assert.ok(firstStart >= 0 && firstStart <= 5000, `${scenario} starts ${firstStart} ms in`);
    assert.ok(
      SCENARIOS.slice(0, i).every(
        (earlier) => Date.parse(labelsOf(earlier)[0]?.start ?? '') < Date.parse(first.start),
      ),
    );
    for (const episode of [first, second]) {
      assert.equal(Date.parse(episode.end) - Date.parse(episode.start), DURATION_SEC * 1000, scenario);
    }
    assert.equal(Date.parse(second.start) - Date.parse(first.end), GAP_SEC * 1000);
    // the third is still running at the end: it ends at its last request
    assert.ok(Date.parse(third.end) < Date.parse(third.start) + DURATION_SEC * 1000);
    assert.ok(Date.parse(third.end) <= START + RUN_SEC * 1000);
    if (scenario !== 'degradation')
      assert.notEqual(first.actor_ip, second.actor_ip, `${scenario} reuses its actor`);
  });
});

test('brute-force: many failed logins on one account from the labelled address', () => {
  for (const label of labelsOf('brute-force').slice(0, 2)) {
    assert.equal(label.target, label.actor_user);
    const failed = fromActor(label).filter(
      (record) =>
        record.user_action === 'login' && record.status_code === 401 && record.username === label.actor_user,
    );
    assert.ok(failed.length >= expected('brute-force') * 0.6, `${failed.length} failed logins`);
    assert.ok(failed.every((record) => record.http_method === 'POST' && record.security_level === 'high'));
  }
});

test('credential-stuffing: failed logins on many accounts from one address', () => {
  for (const label of labelsOf('credential-stuffing').slice(0, 2)) {
    const logins = fromActor(label).filter((record) => record.user_action === 'login');
    const failed = logins.filter((record) => record.status_code === 401);
    assert.ok(failed.length >= expected('credential-stuffing') * 0.9, `${failed.length} failed logins`);
    assert.ok(new Set(logins.map((record) => record.username)).size >= 50);
    assert.ok(
      logins.some((record) => record.user_id === null),
      'no attempt on an unknown account',
    );
  }
});

test('path-scan: many distinct missing paths from one address', () => {
  for (const label of labelsOf('path-scan').slice(0, 2)) {
    const probes = fromActor(label);
    const missing = probes.filter((record) => record.status_code === 404);
    assert.ok(missing.length >= expected('path-scan') * 0.8, `${missing.length} 404s`);
    assert.ok(new Set(missing.map((record) => record.url)).size >= expected('path-scan') * 0.7);
    assert.ok(probes.some((record) => /\/(\.env|wp-admin|wp-login\.php|phpmyadmin|\.git)/.test(record.url)));
  }
});

test('sqli and xss: injection payloads in the URLs from one address', () => {
  const patterns = {
    sqli: /(union\s+(all\s+)?select|select\s|sleep\(|waitfor\s+delay|pg_sleep|drop\s+table|extractvalue|convert\(|order\s+by\s+\d|'\s*(or|and)\s|\d\s+and\s+\d|'--)/i,
    xss: /(<script|onerror\s*=|onload\s*=|ontoggle\s*=|javascript:|<iframe|<svg)/i,
  } as const;
  for (const scenario of ['sqli', 'xss'] as const) {
    for (const label of labelsOf(scenario).slice(0, 2)) {
      const requests = fromActor(label);
      const probes = requests.filter((record) => patterns[scenario].test(decoded(record.url)));
      assert.equal(probes.length, requests.length, `${scenario}: not every request is a probe`);
      assert.ok(probes.length >= expected(scenario), `${scenario}: ${probes.length} probes`);
      assert.ok(
        probes.every((record) => new URL(record.url).pathname === new URL(probes[0]?.url ?? '').pathname),
      );
    }
  }
  const normal = records.filter((record) => !labels.some((label) => label.actor_ip === record.ip_address));
  assert.ok(
    !normal.some(
      (record) => patterns.sqli.test(decoded(record.url)) || patterns.xss.test(decoded(record.url)),
    ),
  );
});

test('bad-bot: a scraper with a tool user agent', () => {
  const tools =
    /sqlmap|nikto|masscan|python-requests|curl|go-http-client|scrapy|wget|zgrab|httrack|libwww|httpx|nuclei|okhttp/i;
  for (const label of labelsOf('bad-bot').slice(0, 2)) {
    const requests = fromActor(label);
    assert.ok(requests.length >= expected('bad-bot'), `${requests.length} requests`);
    assert.ok(requests.every((record) => tools.test(record.user_agent)));
    assert.ok(
      new Set(requests.map((record) => record.url)).size >= expected('bad-bot') * 0.9,
      'not scraping',
    );
  }
  const crawlers = records.filter((record) => /Googlebot|bingbot/.test(record.user_agent));
  assert.ok(crawlers.length > 0 && !crawlers.some((record) => tools.test(record.user_agent)));
});

test('flood: one address sends far more than anyone else', () => {
  for (const label of labelsOf('flood').slice(0, 2)) {
    const requests = fromActor(label);
    assert.ok(requests.length >= expected('flood'), `${requests.length} requests`);
    assert.ok(requests.every((record) => record.url === requests[0]?.url));
    assert.ok(requests.some((record) => record.status_code === 429));
    const others = new Map<string, number>();
    for (const record of records) {
      if (within(record, label) && record.ip_address !== label.actor_ip) {
        others.set(record.ip_address, (others.get(record.ip_address) ?? 0) + 1);
      }
    }
    assert.ok(Math.max(...others.values()) * 10 < requests.length);
  }
});

test('account-takeover: one account logged into from many addresses within minutes', () => {
  for (const label of labelsOf('account-takeover').slice(0, 2)) {
    assert.ok(label.actor_user !== null);
    const requests = records.filter(
      (record) =>
        record.username === label.actor_user && within(record, label) && record.referrer === 'direct',
    );
    const logins = requests.filter((record) => record.user_action === 'login' && record.status_code === 302);
    assert.ok(new Set(logins.map((record) => record.ip_address)).size >= 4, `${logins.length} logins`);
    assert.ok(requests.some((record) => record.ip_address === label.actor_ip));
    assert.ok(requests.some((record) => /\/account\/(email|password|export)/.test(record.url)));
  }
});

test('degradation: one endpoint gets slow and fails for ordinary visitors', () => {
  for (const label of labelsOf('degradation').slice(0, 2)) {
    assert.equal(label.actor_ip, null);
    const route = new RegExp(`^${label.target.replace(/:\w+/g, '[^/?]+').replace('?', '\\?')}(\\?|$)`);
    const attackers = new Set(labels.map((episode) => episode.actor_ip));
    const hits = records.filter(
      (record) => !attackers.has(record.ip_address) && route.test(new URL(record.url).pathname),
    );
    const during = hits.filter((record) => within(record, label));
    const outside = hits.filter((record) =>
      labelsOf('degradation').every((episode) => !within(record, episode)),
    );
    assert.ok(during.length >= expected('degradation'), `${during.length} requests`);
    const median = (list: LogRecord[]): number =>
      quantile(
        list.map((record) => record.response_time).sort((a, b) => a - b),
        0.5,
      );
    assert.ok(median(during) > 4 * median(outside), `median ${median(during)} vs ${median(outside)} ms`);
    const failures = during.filter((record) => record.status_code >= 500).length;
    assert.ok(failures > during.length * 0.2, `${failures} of ${during.length} failed`);
    assert.ok(
      new Set(during.map((record) => record.ip_address)).size > during.length / 2,
      'not many visitors',
    );
  }
});

test('the records carry no trace of the labels', () => {
  for (const record of records.slice(0, 5000)) {
    assert.equal(Object.keys(record).length, 12);
  }
  assert.ok(
    labels.every((label) => Object.keys(label).join() === 'scenario,actor_ip,actor_user,target,start,end'),
  );
});
