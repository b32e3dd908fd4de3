/**
 * Acknowledged means durable, through the PostgreSQL endpoint, under SIGKILL. A node-postgres
 * client writes 120 batches of 50 primary-keyed rows into a table under three materialized
 * views, one multi-row INSERT per batch, and writes a batch again only when its statement
 * failed: an error, or the connection lost before the answer (the INSERT may then have applied
 * or not; writing it again replaces the same rows, since a table upserts on its primary key).
 * Meanwhile tidewatch is killed with SIGKILL 20 times at seeded-random moments (half of them
 * right after an acknowledgement, the others mostly while an INSERT runs) and started again on
 * the same data directory as soon as it has exited, the last time right after the last batch
 * was acknowledged. After every restart each batch acknowledged before the kill must
 * be there whole, and no batch in part or twice; at the end the table must hold exactly the
 * 6,000 rows and every view the same query over them, computed here.
 *
 * Once with `RW_IMPLICIT_FLUSH` on (an INSERT returns once its epoch is committed), once with
 * it off (an INSERT still returns only once its rows are durable).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type TestContext, test } from 'node:test';
import type pg from 'pg';
import { killMoments, killWhileWriting, RetryingWriter } from '../helpers/kill-while-writing.ts';
import { prng } from '../helpers/random.ts';
import { RestartableServer } from '../helpers/restartable-server.ts';

const BATCHES = 120;
const ROWS = 50;
const KILLS = 20;
/** Half the kills come right after an acknowledgement, the others up to this long after one. */
const MAX_KILL_DELAY_MS = 40;

const PIPELINE = `
CREATE TABLE IF NOT EXISTS kv (id INT PRIMARY KEY, batch INT, v VARCHAR);
CREATE MATERIALIZED VIEW IF NOT EXISTS kv_per_batch AS
  SELECT batch, count(*) AS n, sum(id) AS id_sum, min(v) AS first_v, max(v) AS last_v FROM kv GROUP BY batch;
CREATE MATERIALIZED VIEW IF NOT EXISTS kv_totals AS
  SELECT count(*) AS n, count(DISTINCT batch) AS batches, max(id) AS max_id, sum(id) AS id_sum FROM kv;
CREATE MATERIALIZED VIEW IF NOT EXISTS kv_sevens AS SELECT id, batch, v FROM kv WHERE id % 7 = 0;
`;

type KvRow = readonly [id: number, batch: number, v: string];

function batchRows(batch: number): KvRow[] {
  return Array.from({ length: ROWS }, (_, i) => [batch * ROWS + i, batch, `b${batch}-r${i}`] as const);
}

function insertSql(batch: number): string {
  return `INSERT INTO kv VALUES ${batchRows(batch)
    .map(([id, b, v]) => `(${id}, ${b}, '${v}')`)
    .join(', ')}`;
}

/** Each query of the final check and its answer over the rows of every batch, values as text. */
function expectedAnswers(): Record<string, string[][]> {
  const rows = Array.from({ length: BATCHES }, (_, b) => batchRows(b)).flat();
  const text = (values: readonly (number | string)[]) => values.map(String);
  const perBatch = Array.from({ length: BATCHES }, (_, b) => {
    const mine = batchRows(b);
    const vs = mine.map((r) => r[2]).sort();
    return text([b, mine.length, mine.reduce((s, r) => s + r[0], 0), vs[0] as string, vs.at(-1) as string]);
  });
  return {
    'SELECT id, batch, v FROM kv ORDER BY id': rows.map(text),
    'SELECT batch, n, id_sum, first_v, last_v FROM kv_per_batch ORDER BY batch': perBatch,
    'SELECT n, batches, max_id, id_sum FROM kv_totals': [
      text([rows.length, BATCHES, rows.length - 1, rows.reduce((s, r) => s + r[0], 0)]),
    ],
    'SELECT id, batch, v FROM kv_sevens ORDER BY id': rows.filter((r) => r[0] % 7 === 0).map(text),
  };
}

async function answer(client: pg.Client, sql: string): Promise<string[][]> {
  const r = await client.query<unknown[]>({ text: sql, rowMode: 'array' });
  return r.rows.map((row) => row.map(String));
}

/** `0–3, 7, 9–10` of ascending numbers. */
function ranges(numbers: readonly number[]): string {
  const out: string[] = [];
  for (let i = 0; i < numbers.length; ) {
    let j = i;
    while (j + 1 < numbers.length && numbers[j + 1] === (numbers[j] as number) + 1) j++;
    out.push(i === j ? `${numbers[i]}` : `${numbers[i]}–${numbers[j]}`);
    i = j + 1;
  }
  return out.join(', ');
}

/** What the store holds after a restart: acknowledged batches it lacks, batches not of 50 rows. */
interface Found {
  readonly lost: number[];
  readonly wrong: string[];
}

/** Looks for acknowledged batches lost (the first `acknowledged`), batches in part and rows twice. */
async function checkBatches(server: RestartableServer, acknowledged: number): Promise<Found> {
  const client = await server.connect();
  try {
    await client.query('FLUSH');
    const counts = new Map(
      (await answer(client, 'SELECT batch, count(*) FROM kv GROUP BY batch')).map(
        ([b, n]) => [Number(b), Number(n)] as const,
      ),
    );
    const lost: number[] = [];
    for (let b = 0; b < acknowledged; b++) if ((counts.get(b) ?? 0) === 0) lost.push(b);
    const wrong = [...counts]
      .filter(([, n]) => n !== ROWS)
      .sort((x, y) => x[0] - y[0])
      .map(([b, n]) => `batch ${b} has ${n} rows of ${ROWS}`);
    return { lost, wrong };
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function run(t: TestContext, implicitFlush: boolean, seed: number): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'tw-acked-'));
  const pipeline = join(dir, 'kv.sql');
  writeFileSync(pipeline, PIPELINE);
  const server = new RestartableServer({
    dataDir: join(dir, 'data'),
    args: ['--pipeline', pipeline, '--no-generator', '--status-interval', '600'],
  });
  t.after(async () => {
    await server.dispose();
    rmSync(dir, { recursive: true, force: true });
  });
  await server.start();

  const batches = Array.from({ length: BATCHES }, (_, b) => insertSql(b));
  const writer = new RetryingWriter(server, batches, implicitFlush ? ['SET RW_IMPLICIT_FLUSH TO true'] : []);
  const problems: string[] = [];
  const lostBefore = new Set<number>();
  const moments = killMoments(prng(seed), KILLS, BATCHES, {
    maxDelayMs: MAX_KILL_DELAY_MS,
    rightAfter: Math.floor((KILLS - 1) / 2),
  });
  const kills = await killWhileWriting(server, writer, moments, async (kill) => {
    const found = await checkBatches(server, kill.acknowledged);
    const lost = found.lost.filter((b) => !lostBefore.has(b));
    for (const b of lost) lostBefore.add(b);
    const at = `after kill ${kill.number} (batches acknowledged before it: ${kill.acknowledged})`;
    if (lost.length > 0) problems.push(`${at}: acknowledged batches lost: ${ranges(lost)}`);
    for (const w of found.wrong) problems.push(`${at}: ${w}`);
  });

  const flush = `RW_IMPLICIT_FLUSH ${implicitFlush ? 'on' : 'off'}`;
  console.log(
    `# ${flush}: ${kills.length} kills, ${kills.filter((k) => k.inFlight).length} with an INSERT in flight; ${writer.failedByKill} attempts failed by a kill and were made again`,
  );
  assert.equal(problems.length, 0, `${flush}: what the restarts found:\n${problems.join('\n')}`);
  const client = await server.connect();
  try {
    await client.query('FLUSH');
    for (const [sql, rows] of Object.entries(expectedAnswers())) {
      const got = await answer(client, sql);
      assert.deepEqual(got, rows, `${flush}: ${sql} (${got.length} rows, ${rows.length} expected)`);
    }
  } finally {
    await client.end();
  }
  await server.stop();
}

test('RW_IMPLICIT_FLUSH on: 120 acknowledged batches survive 20 SIGKILLs, whole and once; the views equal the same queries over them', {
  timeout: 240_000,
}, async (t) => {
  await run(t, true, 20240125);
});

test('RW_IMPLICIT_FLUSH off (the default): acknowledged batches survive 20 SIGKILLs all the same; the views equal after a FLUSH', {
  timeout: 240_000,
}, async (t) => {
  await run(t, false, 1207);
});
