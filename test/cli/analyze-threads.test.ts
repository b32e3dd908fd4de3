/**
 * `tidewatch analyze`'s pipeline threads on their own: a worker given the pipeline files
 * computes the views of its own file only (the earlier files' views dropped, a view its file
 * reads kept) over the bytes it is posted, in chunks cut anywhere, and hands back their rows; a
 * failing statement of its file rejects the next write, naming the file and line.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { PipelineThread, PipelineThreadError } from '../../src/cli/analyze-threads.ts';

let dir: string;
const SOURCE = `CREATE SOURCE logs (request_timestamp TIMESTAMP, ip_address VARCHAR, url TEXT, status_code INTEGER,
  WATERMARK FOR request_timestamp AS request_timestamp - INTERVAL '5 SECONDS') WITH (connector = 'kafka', topic = 't') FORMAT PLAIN ENCODE JSON;
CREATE MATERIALIZED VIEW per_status AS SELECT status_code, count(*) AS n FROM logs GROUP BY status_code;
CREATE MATERIALIZED VIEW per_ip AS SELECT ip_address, count(*) AS n FROM logs GROUP BY ip_address;`;
const LINES = [
  '10.0.0.1 - - [17/May/2015:10:05:03 +0000] "GET /a HTTP/1.1" 200 10 "-" "x"',
  '10.0.0.2 - - [17/May/2015:10:05:04 +0000] "GET /b HTTP/1.1" 404 10 "-" "x"',
  '10.0.0.1 - - [17/May/2015:10:06:05 +0000] "GET /c HTTP/1.1" 200 10 "-" "x"',
].join('\n');

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'tw-analyze-threads-'));
  writeFileSync(join(dir, 'first.sql'), SOURCE);
  writeFileSync(
    join(dir, 'second.sql'),
    `CREATE MATERIALIZED VIEW busy AS SELECT ip_address, n FROM per_ip WHERE n > 1;
CREATE MATERIALIZED VIEW per_minute AS SELECT window_start, count(*) AS n
  FROM TUMBLE(logs, request_timestamp, INTERVAL '1 MINUTE') GROUP BY window_start;`,
  );
  writeFileSync(
    join(dir, 'broken.sql'),
    'CREATE MATERIALIZED VIEW fine AS SELECT 1 AS one;\nSELECT nope FROM logs;',
  );
});

after(() => rmSync(dir, { recursive: true, force: true }));

test("a thread computes its own file's views, and those they read, over the bytes posted to it", async (t) => {
  const thread = new PipelineThread({
    pipelines: [join(dir, 'first.sql'), join(dir, 'second.sql')],
    own: 1,
    source: 'logs',
    format: 'combined',
  });
  t.after(() => thread.terminate());
  const bytes = new TextEncoder().encode(LINES);
  // Cut inside a line, and the last line without its newline: ended by endInput.
  await thread.write(bytes.subarray(0, 50));
  await thread.write(bytes.subarray(50));
  thread.endInput();
  await thread.ready();
  const views = await thread.close();
  assert.deepEqual(Object.keys(views).sort(), ['busy', 'per_ip', 'per_minute']);
  assert.deepEqual(views.busy?.rows, [['10.0.0.1', 2]]);
  assert.deepEqual(
    views.per_minute?.columns.map((c) => c.name),
    ['window_start', 'n'],
  );
  assert.deepEqual(
    views.per_minute?.rows.map((r) => r[1]),
    [2, 1],
  );
});

test('a failing statement of its file rejects the writes, naming the file and line', async (t) => {
  const thread = new PipelineThread({
    pipelines: [join(dir, 'first.sql'), join(dir, 'broken.sql')],
    own: 1,
    source: 'logs',
    format: 'combined',
  });
  t.after(() => thread.terminate());
  await assert.rejects(thread.ready(), (e: Error) => {
    assert.ok(e instanceof PipelineThreadError);
    assert.match(
      e.message,
      /broken\.sql:line 2, column \d+: column "nope" does not exist \(SQLSTATE 42703\)/,
    );
    return true;
  });
  await assert.rejects(thread.write(new Uint8Array([10])), PipelineThreadError);
});
