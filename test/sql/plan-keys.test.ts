/** The key a view's rows are unique on, read off its plan. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Engine } from '../../src/engine/engine.ts';

test('group keys and scanned keys are a view key, through projections, filters and top-N', async () => {
  const engine = new Engine({ autoEpoch: false });
  await engine.execute(`
    CREATE TABLE hits (ip VARCHAR, at TIMESTAMP, status INT, PRIMARY KEY (ip, at));
    CREATE MATERIALIZED VIEW per_ip AS SELECT COUNT(*) AS n, ip FROM hits GROUP BY ip HAVING COUNT(*) > 1;
    CREATE MATERIALIZED VIEW per_status_ip AS SELECT status, ip, MAX(at) AS last FROM hits GROUP BY ip, status;
    CREATE MATERIALIZED VIEW total AS SELECT COUNT(*) AS n FROM hits;
    CREATE MATERIALIZED VIEW top2 AS SELECT * FROM (
      SELECT ip, n, ROW_NUMBER() OVER (ORDER BY n DESC) AS r FROM (SELECT ip, COUNT(*) AS n FROM hits GROUP BY ip) c
    ) t WHERE r <= 2;
    CREATE MATERIALIZED VIEW plain AS SELECT ip, status FROM hits;
    CREATE MATERIALIZED VIEW errors AS SELECT at, status, ip FROM hits WHERE status >= 400;
    CREATE MATERIALIZED VIEW busy AS SELECT ip, n * 2 AS twice FROM per_ip WHERE n > 3;
    CREATE MATERIALIZED VIEW busy_again AS SELECT twice, ip FROM busy;
    CREATE SOURCE logs (ip VARCHAR, status INT) WITH (connector = 'datagen') FORMAT PLAIN ENCODE JSON;
    CREATE MATERIALIZED VIEW from_source AS SELECT ip FROM logs;
    CREATE MATERIALIZED VIEW computed AS SELECT upper(ip) AS u, COUNT(*) AS n FROM hits GROUP BY ip`);
  const keys = Object.fromEntries(engine.relations().map((r) => [r.name, r.key]));
  engine.close();
  assert.deepEqual(keys, {
    hits: [0, 1],
    per_ip: [1],
    per_status_ip: [1, 0],
    total: [],
    top2: [0],
    plain: undefined,
    errors: [2, 0],
    busy: [0],
    busy_again: [1],
    logs: undefined,
    from_source: undefined,
    computed: undefined,
  });
});

test("a join's rows are unique on both sides' keys together, padded rows too; a side without a key, or a key not kept, leaves it without", async () => {
  const engine = new Engine({ autoEpoch: false });
  await engine.execute(`
    CREATE TABLE hits (ip VARCHAR, at TIMESTAMP, status INT, PRIMARY KEY (ip, at));
    CREATE TABLE limits (scenario VARCHAR, name VARCHAR, value DOUBLE PRECISION, PRIMARY KEY (scenario, name));
    CREATE TABLE notes (ip VARCHAR, note VARCHAR);
    CREATE MATERIALIZED VIEW per_ip AS SELECT ip, COUNT(*) AS n FROM hits GROUP BY ip;
    CREATE MATERIALIZED VIEW judged AS SELECT c.n, c.ip, l.value, l.name, l.scenario FROM per_ip AS c
      JOIN limits FOR SYSTEM_TIME AS OF PROCTIME() AS l ON l.scenario = 'flood' AND l.name = 'n';
    CREATE MATERIALIZED VIEW padded AS SELECT c.ip, l.scenario, l.name FROM per_ip AS c
      LEFT JOIN limits AS l ON l.scenario = c.ip;
    CREATE MATERIALIZED VIEW noted AS SELECT c.ip, t.note FROM per_ip AS c JOIN notes AS t ON t.ip = c.ip;
    CREATE MATERIALIZED VIEW unnamed AS SELECT c.ip, l.value FROM per_ip AS c JOIN limits AS l ON l.scenario = c.ip`);
  const keys = Object.fromEntries(engine.relations().map((r) => [r.name, r.key]));
  engine.close();
  assert.deepEqual(
    { judged: keys.judged, padded: keys.padded, noted: keys.noted, unnamed: keys.unnamed },
    // `unnamed` keeps no column of the right side's key.
    { judged: [1, 4, 3], padded: [0, 1, 2], noted: undefined, unnamed: undefined },
  );
});
