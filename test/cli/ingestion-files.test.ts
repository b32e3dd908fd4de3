/**
 * Log files into a real `tidewatch start`: `--input` on a real Apache log (the reference
 * pipeline's source fed without SQL, its views checked against a plain split of the lines), and
 * a `posix_fs` source created through SQL following a glob like `tail -F` — appends, rotation by
 * rename and by copy-truncate, a new file — and resuming after SIGKILL with nothing read twice.
 */
import assert from 'node:assert/strict';
import {
  appendFileSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  renameSync,
  rmSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import type pg from 'pg';
import { RestartableServer } from '../helpers/restartable-server.ts';
import { combinedLine, committedNow, fedBy, getStatus, sourceOf, waitFor } from './ingestion-helpers.ts';

const APACHE_LOG = '/work/shared/data/apache_logs';
const absent = existsSync(APACHE_LOG)
  ? undefined
  : `${APACHE_LOG} is absent: the real-log check needs the shared data`;
if (absent !== undefined) console.log(`# skipping the --input test on a real Apache log: ${absent}`);

const dirs: string[] = [];
function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  dirs.push(dir);
  return dir;
}
after(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** A combined line's time (`[17/May/2015:10:05:03 +0000]`) in ms since 1970, by splitting it. */
function clfTime(line: string): number {
  const fields = line.split(' ');
  const stamp = (fields[3] as string).slice(1); // 17/May/2015:10:05:03
  const zone = (fields[4] as string).slice(0, -1); // +0000
  const [date, hh, mm, ss] = stamp.split(':') as [string, string, string, string];
  const [day, month, year] = date.split('/') as [string, string, string];
  const offsetMin = (zone.startsWith('-') ? -1 : 1) * (Number(zone.slice(1, 3)) * 60 + Number(zone.slice(3)));
  return (
    Date.UTC(Number(year), MONTHS.indexOf(month), Number(day), Number(hh), Number(mm), Number(ss)) -
    offsetMin * 60_000
  );
}

/** `2015-05-17 10:05:00`, as a TIMESTAMP column reads as text. */
function minuteText(ms: number): string {
  return new Date(Math.floor(ms / 60_000) * 60_000).toISOString().slice(0, 19).replace('T', ' ');
}

async function countsByMinute(client: pg.Client, sql: string): Promise<Map<string, number>> {
  const result = await client.query({ text: sql, rowMode: 'array' });
  return new Map(result.rows.map((r) => [String(r[0]), Number(r[1])]));
}

test('--input on a real Apache log: every line a row, per-minute counts of the views equal a plain split', {
  skip: absent ?? false,
  timeout: 120_000,
}, async () => {
  const lines = readFileSync(APACHE_LOG, 'utf8')
    .split('\n')
    .filter((l) => l !== '');
  assert.equal(lines.length, 10_000);
  // Per minute: lines, and lines that could be late — more than the 5 s of the source's
  // WATERMARK behind the newest line before them (the log is shuffled within each minute).
  const total = new Map<string, number>();
  const mayBeLate = new Map<string, number>();
  let newest = Number.NEGATIVE_INFINITY;
  for (const line of lines) {
    const t = clfTime(line);
    const minute = minuteText(t);
    total.set(minute, (total.get(minute) ?? 0) + 1);
    if (t < newest - 5000) mayBeLate.set(minute, (mayBeLate.get(minute) ?? 0) + 1);
    newest = Math.max(newest, t);
  }

  const server = new RestartableServer({
    dataDir: join(tempDir('tw-input-apache-'), 'data'),
    args: ['--input', APACHE_LOG, '--format', 'combined', '--status-interval', '60'],
  });
  try {
    const banner = await server.start();
    assert.match(banner, /generator +off/);
    assert.match(banner, /input +\/work\/shared\/data\/apache_logs \(combined\) into website_logs_source/);
    const source = await Promise.race([
      server.failure,
      waitFor('the 10,000 lines to be read', async () => {
        const s = sourceOf(await getStatus(server.httpUrl), 'website_logs_source');
        return s.rows + s.lateRows === lines.length ? s : undefined;
      }),
    ]);
    await committedNow(server.httpUrl);
    const file = fedBy(source, 'file');
    assert.deepEqual([file?.records, file?.rejected], [10_000, 0], JSON.stringify(source));
    assert.equal(fedBy(source, 'kafka'), undefined, '--input replaces the source’s Kafka connector');

    const client = await server.connect();
    try {
      const dead = await client.query('SELECT count(*)::int AS n FROM tidewatch_dead_letters');
      assert.equal(dead.rows[0].n, 0, 'no dead letters');
      const count = await client.query('SELECT count(*)::int AS n FROM website_logs_source');
      assert.equal(count.rows[0].n, 10_000, 'every line retained as a raw event, late ones too');
      const raw = await countsByMinute(
        client,
        `SELECT date_trunc('minute', request_timestamp)::varchar, count(*)
           FROM website_logs_source GROUP BY 1`,
      );
      assert.deepEqual(raw, total, 'the raw events per minute are the lines per minute');
      const viewed = await countsByMinute(
        client,
        `SELECT window_start::varchar, sum(count_status_code)
           FROM status_code_analysis_summary GROUP BY window_start`,
      );
      let late = 0;
      for (const [minute, n] of total) {
        const inView = viewed.get(minute) ?? 0;
        assert.ok(
          n - inView <= (mayBeLate.get(minute) ?? 0),
          `${minute}: ${inView} of ${n} lines in the view; only lines 5 s behind the newest may be late`,
        );
        late += n - inView;
      }
      assert.deepEqual(
        [...viewed.keys()].filter((m) => !total.has(m)),
        [],
        'no window the log does not have',
      );
      assert.equal(late, source.lateRows, 'view + late = the lines of each minute');
      assert.equal(source.rows, 10_000 - late);
      console.log(
        `# ${lines.length} lines in ${total.size} one-minute windows: ${late} late (dropped by the WATERMARK, ` +
          `${[...mayBeLate.values()].reduce((a, b) => a + b, 0)} could have been), the rest in the views`,
      );
    } finally {
      await client.end();
    }
    await server.stop();
  } finally {
    await server.dispose();
  }
});

test('posix_fs with a glob: appends, rotation by rename and copy-truncate, a new file; SIGKILL reads nothing twice', {
  timeout: 120_000,
}, async () => {
  const base = tempDir('tw-posix-fs-');
  const logs = join(base, 'logs');
  mkdirSync(logs);
  const lines = (from: number, to: number) =>
    Array.from({ length: to - from + 1 }, (_, i) => `${combinedLine('fs', from + i)}\n`).join('');
  const server = new RestartableServer({
    dataDir: join(base, 'data'),
    args: ['--pipeline', 'none', '--no-generator', '--status-interval', '60'],
  });
  let client: pg.Client | undefined;
  /** Resolves once the store holds `n` rows of the source, each line once. */
  const rowsInStore = async (n: number) => {
    let last = '';
    await Promise.race([
      server.failure,
      waitFor(
        `${n} rows in weblogs`,
        async () => {
          const r = await (client as pg.Client).query(
            'SELECT count(*)::int AS n, count(DISTINCT url)::int AS urls FROM weblogs',
          );
          last = JSON.stringify(r.rows[0]);
          return r.rows[0].n >= n ? r.rows[0] : undefined;
        },
        { everyMs: 100, describe: () => last },
      ),
    ]).then((counts) => assert.deepEqual(counts, { n, urls: n }, `${n} lines, each once`));
  };
  try {
    await server.start();
    client = await server.connect();
    writeFileSync(join(logs, 'access.log'), lines(1, 100));
    writeFileSync(join(logs, 'notes.txt'), lines(9001, 9010)); // not *.log: never read
    await client.query(
      `CREATE SOURCE weblogs (
         request_timestamp TIMESTAMP, ip_address VARCHAR, http_method VARCHAR, url TEXT,
         status_code INTEGER, user_agent TEXT
       ) WITH (connector = 'posix_fs', posix_fs.root = '${logs}', match_pattern = '*.log')
       FORMAT PLAIN ENCODE ACCESS_LOG (log_format = 'combined')`,
    );
    await rowsInStore(100);

    appendFileSync(join(logs, 'access.log'), lines(101, 150));
    await rowsInStore(150);

    // Rotation by rename: lines written just before it are read from the renamed file.
    appendFileSync(join(logs, 'access.log'), lines(151, 160));
    renameSync(join(logs, 'access.log'), join(logs, 'access.log.1'));
    writeFileSync(join(logs, 'access.log'), lines(161, 200));
    await rowsInStore(200);

    // Copy-truncate: the copy is not *.log; the file starts again from its beginning.
    copyFileSync(join(logs, 'access.log'), join(logs, 'access.log.2'));
    truncateSync(join(logs, 'access.log'), 0);
    appendFileSync(join(logs, 'access.log'), lines(201, 220));
    await rowsInStore(220);

    // A new file matching the glob.
    writeFileSync(join(logs, 'other.log'), lines(221, 250));
    await rowsInStore(250);

    // Killed as soon as new lines are in the engine (their epoch perhaps not committed yet).
    appendFileSync(join(logs, 'other.log'), lines(251, 270));
    await waitFor(
      'lines 251–270 in the engine',
      async () => {
        const s = sourceOf(await getStatus(server.httpUrl), 'weblogs');
        return s.rows >= 270 ? true : undefined;
      },
      { everyMs: 10 },
    );
    await client.end();
    client = undefined;
    await server.kill();
    appendFileSync(join(logs, 'access.log'), lines(271, 280)); // while tidewatch is down
    await server.start();
    client = await server.connect();
    await rowsInStore(280);
    appendFileSync(join(logs, 'other.log'), lines(281, 290));
    await rowsInStore(290);

    const twice = await client.query(
      'SELECT url, count(*)::int AS n FROM weblogs GROUP BY url HAVING count(*) > 1',
    );
    assert.deepEqual(twice.rows, [], 'no line read twice');
    const urls = await client.query('SELECT url FROM weblogs');
    assert.deepEqual(
      urls.rows.map((r) => r.url).sort(),
      Array.from({ length: 290 }, (_, i) => `/fs/${i + 1}`).sort(),
      'every line once, none of notes.txt',
    );
    const status = fedBy(sourceOf(await getStatus(server.httpUrl), 'weblogs'), 'file');
    assert.equal(status?.rejected, 0);
    const dead = await client.query('SELECT count(*)::int AS n FROM tidewatch_dead_letters');
    assert.equal(dead.rows[0].n, 0);
    await client.end();
    client = undefined;
    await server.stop();
  } finally {
    await client?.end().catch(() => undefined);
    await server.dispose();
  }
});
