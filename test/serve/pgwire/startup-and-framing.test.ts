/**
 * The connection's edges: SSL/GSSENC negotiation without TLS, protocol versions, startup
 * parameters, and the faults that end a connection (oversized, negative or unknown messages,
 * malformed bodies, bytes after an SSLRequest, a client that never authenticates).
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import {
  cancelRequest,
  cstring,
  errorFieldsOf,
  gssencRequest,
  int16,
  int32,
  message,
  packet,
  query,
  RawClient,
  sslRequest,
  startupMessage,
  summary,
  terminate,
  textRowOf,
} from './raw-client.ts';
import { selfSignedCertificate } from './self-signed.ts';
import { startTestServer, type TestServer } from './test-server.ts';

let ts: TestServer;
before(async () => {
  ts = await startTestServer({ maxMessageBytes: 1024, authTimeoutMs: 300 });
});
after(async () => {
  assert.deepEqual(ts.unexpected, []);
  await ts.close();
});

async function fatal(bytes: Buffer[], afterStartup = true): Promise<Record<string, string>> {
  const c = afterStartup ? await RawClient.ready(ts.port) : await RawClient.connect(ts.port);
  c.send(...bytes);
  const ms = await c.readToEnd();
  assert.equal(
    summary(ms),
    `E:${errorFieldsOf(ms[0] as never).C}`,
    'one ErrorResponse, then the server closes',
  );
  const fields = errorFieldsOf(ms[0] as never);
  assert.equal(fields.S, 'FATAL');
  return fields;
}

test('the startup greeting: authentication, parameters, key, ready', async () => {
  const c = await RawClient.connect(ts.port);
  c.send(startupMessage({ user: 'grafana', database: 'dev', application_name: 'Grafana' }));
  const ms = await c.readUntil('Z');
  assert.equal(ms[0]?.type, 'R');
  assert.equal(ms[0]?.body.readInt32BE(0), 0);
  const params = Object.fromEntries(
    ms.filter((m) => m.type === 'S').map((m) => m.body.toString('utf8').split('\0').slice(0, 2)),
  );
  assert.deepEqual(params, {
    application_name: 'Grafana',
    client_encoding: 'UTF8',
    DateStyle: 'ISO, MDY',
    default_transaction_read_only: 'off',
    in_hot_standby: 'off',
    integer_datetimes: 'on',
    IntervalStyle: 'postgres',
    is_superuser: 'on',
    server_encoding: 'UTF8',
    server_version: '13.14.0',
    session_authorization: 'grafana',
    standard_conforming_strings: 'on',
    TimeZone: 'UTC',
  });
  const key = ms.find((m) => m.type === 'K');
  assert.equal(key?.body.length, 8);
  assert.equal(summary(ms.slice(-1)), 'Z:I');
  c.send(terminate());
  assert.deepEqual(await c.readToEnd(), []);
});

test('SSLRequest and GSSENCRequest are declined when no certificate is configured', async () => {
  const c = await RawClient.connect(ts.port);
  c.send(gssencRequest());
  assert.equal(await c.byte(), 'N');
  c.send(sslRequest());
  assert.equal(await c.byte(), 'N');
  c.send(startupMessage({ user: 'root' }));
  await c.readUntil('Z');
  c.send(query('SELECT 5 AS five'));
  const ms = await c.readUntil('Z');
  assert.deepEqual(textRowOf(ms[1] as never), ['5']);
  c.end();
});

test('a newer minor protocol version is negotiated down to 3.0', async () => {
  const c = await RawClient.connect(ts.port);
  c.send(startupMessage({ user: 'root', '_pq_.future': 'on' }, (3 << 16) | 2));
  const ms = await c.readUntil('Z');
  assert.equal(ms[0]?.type, 'v');
  assert.equal(ms[0]?.body.readInt32BE(0), 3 << 16);
  assert.equal(ms[0]?.body.readInt32BE(4), 1);
  assert.equal(ms[0]?.body.subarray(8).toString(), '_pq_.future\0');
  c.end();
});

test('protocol 2.0, a missing user, and bad startup lengths are refused', async () => {
  const v2 = await fatal([startupMessage({ user: 'root' }, 2 << 16)], false);
  assert.equal(v2.C, '0A000');
  assert.equal(v2.M, 'unsupported frontend protocol 2.0: server supports 3.0 to 3.0');
  assert.equal((await fatal([startupMessage({ database: 'dev' })], false)).C, '28000');
  assert.equal((await fatal([int32(20_000), int32(196608)], false)).M, 'invalid length of startup packet');
  assert.equal((await fatal([int32(3)], false)).C, '08P01');
  assert.equal((await fatal([packet(int32(196608), cstring('user'))], false)).C, '08P01');
});

test('oversized, negative-length, unknown and malformed messages end the connection with 08P01', async () => {
  const big = await fatal([Buffer.concat([Buffer.from('Q'), int32(100_000_000)])]);
  assert.equal(big.C, '08P01');
  assert.match(big.M ?? '', /too large: 99999996 bytes, at most 1024 accepted/);
  assert.equal((await fatal([Buffer.concat([Buffer.from('Q'), int32(2)])])).M, 'invalid message length 2');
  assert.equal((await fatal([Buffer.concat([Buffer.from('Q'), int32(-7)])])).C, '08P01');
  assert.equal((await fatal([message('z')])).M, 'invalid frontend message type 122');
  assert.equal(
    (await fatal([message('B', cstring(''), cstring(''), int16(1))])).M,
    'insufficient data left in message',
  );
  assert.equal((await fatal([message('Q', Buffer.from('no terminator'))])).M, 'invalid string in message');
  assert.equal((await fatal([message('S', Buffer.from('x'))])).M, 'invalid message format');
  assert.equal((await fatal([message('D', Buffer.from('Q'), cstring(''))])).C, '08P01');
});

test('the function call protocol is refused without ending the session; copy messages are ignored', async () => {
  const c = await RawClient.ready(ts.port);
  c.send(message('F', int32(1)), message('d', Buffer.from('stray')), message('c'), query('SELECT 1 AS one'));
  const ms = [...(await c.readUntil('Z')), ...(await c.readUntil('Z'))];
  assert.equal(summary(ms), 'E:0A000 Z:I T D C:SELECT 1 Z:I');
  c.end();
});

test('a CancelRequest for no session is dropped silently', async () => {
  const c = await RawClient.connect(ts.port);
  c.send(cancelRequest(12345, 678));
  assert.deepEqual(await c.readToEnd(), []);
});

test('a client that never finishes the startup is dropped after the authentication timeout', async () => {
  const started = Date.now();
  const c = await RawClient.connect(ts.port);
  c.send(int32(8));
  assert.deepEqual(await c.readToEnd(2000), []);
  const waited = Date.now() - started;
  assert.ok(waited >= 250 && waited < 3000, `dropped after ${waited} ms`);
});

test('bytes sent after an SSLRequest, before the handshake, are refused', async () => {
  const secure = await startTestServer({ tls: selfSignedCertificate() });
  const c = await RawClient.connect(secure.port);
  c.send(sslRequest(), startupMessage({ user: 'root' }));
  const ms = await c.readToEnd();
  assert.equal(summary(ms), 'E:08P01');
  assert.equal(errorFieldsOf(ms[0] as never).M, 'received unencrypted data after SSL request');
  assert.deepEqual(secure.unexpected, []);
  await secure.close();
});

test('closing the server tells connected clients, as a PostgreSQL shutdown does', async () => {
  const doomed = await startTestServer();
  const c = await RawClient.ready(doomed.port);
  await doomed.close();
  const ms = await c.readToEnd();
  assert.equal(summary(ms), 'E:57P01');
  assert.equal(errorFieldsOf(ms[0] as never).M, 'terminating connection due to administrator command');
  assert.equal(doomed.server.connections, 0);
});
