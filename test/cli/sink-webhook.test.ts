/**
 * A webhook sink of a real `tidewatch start`, posting to a real HTTP server on loopback that
 * answers 500s, hangs past the sink's timeout, is down (connection refused) for a while and
 * refuses one message for good (400); then tidewatch is SIGKILLed while a delivery is in
 * flight and started again on the same data directory. Every change of the view arrives, in
 * order, each with a deduplication key of its own; a message arriving twice has the same key;
 * the refused one is a dead letter, counted, and does not hold the others up.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type pg from 'pg';
import { RestartableServer } from '../helpers/restartable-server.ts';
import { getStatus, waitFor } from './ingestion-helpers.ts';

interface Message {
  readonly sink: string;
  readonly dedup_key: string;
  readonly epoch: number;
  readonly seq: number;
  readonly op: string;
  readonly status: 'firing' | 'resolved';
  readonly row: { readonly id: number; readonly actor: string };
}

type Mode = 'ok' | 'error' | 'hang';

/** An HTTP receiver whose answers the test switches, and which can be taken down and up on its port. */
class Receiver {
  mode: Mode = 'ok';
  /** Ids whose firing is refused for good (400). */
  readonly refuse = new Set<number>();
  /** Every request body received, with its Idempotency-Key and Authorization headers. */
  readonly received: { key: string; auth: string | undefined; message: Message; answer: number | 'hung' }[] =
    [];
  /** Bodies answered 2xx, in arrival order. */
  readonly accepted: Message[] = [];
  #server: Server | undefined;
  readonly #sockets = new Set<Socket>();
  readonly #hung: ServerResponse[] = [];
  port = 0;

  #handle(req: IncomingMessage, res: ServerResponse): void {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (d: string) => {
      body += d;
    });
    req.on('end', () => {
      const message = JSON.parse(body) as Message;
      const entry = {
        key: String(req.headers['idempotency-key']),
        auth: req.headers.authorization,
        message,
      };
      if (this.refuse.has(message.row.id) && message.status === 'firing') {
        this.received.push({ ...entry, answer: 400 });
        res.writeHead(400, { 'content-type': 'text/plain' }).end('no such channel');
      } else if (this.mode === 'error') {
        this.received.push({ ...entry, answer: 500 });
        res.writeHead(500).end('down for maintenance');
      } else if (this.mode === 'hang') {
        this.received.push({ ...entry, answer: 'hung' });
        this.#hung.push(res);
      } else {
        this.received.push({ ...entry, answer: 204 });
        this.accepted.push(message);
        res.writeHead(204).end();
      }
    });
  }

  async up(): Promise<void> {
    const server = createServer((req, res) => this.#handle(req, res));
    server.on('connection', (s) => {
      this.#sockets.add(s);
      s.on('close', () => this.#sockets.delete(s));
    });
    await new Promise<void>((resolve) => server.listen(this.port, '127.0.0.1', resolve));
    this.port = (server.address() as AddressInfo).port;
    this.#server = server;
  }

  /** Closes the listener and every connection: connections are refused until `up`. */
  async down(): Promise<void> {
    const server = this.#server;
    this.#server = undefined;
    for (const res of this.#hung.splice(0)) res.destroy();
    for (const s of this.#sockets) s.destroy();
    await new Promise<void>((resolve) => server?.close(() => resolve()) ?? resolve());
  }

  /** Ends the requests left hanging (without answering them). */
  dropHung(): void {
    for (const res of this.#hung.splice(0)) res.destroy();
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}/hook`;
  }
}

const receiver = new Receiver();
let dir: string;
let server: RestartableServer;
let client: pg.Client;

before(async () => {
  await receiver.up();
  dir = mkdtempSync(join(tmpdir(), 'tw-sink-webhook-'));
  server = new RestartableServer({
    dataDir: join(dir, 'data'),
    args: ['--pipeline', 'none', '--no-generator', '--status-interval', '60'],
  });
  await server.start();
  client = await server.connect();
});

after(async () => {
  await client?.end().catch(() => undefined);
  await server?.dispose();
  await receiver.down();
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
});

interface SinkStatus {
  readonly name: string;
  readonly state: string;
  readonly delivered: number;
  readonly retries: number;
  readonly deadLetters: number;
  readonly lastError?: string;
  readonly lastDeadLetter?: { readonly dedupKey: string; readonly reason: string };
}

async function sinkStatus(): Promise<SinkStatus> {
  const status = (await getStatus(server.httpUrl)) as unknown as { sinks: SinkStatus[] };
  const sink = status.sinks.find((s) => s.name === 'hook');
  assert.ok(sink !== undefined, `no sink hook in ${JSON.stringify(status.sinks)}`);
  return sink;
}

/** Waits until the receiver has accepted the firing of every id in `firing` and the resolution of every id in `resolved`. */
async function acceptedAll(firing: Iterable<number>, resolved: Iterable<number>): Promise<void> {
  const want = [...[...firing].map((id) => `firing:${id}`), ...[...resolved].map((id) => `resolved:${id}`)];
  await waitFor(
    `the receiver to accept ${want.length} changes`,
    async () => {
      const got = new Set(receiver.accepted.map((m) => `${m.status}:${m.row.id}`));
      return want.every((w) => got.has(w)) ? true : undefined;
    },
    {
      timeoutMs: 90_000,
      describe: () =>
        `accepted ${receiver.accepted.length}, received ${receiver.received.length}; stderr: ${server.stderr.slice(-2000)}`,
    },
  );
}

const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

async function insert(ids: readonly number[]): Promise<void> {
  for (const id of ids) await client.query('INSERT INTO events VALUES ($1, $2)', [id, `10.0.0.${id}`]);
}

test('every change arrives in order with its own key through 500s, timeouts, refused connections and a SIGKILL', {
  timeout: 240_000,
}, async () => {
  await client.query('CREATE TABLE events (id INT PRIMARY KEY, actor VARCHAR)');
  await client.query('CREATE MATERIALIZED VIEW watched AS SELECT id, actor FROM events');
  await client.query(
    `CREATE SINK hook FROM watched WITH (
       connector = 'webhook', url = '${receiver.url}', auth.token = 's3cret', timeout = '300ms',
       retry.backoff.ms = '20', retry.backoff.max.ms = '200', primary_key = 'id')`,
  );

  // 500s: the first changes wait, retried.
  receiver.mode = 'error';
  receiver.refuse.add(13);
  await insert(range(1, 10));
  await waitFor('three 500s', async () =>
    receiver.received.filter((r) => r.answer === 500).length >= 3 ? true : undefined,
  );
  // Hanging past the timeout.
  receiver.mode = 'hang';
  await waitFor('two requests left hanging', async () =>
    receiver.received.filter((r) => r.answer === 'hung').length >= 2 ? true : undefined,
  );
  // Down: connections refused.
  await receiver.down();
  await insert(range(11, 20));
  const retrying = await waitFor('the sink to report its retries', async () => {
    const s = await sinkStatus();
    return s.state === 'retrying' && /ECONNREFUSED/.test(s.lastError ?? '') ? s : undefined;
  });
  assert.ok(retrying.retries >= 3, JSON.stringify(retrying));
  receiver.mode = 'ok';
  await receiver.up();
  await acceptedAll(
    range(1, 20).filter((id) => id !== 13),
    [],
  );
  const afterFaults = await waitFor('the dead letter to be counted', async () => {
    const s = await sinkStatus();
    return s.deadLetters === 1 ? s : undefined;
  });
  assert.match(afterFaults.lastDeadLetter?.reason ?? '', /400/);
  assert.match(server.stderr, /sink hook: dead letter hook:\d+:\d+: POST .*400/);

  // Killed while a delivery is in flight, started again on the same data directory.
  receiver.mode = 'hang';
  const before = receiver.received.length;
  await insert(range(21, 30));
  await client.query('DELETE FROM events WHERE id <= 5');
  await waitFor('a delivery in flight', async () =>
    receiver.received.slice(before).some((r) => r.answer === 'hung') ? true : undefined,
  );
  await client.end();
  await server.kill();
  receiver.dropHung();
  receiver.mode = 'ok';
  await server.start();
  client = await server.connect();
  await acceptedAll(
    range(1, 30).filter((id) => id !== 13),
    range(1, 5),
  );

  // Same key, same message; every change its own key; the dead letter never accepted.
  const byKey = new Map<string, string>();
  for (const r of receiver.received) {
    assert.equal(r.key, r.message.dedup_key, 'the Idempotency-Key header is the dedup key');
    assert.equal(r.auth, 'Bearer s3cret');
    const body = JSON.stringify({ ...r.message, held_back: undefined });
    const seen = byKey.get(r.key);
    if (seen !== undefined) assert.equal(body, seen, `key ${r.key} carried two different messages`);
    byKey.set(r.key, body);
  }
  const changes = new Map<string, string>();
  for (const m of receiver.accepted) {
    const change = `${m.status}:${m.row.id}`;
    const key = changes.get(change);
    assert.ok(
      key === undefined || key === m.dedup_key,
      `${change} arrived under keys ${key} and ${m.dedup_key}`,
    );
    changes.set(change, m.dedup_key);
  }
  assert.equal(new Set(changes.values()).size, changes.size, 'every change has a key of its own');
  assert.equal(changes.size, 29 + 5);
  assert.ok(!changes.has('firing:13'));

  // In order: without repeats, keys increase by (epoch, seq); a resolution comes after its firing.
  const firsts: Message[] = [];
  const seen = new Set<string>();
  for (const m of receiver.accepted) {
    if (seen.has(m.dedup_key)) continue;
    seen.add(m.dedup_key);
    firsts.push(m);
  }
  for (let i = 1; i < firsts.length; i++) {
    const a = firsts[i - 1] as Message;
    const b = firsts[i] as Message;
    assert.ok(
      b.epoch > a.epoch || (b.epoch === a.epoch && b.seq > a.seq),
      `${a.dedup_key} before ${b.dedup_key}`,
    );
  }
  for (const id of range(1, 5)) {
    const fired = firsts.findIndex((m) => m.status === 'firing' && m.row.id === id);
    const resolved = firsts.findIndex((m) => m.status === 'resolved' && m.row.id === id);
    assert.ok(fired >= 0 && resolved > fired, `id ${id}: firing at ${fired}, resolved at ${resolved}`);
  }
  const final = await sinkStatus();
  assert.equal(final.deadLetters, 1, 'the dead letter count survived the restart');
  assert.ok(final.delivered >= 34, JSON.stringify(final));
});
