/**
 * Fuzzing the endpoint with a fixed seed: 10,000 connections sending random bytes, random and
 * mutated startup packets, valid sessions with random, mutated, truncated or oversized
 * messages, split at random points, closed politely or abruptly, to a trusting and a
 * password-protected server. Afterwards the process has seen no uncaught exception, the
 * server reported no unexpected error, every connection is gone, and normal clients work.
 */
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, before, test } from 'node:test';
import pg from 'pg';
import { prng } from '../../helpers/random.ts';
import {
  bind,
  cancelRequest,
  close,
  cstring,
  describe,
  execute,
  flush,
  gssencRequest,
  int16,
  int32,
  message,
  packet,
  parse,
  query,
  RawClient,
  sslRequest,
  startupMessage,
  sync,
  terminate,
  textRowOf,
} from './raw-client.ts';
import { startTestServer, type TestServer } from './test-server.ts';

const CASES = 10_000;
const PARALLEL = 32;

const random = prng(20_240_611);
const below = (n: number): number => Math.floor(random() * n);
const pick = <T>(items: readonly T[]): T => items[below(items.length)] as T;
const randomBytes = (n: number): Buffer => Buffer.from(Array.from({ length: n }, () => below(256)));

const STARTUP = startupMessage({ user: 'root', database: 'dev' });

const validMessages: readonly Buffer[] = [
  query('SELECT a, b FROM t ORDER BY a'),
  query('-- ping'),
  query('SELECT 1; SELECT nosuch'),
  query('BEGIN'),
  query('ROLLBACK'),
  parse('', 'SELECT a FROM t WHERE a > $1::int'),
  parse('s', 'SELECT $1::int8 AS n, $2::text AS s', [20, 25]),
  parse('', ''),
  bind('', '', [Buffer.from('2')]),
  bind('p', 's', [int32(0), Buffer.from('x')], [1, 0], [1]),
  bind('', 's', [Buffer.alloc(8), null], [1], [0, 1]),
  describe('S', 's'),
  describe('P', ''),
  describe('P', 'p'),
  execute('', 1),
  execute('p', 0),
  close('S', 's'),
  close('P', 'p'),
  sync(),
  flush(),
  message('p', cstring('secret')),
  message('d', Buffer.from('copy')),
  message('c'),
  message('f', cstring('stop')),
  query("COPY t TO STDOUT WITH (FORMAT csv, HEADER, NULL 'x')"),
  parse('c', 'COPY (SELECT a, b FROM t) TO STDOUT'),
  bind('', 'c'),
  message('F', int32(0), int16(0), int16(0), int16(0)),
];

function mutate(b: Buffer): Buffer {
  const out = Buffer.from(b);
  switch (below(4)) {
    case 0:
      for (let k = 0; k <= below(3); k++) out[below(out.length)] = below(256);
      return out;
    case 1:
      return out.subarray(0, below(out.length));
    case 2:
      return Buffer.concat([out, randomBytes(1 + below(16))]);
    default:
      if (out.length >= 5) out.writeInt32BE(below(2) === 0 ? below(64) : -below(1000), 1);
      return out;
  }
}

/** One case: the bytes to send and how the client leaves. */
function makeCase(): { bytes: Buffer; abrupt: boolean; password: boolean } {
  const password = below(4) === 0;
  let bytes: Buffer;
  switch (below(9)) {
    case 0:
      bytes = randomBytes(below(64));
      break;
    case 1:
      bytes = Buffer.concat([STARTUP, randomBytes(1 + below(64))]);
      break;
    case 2: {
      const ms = Array.from({ length: 1 + below(6) }, () => pick(validMessages));
      const at = below(ms.length);
      ms[at] = mutate(ms[at] as Buffer);
      bytes = Buffer.concat([STARTUP, ...ms]);
      break;
    }
    case 3: {
      const type = below(2) === 0 ? pick([...'QPBDECSHXFdcfp']) : String.fromCharCode(below(256));
      bytes = Buffer.concat([STARTUP, message(type, randomBytes(below(48)))]);
      break;
    }
    case 4: {
      const length = pick([0x7fff_ffff, 64 * 1024 * 1024, 5000, -1, 0, 3]);
      bytes = Buffer.concat([STARTUP, Buffer.from(pick([...'QPB'])), int32(length), randomBytes(below(32))]);
      break;
    }
    case 5: {
      const whole = Buffer.concat([
        STARTUP,
        ...Array.from({ length: 1 + below(4) }, () => pick(validMessages)),
      ]);
      bytes = whole.subarray(0, STARTUP.length + below(whole.length - STARTUP.length));
      break;
    }
    case 6: {
      const startups = [
        STARTUP,
        sslRequest(),
        gssencRequest(),
        cancelRequest(below(100_000), below(1 << 30)),
        startupMessage({ user: 'x' }, below(2 ** 31)),
        packet(int32(80877103), randomBytes(below(8))),
        packet(int32(196608), randomBytes(below(40))),
      ];
      bytes = Buffer.concat(Array.from({ length: 1 + below(3) }, () => mutate(pick(startups))));
      break;
    }
    case 7:
      bytes = Buffer.concat([
        sslRequest(),
        gssencRequest(),
        STARTUP,
        ...Array.from({ length: 1 + below(8) }, () => pick(validMessages)),
        sync(),
        below(2) === 0 ? terminate() : Buffer.alloc(0),
      ]);
      break;
    default:
      bytes = Buffer.concat([
        STARTUP,
        message('p', cstring('SCRAM-SHA-256'), int32(below(40) - 1), randomBytes(below(40))),
        message('p', randomBytes(below(80))),
      ]);
  }
  return { bytes, abrupt: below(3) === 0, password };
}

/** Sends `bytes` in random pieces, then leaves; resolves once the socket is closed. */
function runCase(port: number, c: { bytes: Buffer; abrupt: boolean }): Promise<void> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.on('error', () => {});
    socket.on('data', () => {});
    socket.on('close', () => resolve());
    socket.on('connect', () => {
      let at = 0;
      while (at < c.bytes.length) {
        const n = 1 + below(c.bytes.length - at);
        socket.write(c.bytes.subarray(at, at + n));
        at += n;
      }
      if (c.abrupt) socket.destroy();
      else socket.end();
    });
  });
}

let trusting: TestServer;
let guarded: TestServer;
const uncaught: unknown[] = [];
const onUncaught = (e: unknown): void => {
  uncaught.push(e);
};

before(async () => {
  process.on('uncaughtException', onUncaught);
  process.on('unhandledRejection', onUncaught);
  trusting = await startTestServer({ maxMessageBytes: 4096, authTimeoutMs: 5000 });
  guarded = await startTestServer({ password: 'pw', maxMessageBytes: 4096, authTimeoutMs: 5000 });
});
after(async () => {
  await trusting.close();
  await guarded.close();
  process.off('uncaughtException', onUncaught);
  process.off('unhandledRejection', onUncaught);
});

test(`${CASES} fuzzed connections leave the server working`, async () => {
  const cases = Array.from({ length: CASES }, makeCase);
  let next = 0;
  await Promise.all(
    Array.from({ length: PARALLEL }, async () => {
      while (next < cases.length) {
        const c = cases[next++] as ReturnType<typeof makeCase>;
        await runCase(c.password ? guarded.port : trusting.port, c);
      }
    }),
  );
  for (let i = 0; i < 200 && trusting.server.connections + guarded.server.connections > 0; i++)
    await new Promise((r) => setTimeout(r, 10));
  assert.equal(trusting.server.connections + guarded.server.connections, 0, 'every connection ended');
  assert.ok(trusting.backend.sessionsOpened > CASES / 3, 'most cases got past the startup into a session');
  assert.equal(trusting.backend.openSessions + guarded.backend.openSessions, 0, 'every session was closed');
  assert.deepEqual(uncaught, []);
  assert.deepEqual(trusting.unexpected, []);
  assert.deepEqual(guarded.unexpected, []);

  const raw = await RawClient.ready(trusting.port);
  raw.send(query('SELECT b FROM t WHERE a = 3'));
  const ms = await raw.readUntil('Z');
  assert.deepEqual(textRowOf(ms[1] as never), ['three']);
  raw.end();
  const client = new pg.Client({
    host: '127.0.0.1',
    port: guarded.port,
    user: 'root',
    database: 'dev',
    password: 'pw',
  });
  await client.connect();
  assert.deepEqual((await client.query('SELECT a FROM t WHERE a = $1::int', [4])).rows, [{ a: 4 }]);
  await client.end();
});
