/**
 * From `CREATE SOURCE … FORMAT PLAIN ENCODE …` to a decoder: the parsed statement's format clause
 * and columns are all a connector needs (decoderForFormat), and the engine still takes such a
 * source (it does not read the clause; the connectors will).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { decoderForFormat } from '../../../src/connectors/formats/index.ts';
import { Engine } from '../../../src/engine/engine.ts';
import { toJsonLine } from '../../../src/generator/record.ts';
import { TrafficGenerator } from '../../../src/generator/traffic.ts';
import { parseStatement } from '../../../src/sql/parse.ts';
import type { CreateSource } from '../../../src/sql/statement.ts';

const COLUMNS = `request_timestamp TIMESTAMP, ip_address VARCHAR, user_agent TEXT, url TEXT, http_method VARCHAR,
  status_code INTEGER, response_time INTEGER, referrer TEXT, user_id VARCHAR, username VARCHAR,
  user_action VARCHAR, security_level VARCHAR,
  WATERMARK FOR request_timestamp AS request_timestamp - INTERVAL '5 SECONDS'`;

function source(sql: string): CreateSource {
  const s = parseStatement(sql);
  assert.equal(s.kind, 'CreateSource');
  return s as CreateSource;
}

test('the reference pipeline’s source reads the generator’s JSON', () => {
  const pipeline = readFileSync(new URL('../../../pipelines/website-security.sql', import.meta.url), 'utf8');
  const create = pipeline.slice(
    pipeline.indexOf('CREATE SOURCE'),
    pipeline.indexOf(';', pipeline.indexOf('CREATE SOURCE')),
  );
  const s = source(create);
  assert.ok(s.format !== undefined);
  const decoder = decoderForFormat(s.format, s.columns);
  const record = new TrafficGenerator({
    seed: 1,
    rate: 200,
    startMs: Date.parse('2024-01-25T12:00:00Z'),
  }).next();
  const d = decoder.decode(toJsonLine(record));
  assert.ok('row' in d);
  assert.equal(d.row[0], record.request_timestamp * 1000);
  assert.equal(d.row[5], record.status_code);
});

test('a source of access logs: its options reach the decoder, and the engine takes the statement', async () => {
  const sql = `CREATE SOURCE access_logs (${COLUMNS}) WITH (connector = 'file', path = '/var/log/nginx/access.log')
    FORMAT PLAIN ENCODE ACCESS_LOG (
      log_format = '$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent" $request_time',
      log_format_style = 'nginx')`;
  const s = source(sql);
  assert.ok(s.format !== undefined);
  const decoder = decoderForFormat(s.format, s.columns);
  const d = decoder.decode(
    '203.0.113.7 - alice [25/Jan/2024:12:30:45 +0100] "POST /login HTTP/2.0" 401 52 "https://example.com/" "curl/8.5" 0.231',
  );
  assert.ok('row' in d);
  assert.deepEqual(d.row, [
    Date.parse('2024-01-25T11:30:45Z') * 1000,
    '203.0.113.7',
    'curl/8.5',
    '/login',
    'POST',
    401,
    231,
    'https://example.com/',
    null,
    'alice',
    null,
    null,
  ]);
  const engine = new Engine({ autoEpoch: false });
  await engine.execute(sql);
  await engine.execute(
    "CREATE SOURCE j (a INT) WITH (connector = 'kafka', topic = 't') FORMAT PLAIN ENCODE JSON (timestamptz.handling.mode = 'milli')",
  );
});
