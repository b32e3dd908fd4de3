import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LOG_RECORD_COLUMNS, SECURITY_LEVELS, toJsonLine, USER_ACTIONS } from '../../src/generator/record.ts';
import { SITE } from '../../src/generator/site.ts';
import { SCENARIOS } from '../../src/generator/traffic.ts';
import { generateFor, START } from './helpers.ts';

const POST_ACTIONS = new Set(['submit_form', 'login', 'logout', 'upload_file']);

test('every record, normal or attack, is valid in the reference schema', () => {
  const { records } = generateFor(
    {
      seed: 11,
      rate: 300,
      startMs: START,
      attacks: SCENARIOS.map((scenario) => ({ scenario })),
      attackDurationSec: 10,
      attackGapSec: 5,
    },
    40,
  );
  assert.ok(records.length > 12_000, `only ${records.length} records`);
  const columns = LOG_RECORD_COLUMNS.map(([name]) => name);
  let previous = Number.NEGATIVE_INFINITY;
  for (const record of records) {
    const where = JSON.stringify(record);
    assert.deepEqual(Object.keys(record), columns, where);
    const parsed = JSON.parse(toJsonLine(record)) as Record<string, unknown>;
    assert.deepEqual(Object.keys(parsed), columns, where);
    assert.equal(typeof parsed.request_timestamp, 'string');
    const stamp = parsed.request_timestamp as string;
    assert.match(stamp, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/, where);
    assert.equal(new Date(stamp).toISOString(), stamp, where);
    assert.equal(Date.parse(stamp), record.request_timestamp, where);
    assert.ok(Number.isInteger(record.request_timestamp) && record.request_timestamp >= previous, where);
    previous = record.request_timestamp;

    assert.match(record.ip_address, /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/, where);
    assert.ok(
      record.ip_address.split('.').every((octet) => Number(octet) <= 255),
      where,
    );
    assert.ok(record.user_agent.length > 5, where);
    assert.ok(record.url === SITE || record.url.startsWith(`${SITE}/`), where);
    assert.ok(!/\s/.test(record.url), `whitespace in ${record.url}`);
    assert.ok(USER_ACTIONS.includes(record.user_action), where);
    assert.equal(record.http_method, POST_ACTIONS.has(record.user_action) ? 'POST' : 'GET', where);
    assert.ok(
      Number.isInteger(record.status_code) && record.status_code >= 200 && record.status_code < 600,
      where,
    );
    assert.ok(Number.isInteger(record.response_time) && record.response_time >= 1, where);
    assert.match(record.referrer, /^[a-z]+$/, where);
    assert.ok(SECURITY_LEVELS.includes(record.security_level), where);
    if (record.user_id !== null) {
      assert.match(record.user_id, /^\d+$/, where);
      assert.ok(record.username !== null, `user_id without username: ${where}`);
    }
    if (record.username !== null) assert.match(record.username, /^[a-z0-9._]+$/, where);
  }
});

test('the security level follows the action and its outcome', () => {
  const { records } = generateFor({ seed: 5, rate: 1000, startMs: START }, 60);
  for (const record of records) {
    const where = JSON.stringify(record);
    const isAdmin = /\/admin(\/|$|\?)/.test(record.url);
    const failedLogin =
      record.user_action === 'login' && record.status_code >= 400 && record.status_code < 500;
    if (isAdmin || failedLogin || record.user_action === 'upload_file' || record.status_code === 401) {
      assert.equal(record.security_level, 'high', where);
    } else if (['login', 'logout', 'submit_form', 'download_file'].includes(record.user_action)) {
      assert.notEqual(record.security_level, 'low', where);
    } else if (record.status_code < 400) {
      assert.equal(record.security_level, 'low', where);
    }
  }
  for (const level of ['low', 'medium', 'high'] as const) {
    assert.ok(
      records.some((record) => record.security_level === level),
      `no ${level} records`,
    );
  }
});
