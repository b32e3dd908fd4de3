/**
 * Authentication and transport security: trust on loopback, SCRAM-SHA-256 and MD5 with right
 * and wrong passwords (pg and psql), the refusal to listen beyond loopback without a password,
 * channel binding refused clearly, and TLS with a certificate made at test time.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { before, test } from 'node:test';
import { promisify } from 'node:util';
import pg from 'pg';
import { parseScramSecret, scramSecretText } from '../../../src/auth/scram-secret.ts';
import { ScramExchange, scramVerifier } from '../../../src/serve/pgwire/scram.ts';
import { listenPg } from '../../../src/serve/pgwire/server.ts';
import { EngineBackend } from './engine-backend.ts';
import { cstring, errorFieldsOf, int32, message, RawClient, startupMessage, summary } from './raw-client.ts';
import { type Certificate, selfSignedCertificate } from './self-signed.ts';
import { startTestServer } from './test-server.ts';

const run = promisify(execFile);

async function pgQuery(port: number, config: pg.ClientConfig, sql = 'SELECT 7 AS seven'): Promise<unknown> {
  const client = new pg.Client({ host: '127.0.0.1', port, user: 'root', database: 'dev', ...config });
  await client.connect();
  try {
    return (await client.query(sql)).rows;
  } finally {
    await client.end();
  }
}

let certificate: Certificate;
before(() => {
  certificate = selfSignedCertificate();
});

test('SCRAM-SHA-256 follows RFC 7677', async () => {
  const verifier = await scramVerifier('pencil', Buffer.from('W22ZaJ0SNY7soEsUEjb6gQ==', 'base64'), 4096);
  const exchange = new ScramExchange(verifier, '%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0');
  assert.equal(
    exchange.start('n,,n=user,r=rOprNGfwEbeRWgbNEkqO'),
    'r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096',
  );
  const final = 'c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0';
  assert.equal(
    exchange.finish(`${final},p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=`),
    'v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=',
  );
  const wrong = new ScramExchange(verifier, '%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0');
  wrong.start('n,,n=user,r=rOprNGfwEbeRWgbNEkqO');
  assert.equal(wrong.finish(`${final},p=${Buffer.alloc(32, 1).toString('base64')}`), undefined);
});

test('trust on loopback without a password', async () => {
  const ts = await startTestServer();
  assert.deepEqual(await pgQuery(ts.port, {}), [{ seven: 7 }]);
  assert.deepEqual(await pgQuery(ts.port, { password: 'whatever' }), [{ seven: 7 }]);
  await ts.close();
});

test('listening beyond loopback needs a password', async () => {
  const backend = new EngineBackend();
  await assert.rejects(
    listenPg(backend, { host: '0.0.0.0', port: 0 }),
    /refusing to listen on 0\.0\.0\.0 without a password/,
  );
  await assert.rejects(listenPg(backend, { host: '::', port: 0 }), /refusing to listen/);
  await assert.rejects(listenPg(backend, { host: '127.0.0.1', port: 0, auth: 'md5' }), /needs a password/);
  const open = await listenPg(backend, { host: '0.0.0.0', port: 0, password: 'secret' });
  assert.ok(open.port > 0);
  await open.close();
  backend.engine.close();
});

test('SCRAM-SHA-256: the right password in, a wrong one refused with 28P01', async () => {
  const ts = await startTestServer({ password: 's3cret ünïcode' });
  assert.deepEqual(await pgQuery(ts.port, { password: 's3cret ünïcode' }), [{ seven: 7 }]);
  await assert.rejects(pgQuery(ts.port, { password: 'wrong' }), {
    code: '28P01',
    severity: 'FATAL',
    message: 'password authentication failed for user "root"',
  });
  const ok = await run(
    'psql',
    ['-X', '-At', '-h', '127.0.0.1', '-p', String(ts.port), '-U', 'root', '-d', 'dev', '-c', 'select 1 + 1'],
    {
      env: { ...process.env, PGPASSWORD: 's3cret ünïcode', PGSSLMODE: 'disable' },
    },
  );
  assert.equal(ok.stdout, '2\n');
  await assert.rejects(
    run(
      'psql',
      ['-X', '-h', '127.0.0.1', '-p', String(ts.port), '-U', 'root', '-d', 'dev', '-c', 'select 1'],
      {
        env: { ...process.env, PGPASSWORD: 'nope', PGSSLMODE: 'disable' },
      },
    ),
    (e: { stderr: string }) => /password authentication failed for user "root"/.test(e.stderr),
  );
  assert.deepEqual(ts.unexpected, []);
  await ts.close();
});

test('SCRAM channel binding (p=) is refused with a clear error', async () => {
  const ts = await startTestServer({ password: 'pw' });
  const c = await RawClient.connect(ts.port);
  c.send(startupMessage({ user: 'root', database: 'dev' }));
  const sasl = await c.next();
  assert.equal(sasl?.type, 'R');
  assert.equal(sasl?.body.readInt32BE(0), 10);
  assert.equal(sasl?.body.subarray(4).toString(), 'SCRAM-SHA-256\0\0');
  const first = Buffer.from('p=tls-server-end-point,,n=,r=abcdefgh');
  c.send(message('p', cstring('SCRAM-SHA-256'), int32(first.length), first));
  const ms = await c.readToEnd();
  assert.equal(summary(ms), 'E:0A000');
  assert.match(errorFieldsOf(ms[0] as never).M ?? '', /channel binding .* is not supported/);
  assert.equal(errorFieldsOf(ms[0] as never).S, 'FATAL');
  await ts.close();
});

test('MD5 for old clients: the right password in, a wrong one refused', async () => {
  const ts = await startTestServer({ password: 'old-school', auth: 'md5' });
  assert.deepEqual(await pgQuery(ts.port, { password: 'old-school' }), [{ seven: 7 }]);
  await assert.rejects(pgQuery(ts.port, { password: 'new-school' }), { code: '28P01' });
  const c = await RawClient.connect(ts.port);
  c.send(startupMessage({ user: 'root' }));
  const challenge = await c.next();
  assert.equal(challenge?.body.readInt32BE(0), 5, 'AuthenticationMD5Password');
  assert.equal(challenge?.body.length, 8, 'with a 4-byte salt');
  c.end();
  await ts.close();
});

test('TLS with a self-signed certificate, for pg and psql; plain connections still work', async () => {
  const ts = await startTestServer({
    password: 'tls-pw',
    tls: certificate,
  });
  assert.deepEqual(await pgQuery(ts.port, { password: 'tls-pw', ssl: { rejectUnauthorized: false } }), [
    { seven: 7 },
  ]);
  assert.deepEqual(await pgQuery(ts.port, { password: 'tls-pw', ssl: false }), [{ seven: 7 }]);
  await assert.rejects(pgQuery(ts.port, { password: 'bad', ssl: { rejectUnauthorized: false } }), {
    code: '28P01',
  });
  const out = await run(
    'psql',
    [
      '-X',
      '-At',
      `host=127.0.0.1 port=${ts.port} user=root dbname=dev sslmode=require`,
      '-c',
      'select 3',
      '-c',
      '\\conninfo',
    ],
    { env: { ...process.env, PGPASSWORD: 'tls-pw' } },
  );
  assert.match(out.stdout, /^3\n/);
  assert.match(out.stdout, /SSL connection \(protocol: TLSv1\.3/);
  assert.deepEqual(ts.unexpected, []);
  await ts.close();
});

test('each user logs in with its own password, the server’s is its user’s, and an unknown user fails as a wrong password', async () => {
  const alice = parseScramSecret(scramSecretText('alice-pw'));
  for (const auth of ['scram-sha-256', 'md5'] as const) {
    const superusers: string[] = [];
    const ts = await startTestServer({
      password: 'root-pw',
      auth,
      passwordUser: 'root',
      userSecret: (user) => (user === 'alice' ? alice : undefined),
      isSuperuser: (user) => {
        superusers.push(user);
        return user === 'root';
      },
    });
    assert.deepEqual(await pgQuery(ts.port, { password: 'root-pw' }), [{ seven: 7 }], auth);
    // A password stored as SCRAM is asked by SCRAM even where the server's own is MD5, as in PostgreSQL.
    assert.deepEqual(await pgQuery(ts.port, { user: 'alice', password: 'alice-pw' }), [{ seven: 7 }], auth);
    for (const [user, password] of [
      ['alice', 'root-pw'],
      ['root', 'alice-pw'],
      ['ghost', 'alice-pw'],
    ] as const)
      await assert.rejects(
        pgQuery(ts.port, { user, password }),
        (e: { code?: string; message: string }) =>
          e.code === '28P01' && e.message === `password authentication failed for user "${user}"`,
        `${auth} ${user}`,
      );
    assert.deepEqual(superusers, ['root', 'alice']);
    await ts.close();
  }
});
