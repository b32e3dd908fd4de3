/**
 * The whole loop against a real web server: Debian's nginx on loopback serves a directory and
 * writes its access log; `tidewatch start --detections` follows that log; a scripted attacker
 * (127.0.0.2: failed logins, then a path scan) is detected, the blocklist sink's deny include
 * names it, `nginx -s reload` picks it up, and the attacker's next request gets 403 while another
 * client (127.0.0.3) still gets 200. Skipped, saying why, without nginx.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type pg from 'pg';
import { NO_NGINX, nginxBinary, reloadNginx, writeNginxConfig } from '../helpers/nginx.ts';
import { RestartableServer } from '../helpers/restartable-server.ts';
import { waitFor } from './ingestion-helpers.ts';

const NGINX = nginxBinary();
const ATTACKER = '127.0.0.2';
const VISITOR = '127.0.0.3';

let dir: string;
let nginx: ChildProcess | undefined;
let server: RestartableServer | undefined;
let client: pg.Client | undefined;

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

/** One request from `from`; resolves with the status. */
function hit(port: number, from: string, method: string, path: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        method,
        path,
        localAddress: from,
        headers: { 'user-agent': 'Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0' },
        agent: false,
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', reject);
    req.end(method === 'POST' ? 'user=admin&password=guess' : undefined);
  });
}

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'tw-nginx-loop-'));
  chmodSync(dir, 0o755); // nginx's workers run as another user
});

after(async () => {
  await client?.end().catch(() => undefined);
  await server?.dispose();
  if (nginx !== undefined && nginx.exitCode === null) {
    const exited = new Promise((resolve) => nginx?.once('exit', resolve));
    nginx.kill('SIGQUIT');
    await exited;
  }
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
});

test('nginx denies the attacker tidewatch detected, and still serves everyone else', {
  skip: NGINX === undefined ? NO_NGINX : false,
}, async () => {
  const bin = NGINX as string;
  const site = join(dir, 'site');
  const accessLog = join(dir, 'access.log');
  const deny = join(dir, 'deny.conf');
  mkdirSync(site, { mode: 0o755 });
  writeFileSync(join(site, 'index.html'), '<h1>hello</h1>\n', { mode: 0o644 });
  writeFileSync(accessLog, '');
  writeFileSync(deny, '');
  const port = await freePort();
  const nginxDir = join(dir, 'nginx');
  const conf = writeNginxConfig(nginxDir, {
    port,
    root: site,
    includes: [deny],
    accessLog,
    locations: ['location = /login { return 401; }'],
  });
  nginx = spawn(bin, ['-p', nginxDir, '-c', conf], { stdio: ['ignore', 'ignore', 'pipe'] });
  let nginxErr = '';
  nginx.stderr?.on('data', (d: Buffer) => {
    nginxErr += d;
  });
  await waitFor(
    'nginx to serve',
    async () => ((await hit(port, VISITOR, 'GET', '/').catch(() => 0)) === 200 ? true : undefined),
    {
      timeoutMs: 15_000,
      describe: () => nginxErr,
    },
  );

  server = new RestartableServer({
    dataDir: join(dir, 'data'),
    args: ['--detections', '--input', accessLog, '--format', 'combined', '--status-interval', '60'],
  });
  await server.start();
  client = await server.connect();
  await client.query(
    `CREATE SINK attackers FROM detections WITH (connector = 'blocklist', duration = '10 minutes', nginx.path = '${deny}')`,
  );

  // The attacker: failed logins, then a scan of sensitive paths.
  for (let i = 0; i < 8; i++) assert.equal(await hit(port, ATTACKER, 'POST', '/login'), 401);
  for (const path of ['/.git/config', '/.env', '/wp-admin/', '/backup.sql', '/phpmyadmin/'])
    assert.equal(await hit(port, ATTACKER, 'GET', path), 404);
  assert.equal(await hit(port, VISITOR, 'GET', '/'), 200);

  await waitFor(
    'the deny include to name the attacker',
    async () => (readFileSync(deny, 'utf8').includes(`deny ${ATTACKER};`) ? true : undefined),
    { timeoutMs: 60_000, describe: () => readFileSync(deny, 'utf8') },
  );
  const { rows } = await client.query(
    'SELECT DISTINCT scenario FROM detections WHERE actor = $1 ORDER BY 1',
    [ATTACKER],
  );
  assert.deepEqual(
    rows.map((r: { scenario: string }) => r.scenario),
    ['brute-force', 'path-scan'],
  );
  assert.doesNotMatch(readFileSync(deny, 'utf8'), new RegExp(VISITOR.replaceAll('.', '\\.')));

  reloadNginx(bin, conf, nginxDir);
  // A reload starts new workers and retires the old ones gracefully: the new list holds soon after.
  await waitFor(
    'the attacker to be denied',
    async () => ((await hit(port, ATTACKER, 'GET', '/')) === 403 ? true : undefined),
    {
      timeoutMs: 15_000,
    },
  );
  assert.equal(await hit(port, VISITOR, 'GET', '/'), 200);
  assert.ok(existsSync(accessLog));
});
