import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { DATA_FORMAT } from '../../src/store/data-dir.ts';
import { BIN, collect, runCli, spawnCli, waitForOutput } from '../helpers/cli.ts';

const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8'));
const tempDir = () => mkdtempSync(join(tmpdir(), 'tidewatch-cli-'));

describe('tidewatch help and version', () => {
  test('--version prints the package version', async () => {
    const r = await runCli(['--version']);
    assert.equal(r.code, 0);
    assert.equal(r.stdout.trim(), `tidewatch ${pkg.version}`);
  });

  test('no arguments and --help list the commands', async () => {
    for (const args of [[], ['--help'], ['help']]) {
      const r = await runCli(args);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /Usage: tidewatch <command>/);
      assert.match(r.stdout, /\n {2}start\s+Run tidewatch embedded/);
      assert.match(r.stdout, /\n {2}generate\s+Generate realistic/);
    }
  });

  for (const command of ['start', 'generate']) {
    test(`${command} --help lists its options and exits 0`, async () => {
      for (const args of [
        [command, '--help'],
        ['help', command],
        [command, '-h'],
      ]) {
        const r = await runCli(args);
        assert.equal(r.code, 0, r.stderr);
        assert.match(r.stdout, new RegExp(`Usage: tidewatch ${command} \\[options\\]`));
        assert.match(r.stdout, /--config FILE/);
        assert.match(r.stdout, /TIDEWATCH_/);
      }
    });
  }

  test('start --help names every option the issue asks for, with defaults', async () => {
    const r = await runCli(['start', '--help']);
    for (const flag of [
      '--data-dir DIR',
      '--pg-port N',
      '--http-port N',
      '--host ADDR',
      '--pipeline FILE',
      '--generator-rate',
      '--retain-hours H',
      '--retain-bytes SIZE',
      '--log-fsync POLICY',
      '--pg-auth METHOD',
      '--tls-cert FILE',
    ]) {
      assert.ok(r.stdout.includes(flag), `missing ${flag}`);
    }
    assert.match(r.stdout, /--pg-port N.*\(default: 4566\)/);
    assert.match(r.stdout, /--http-port N.*\(default: 8080\)/);
    assert.match(r.stdout, /--host ADDR.*\(default: 127\.0\.0\.1\)/);
    assert.match(r.stdout, /--pipeline FILE….*\(default: pipelines\/website-security\.sql\)/);
    assert.match(r.stdout, /--detections +apply pipelines\/detections\.sql.*\(--no-detections: off\)/);
    // Defaults read as a person would write them, each said once.
    assert.match(r.stdout, /--retain-bytes SIZE.*\(default: 1GiB\)$/m);
    assert.match(r.stdout, /--status-interval SECONDS.*\(default: 1 on a terminal, 10 otherwise\)$/m);
    for (const line of r.stdout.split('\n'))
      assert.ok((line.match(/\(default:/g) ?? []).length <= 1, `one default per option: ${line}`);
  });
});

describe('tidewatch rejects bad usage with exit status 2 and one line naming the fault', () => {
  const cases: [string[], RegExp][] = [
    [['start', '--bogus'], /unknown flag --bogus/],
    [['generate', '--frobnicate=3'], /unknown flag --frobnicate/],
    [['start', '--pg-port', 'abc'], /--pg-port.*"abc" is not an integer/],
    [['start', '--pg-port', '70000'], /--pg-port.*outside 0\.\.65535/],
    [['start', '--http-port'], /--http-port needs a value/],
    [['start', '--log-fsync', 'sometimes'], /--log-fsync.*"sometimes" is not epoch, always or never/],
    [['start', '--retain-bytes', 'lots'], /--retain-bytes.*"lots" is not a size/],
    [['start', '--pg-auth', 'plain'], /--pg-auth.*"plain" is not scram-sha-256 or md5/],
    [['start', '--tls-cert', 'c.pem'], /--tls-cert and --tls-key go together/],
    [['generate', '--rate', 'fast'], /--rate.*"fast" is not a positive number/],
    [['generate', '--rate', '-5'], /--rate/],
    [['generate', '--attack', 'teleport'], /--attack.*teleport/],
    [['generate', '--start', 'yesterday'], /--start.*not an ISO 8601 time/],
    [['generate', '--speedup', '10'], /--speedup needs --start/],
    [['generate', '--count', '10', '--count', '20'], /--count is given more than once/],
    [['start', 'extra'], /unexpected argument "extra"/],
    [['launch'], /unknown command "launch"/],
    [['start', '--host', '0.0.0.0'], /--host 0\.0\.0\.0 .*--password/],
    [['start', '--pipeline', '/nonexistent/x.sql'], /cannot read pipeline file \/nonexistent\/x\.sql/],
    [
      ['start', '--pipeline', 'none', '--http-port', '0'],
      /generator feeds source "website_logs_source", which no pipeline creates/,
    ],
  ];
  for (const [args, message] of cases) {
    test(args.join(' '), async () => {
      const r = await runCli(args, { cwd: tempDir() });
      assert.equal(r.code, 2, `exit ${r.code}; stderr: ${r.stderr}`);
      assert.equal(r.stdout, '');
      const lines = r.stderr.trimEnd().split('\n');
      assert.equal(lines.length, 1, r.stderr);
      assert.match(lines[0] as string, /^tidewatch/);
      assert.match(lines[0] as string, message);
    });
  }
});

describe('settings: flag over environment over config file', () => {
  test('a bad environment value is named by its variable', async () => {
    const r = await runCli(['start'], { env: { TIDEWATCH_PG_PORT: 'x' }, cwd: tempDir() });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /bad value for TIDEWATCH_PG_PORT/);
  });

  test('a bad config file entry is named with its file', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'tidewatch.json'), JSON.stringify({ 'http-port': 'eighty' }));
    const r = await runCli(['start'], { cwd: dir });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /bad value for "http-port" in .*tidewatch\.json/);
  });

  test('an unknown config file entry and invalid JSON are refused', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'tidewatch.json'), JSON.stringify({ 'pg-prot': 1 }));
    let r = await runCli(['start'], { cwd: dir });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /unknown option "pg-prot"/);
    writeFileSync(join(dir, 'other.json'), '{ nope');
    r = await runCli(['start', '--config', 'other.json'], { cwd: dir });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /other\.json is not valid JSON/);
  });

  test('the flag wins over the variable, the variable over the file', async () => {
    const dir = tempDir();
    writeFileSync(
      join(dir, 'tidewatch.json'),
      JSON.stringify({ 'http-port': 1, 'data-dir': 'from-file', generator: false }),
    );
    const child = spawnCli(['start', '--http-port', '0', '--pg-port', '0', '--status-interval', '0.2'], {
      cwd: dir,
      env: { TIDEWATCH_HTTP_PORT: 'not-a-port-but-overridden', TIDEWATCH_DATA_DIR: 'from-env' },
    });
    const done = collect(child);
    const banner = await waitForOutput(child, /Press Ctrl-C/);
    assert.match(banner, /data directory {3}from-env/);
    assert.match(banner, /generator {8}off/);
    assert.match(banner, /HTTP API {9}http:\/\/127\.0\.0\.1:\d+/);
    child.kill('SIGINT');
    const r = await done;
    assert.equal(r.code, 0, JSON.stringify(r));
  });
});

interface ViewStatus {
  name: string;
  rows: number;
  errors: number;
}

/** Polls /api/status until every view of the reference pipeline holds rows. */
async function waitForViewRows(url: string): Promise<ViewStatus[]> {
  for (let i = 0; i < 50; i++) {
    const { views } = (await (await fetch(`${url}/api/status`)).json()) as { views: ViewStatus[] };
    // The detection views stay empty until an attack is found: the reference views must fill.
    const reference = views.filter((v) => !v.name.startsWith('detection'));
    if (reference.length > 0 && views.every((v) => v.errors === 0) && reference.every((v) => v.rows > 0))
      return views;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error('the views never filled');
}

describe('tidewatch start', () => {
  test('serves status, counts generated events, and stops cleanly on Ctrl-C', async () => {
    const dir = tempDir();
    const child = spawnCli(
      [
        'start',
        '--http-port',
        '0',
        '--pg-port',
        '0',
        '--data-dir',
        join(dir, 'data'),
        '--generator-rate',
        '500',
        '--generator-seed',
        '7',
        '--status-interval',
        '0.5',
      ],
      { cwd: dir },
    );
    const done = collect(child);
    const banner = await waitForOutput(child, /Press Ctrl-C/);
    const url = /HTTP API\s+(http:\/\/\S+)/.exec(banner)?.[1];
    assert.ok(url, banner);
    assert.match(banner, /pipelines +.*website-security\.sql/);
    assert.match(banner, /PostgreSQL +postgresql:\/\/root@127\.0\.0\.1:\d+\/dev/);
    await waitForOutput(child, /\| [\d,]+ events\/s \| [1-9][\d,]* events/);
    const health = await fetch(`${url}/healthz`);
    assert.equal(health.status, 200);
    const first = (await (await fetch(`${url}/api/status`)).json()) as {
      events_total: number;
      pipelines: string[];
    };
    for (const path of first.pipelines)
      assert.ok(!path.startsWith('/'), `no machine path in /api/status: ${path}`);
    await new Promise((r) => setTimeout(r, 600));
    const second = (await (await fetch(`${url}/api/status`)).json()) as { events_total: number };
    assert.ok(second.events_total > first.events_total, `${first.events_total} → ${second.events_total}`);
    const views = await waitForViewRows(url);
    assert.deepEqual(
      views.filter((v) => !v.name.startsWith('detection')).map((v) => v.name),
      [
        'referrer_activity_summary',
        'security_level_analysis_summary',
        'status_code_analysis_summary',
        'top_user_actions',
        'website_user_metrics',
      ],
    );
    assert.equal((await fetch(`${url}/nowhere`)).status, 404);
    assert.equal((await fetch(`${url}/api/views?name=nope`)).status, 404);
    const {
      sources,
      epoch,
      committed_epoch,
      commit_latency_ms,
      memory,
      event_loop_delay_ms,
      engine_event_loop_delay_ms,
    } = (await (await fetch(`${url}/api/status`)).json()) as {
      sources: { name: string; rows: number; watermark: string | null }[];
      epoch: number;
      committed_epoch: number | null;
      commit_latency_ms: {
        epochs: number;
        last_ms: number;
        p50_ms: number;
        p99_ms: number;
        max_ms: number;
        phases_p50_ms: Record<string, number>;
        phases_max_ms: Record<string, number>;
      };
      memory: {
        rss_mb: number;
        js_heap_mb: number;
        js_heap_used_mb: number;
        engine_js_heap_mb: number;
        engine_js_heap_used_mb: number;
        outside_js_heap_mb: number;
        buffers_mb: number;
        duckdb_mb: number | null;
      };
      event_loop_delay_ms: { p50_ms: number; p99_ms: number; max_ms: number };
      engine_event_loop_delay_ms: { p50_ms: number; p99_ms: number; max_ms: number };
    };
    assert.ok(
      committed_epoch !== null && committed_epoch > 0 && committed_epoch <= epoch,
      `committed epoch ${committed_epoch}, epoch ${epoch}`,
    );
    // From barrier to commit, per epoch of the last minute: figures in order, each a duration.
    const l = commit_latency_ms;
    assert.ok(l.epochs > 0 && l.epochs <= committed_epoch, JSON.stringify(l));
    assert.ok(
      0 <= l.p50_ms && l.p50_ms <= l.p99_ms && l.p99_ms <= l.max_ms && l.last_ms <= l.max_ms,
      JSON.stringify(l),
    );
    // Where the time went: the barrier, the checkpoint, then each part of the store's commit.
    for (const phase of [
      'barrier',
      'checkpoint',
      'store_views',
      'store_raw',
      'store_wait_pack',
      'store_wait_fsync',
      'store_commit',
    ])
      assert.ok(
        (l.phases_p50_ms[phase] as number) >= 0 &&
          (l.phases_p50_ms[phase] as number) <= (l.phases_max_ms[phase] as number) &&
          (l.phases_max_ms[phase] as number) <= l.max_ms,
        `${phase}: ${JSON.stringify(l)}`,
      );
    // The process's memory, split between the JavaScript heap and the rest of the resident set.
    const rss =
      Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))?.[1]) / 1024;
    assert.ok(Math.abs(memory.rss_mb - rss) < rss / 4, `${JSON.stringify(memory)} against VmRSS ${rss} MB`);
    assert.ok(
      memory.js_heap_used_mb <= memory.js_heap_mb && memory.js_heap_mb < memory.rss_mb,
      JSON.stringify(memory),
    );
    // Of the heap, the engine's thread's: a part of it, neither none nor all (the serving thread has one too).
    assert.ok(
      memory.engine_js_heap_used_mb > 0 &&
        memory.engine_js_heap_used_mb <= memory.engine_js_heap_mb &&
        memory.engine_js_heap_mb < memory.js_heap_mb,
      JSON.stringify(memory),
    );
    assert.ok(
      Math.abs(memory.outside_js_heap_mb - (memory.rss_mb - memory.js_heap_mb)) <= 1,
      JSON.stringify(memory),
    );
    // Of the rest, Node's buffers and DuckDB's own count (sampled: the first sample is taken at start).
    assert.ok(
      memory.buffers_mb >= 0 &&
        memory.duckdb_mb !== null &&
        memory.duckdb_mb > 0 &&
        memory.duckdb_mb <= memory.outside_js_heap_mb,
      JSON.stringify(memory),
    );
    // How long callbacks waited for the event loop: at least the 10 ms resolution, in order.
    for (const d of [event_loop_delay_ms, engine_event_loop_delay_ms])
      assert.ok(d.p50_ms >= 10 && d.p50_ms <= d.p99_ms && d.p99_ms <= d.max_ms, JSON.stringify(d));
    const logs = sources.find((s) => s.name === 'website_logs_source');
    assert.ok((logs?.rows ?? 0) > 0, JSON.stringify(sources));
    assert.match(
      logs?.watermark ?? '',
      /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,6})?$/,
      'a timestamp, as ISO 8601',
    );
    assert.equal((await fetch(`${url}/api/status`, { method: 'POST' })).status, 405);
    child.kill('SIGINT');
    const r = await done;
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /tidewatch stopped after \d\d:\d\d:\d\d: [\d,]+ events/);
  });

  test('a non-loopback address is served only with a password, and the API then needs the token', async () => {
    const dir = tempDir();
    const child = spawnCli(
      [
        'start',
        '--host',
        '0.0.0.0',
        '--http-port',
        '0',
        '--pg-port',
        '0',
        '--no-generator',
        '--pipeline',
        'none',
      ],
      {
        cwd: dir,
        env: { TIDEWATCH_PASSWORD: 's3cret' },
      },
    );
    const done = collect(child);
    const banner = await waitForOutput(child, /Press Ctrl-C/);
    const port = /HTTP API\s+http:\/\/[^:]+:(\d+)/.exec(banner)?.[1];
    const url = `http://127.0.0.1:${port}/api/status`;
    assert.equal((await fetch(url)).status, 401);
    assert.equal((await fetch(url, { headers: { authorization: 'Bearer wrong' } })).status, 401);
    assert.equal((await fetch(url, { headers: { authorization: 'Bearer s3cret' } })).status, 200);
    child.kill('SIGTERM');
    assert.equal((await done).code, 0);
  });

  test('a bad statement in a pipeline file is reported with its file, line, column and SQLSTATE', async () => {
    const dir = tempDir();
    writeFileSync(
      join(dir, 'bad.sql'),
      'CREATE TABLE t (a INT);\n\nCREATE MATERIALIZED VIEW v AS\n  SELECT nope FROM t;\n',
    );
    const r = await runCli(['start', '--pipeline', 'bad.sql', '--no-generator', '--http-port', '0'], {
      cwd: dir,
    });
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /pipeline .*bad\.sql:line 4, column 10: .*nope.* \(SQLSTATE 42703\)/);
  });

  test('a clean stop commits its last events: the next start resumes with nothing to replay', async () => {
    const dir = tempDir();
    const args = [
      'start',
      '--http-port',
      '0',
      '--pg-port',
      '0',
      '--data-dir',
      'data',
      '--generator-rate',
      '500',
      '--status-interval',
      '60',
    ];
    const first = spawnCli(args, { cwd: dir });
    const firstDone = collect(first);
    await waitForOutput(first, /Press Ctrl-C to stop/);
    await new Promise((r) => setTimeout(r, 1500));
    first.kill('SIGINT');
    assert.equal((await firstDone).code, 0);
    const second = spawnCli(args, { cwd: dir });
    const secondDone = collect(second);
    const banner = await waitForOutput(second, /Press Ctrl-C to stop/);
    assert.match(banner, /resumed at epoch \d+ \(0 events replayed from the logs\)/);
    second.kill('SIGINT');
    assert.equal((await secondDone).code, 0);
  });

  test('a second start on the same data directory is refused while the first runs', async () => {
    const dir = tempDir();
    const first = spawnCli(
      ['start', '--http-port', '0', '--pg-port', '0', '--no-generator', '--data-dir', 'data'],
      {
        cwd: dir,
      },
    );
    const done = collect(first);
    await waitForOutput(first, /Press Ctrl-C to stop/);
    const second = await runCli(
      ['start', '--http-port', '0', '--pg-port', '0', '--no-generator', '--data-dir', 'data'],
      {
        cwd: dir,
      },
    );
    assert.equal(second.code, 1);
    assert.match(second.stderr, /data directory .*data is in use by process \d+/);
    first.kill('SIGINT');
    assert.equal((await done).code, 0);
    assert.deepEqual(JSON.parse(readFileSync(join(dir, 'data', 'FORMAT'), 'utf8')).format, DATA_FORMAT);
  });

  test('a port already in use gives a clear error and exit 1', async () => {
    const { createServer } = await import('node:net');
    const blocker = createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
    const { port } = blocker.address() as { port: number };
    const r = await runCli(['start', '--http-port', String(port), '--no-generator'], { cwd: tempDir() });
    blocker.close();
    assert.equal(r.code, 1);
    assert.match(r.stderr, new RegExp(`cannot listen on 127\\.0\\.0\\.1:${port}: .*EADDRINUSE`));
  });
});

test('on a Node.js older than 22.12 the command says what it needs instead of failing obscurely', (t) => {
  const system = '/usr/bin/node';
  const version = existsSync(system)
    ? spawnSync(system, ['--version'], { encoding: 'utf8' }).stdout.trim()
    : '';
  const [major = 0, minor = 0] = version.replace(/^v/, '').split('.').map(Number);
  if (!(major > 0 && (major < 22 || (major === 22 && minor < 12)))) {
    t.skip(`no Node.js older than 22.12 at ${system} (${version || 'none'})`);
    return;
  }
  const r = spawnSync(system, [BIN, '--version'], { encoding: 'utf8' });
  assert.equal(r.status, 1);
  assert.match(
    r.stderr,
    new RegExp(`needs Node\\.js 22\\.12 or newer; this is ${version.replaceAll('.', '\\.')}.*npm start`),
  );
});
