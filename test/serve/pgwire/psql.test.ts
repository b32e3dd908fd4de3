/** Debian's psql 15 against the endpoint: tables, `-- ping`, verbose errors with SQLSTATE, several statements per -c. */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';
import { startTestServer, type TestServer } from './test-server.ts';

const execFileAsync = promisify(execFile);

let ts: TestServer;
before(async () => {
  ts = await startTestServer();
});
after(async () => {
  assert.deepEqual(ts.unexpected, []);
  await ts.close();
});

interface PsqlRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** psql with `args` after the connection flags; never throws for a failing exit code. */
async function psql(...args: string[]): Promise<PsqlRun> {
  const argv = ['-X', '-h', '127.0.0.1', '-p', String(ts.port), '-U', 'root', '-d', 'dev', ...args];
  try {
    const { stdout, stderr } = await execFileAsync('/usr/bin/psql', argv, {
      env: { ...process.env, PGSSLMODE: 'prefer', PGCONNECT_TIMEOUT: '5' },
      timeout: 10_000,
    });
    return { code: 0, stdout, stderr };
  } catch (e) {
    const failed = e as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

test('a query prints as a table', async () => {
  const r = await psql('-c', 'select a, b from t where a < 3 order by a');
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, ' a |  b  \n---+-----\n 1 | one\n 2 | two\n(2 rows)\n\n');
});

test("Grafana's `-- ping` is an empty query", async () => {
  const r = await psql('-c', '-- ping');
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, '');
  assert.equal(r.stderr, '');
});

test('an error prints its SQLSTATE, message and place with VERBOSITY verbose', async () => {
  const r = await psql('-c', '\\set VERBOSITY verbose', '-c', 'select nosuch from t');
  assert.equal(r.code, 1);
  assert.equal(
    r.stderr,
    'ERROR:  42703: column "nosuch" does not exist\nLINE 1: select nosuch from t\n               ^\n',
  );
});

test('several statements in one -c print every result', async () => {
  const r = await psql('-At', '-c', "select 1 as one; select b from t where a = 5; select 'x' || 'y'");
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, '1\nfive\nxy\n');
});

test('a script: DDL, inserts, flush, a query, and an error that does not stop it', async () => {
  const r = await psql(
    '-At',
    '-c',
    'create table ps (k int, v varchar)',
    '-c',
    "insert into ps values (1, 'a'), (2, 'b'); flush",
    '-c',
    'select nothing_here',
    '-c',
    "select string_agg(v, ',') from ps",
  );
  assert.equal(r.stdout, 'CREATE_TABLE\nINSERT 0 2\nFLUSH\na,b\n');
  assert.match(r.stderr, /ERROR: {2}column "nothing_here" does not exist/);
});
