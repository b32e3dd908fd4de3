import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { drive } from '../../src/generator/drive.ts';
import { labelFile, ndjsonFile, ndjsonHttp, ndjsonStream } from '../../src/generator/outputs.ts';
import { toJsonLine } from '../../src/generator/record.ts';
import type { TrafficOptions } from '../../src/generator/traffic.ts';
import { generate, START } from './helpers.ts';

const TRAFFIC: TrafficOptions = {
  seed: 21,
  rate: 500,
  startMs: START,
  attacks: [{ scenario: 'brute-force' }, { scenario: 'xss' }],
  attackDurationSec: 3,
  attackGapSec: 2,
};

function expectedText(count: number): string {
  return generate(TRAFFIC, count)
    .records.map((record) => `${toJsonLine(record)}\n`)
    .join('');
}

let directory = '';
before(async () => {
  directory = await mkdtemp(join(tmpdir(), 'tidewatch-generator-'));
});
after(async () => {
  await rm(directory, { recursive: true, force: true });
});

test('file outputs: records and labels as NDJSON', async () => {
  const recordsPath = join(directory, 'records.ndjson');
  const labelsPath = join(directory, 'labels.ndjson');
  await drive(
    { traffic: TRAFFIC, speedup: 'max', count: 12_000 },
    ndjsonFile(recordsPath),
    labelFile(labelsPath),
  );
  assert.equal(await readFile(recordsPath, 'utf8'), expectedText(12_000));
  const labels = (await readFile(labelsPath, 'utf8'))
    .trimEnd()
    .split('\n')
    .map((line) => JSON.parse(line) as Record<string, unknown>);
  assert.ok(labels.length >= 4);
  assert.deepEqual(new Set(labels.map((label) => label.scenario)), new Set(['brute-force', 'xss']));
});

test('a label file exists even when no attack ran; a bad path rejects', async () => {
  const labelsPath = join(directory, 'no-labels.ndjson');
  await drive(
    { traffic: { seed: 1, rate: 10, startMs: START }, speedup: 'max', count: 5 },
    ndjsonFile(join(directory, 'few.ndjson')),
    labelFile(labelsPath),
  );
  assert.equal(await readFile(labelsPath, 'utf8'), '');
  await assert.rejects(
    drive(
      { traffic: { seed: 1, rate: 10, startMs: START }, speedup: 'max', count: 5 },
      ndjsonFile(join(directory, 'missing', 'records.ndjson')),
    ),
    /ENOENT/,
  );
});

test('stream output waits for a slow reader and leaves the stream open', async () => {
  const chunks: Buffer[] = [];
  let maxBuffered = 0;
  const slow = new Writable({
    highWaterMark: 16 * 1024,
    write(chunk: Buffer, _encoding, callback) {
      chunks.push(chunk);
      setTimeout(callback, 1);
    },
  });
  const output = ndjsonStream(slow);
  const generated = generate(TRAFFIC, 20_000).records;
  for (let i = 0; i < generated.length; i += 2000) {
    await output.write(generated.slice(i, i + 2000));
    maxBuffered = Math.max(maxBuffered, slow.writableLength);
  }
  await output.close();
  assert.equal(Buffer.concat(chunks).toString('utf8'), expectedText(20_000));
  assert.ok(maxBuffered <= 16 * 1024, `${maxBuffered} bytes still buffered after a write resolved`);
  assert.equal(slow.writableEnded, false);
});

test('stdout output ends quietly when the reader goes away (EPIPE)', async () => {
  const fixture = fileURLToPath(new URL('./fixtures/drive-to-stdout.ts', import.meta.url));
  const child = spawn(process.execPath, [fixture], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (text: string) => {
    stderr += text;
  });
  const firstLine = await new Promise<string>((resolve) => {
    let text = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      text += chunk;
      if (text.includes('\n')) {
        child.stdout.destroy();
        resolve(text.slice(0, text.indexOf('\n')));
      }
    });
  });
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  const [expected] = generate({ seed: 1, rate: 1000, startMs: START }, 1).records;
  assert.ok(expected);
  assert.equal(firstLine, toJsonLine(expected));

  assert.equal(code, 0, stderr);
  assert.match(stderr, /^stopped after \d+ records\n$/);
});

interface Received {
  method: string | undefined;
  type: string | undefined;
  token: string | undefined;
  body: string;
}

async function listen(handler: (request: IncomingMessage, body: string) => [number, string]): Promise<{
  server: Server;
  url: string;
  received: Received[];
}> {
  const received: Received[] = [];
  const server = createServer(async (request, response) => {
    let body = '';
    for await (const chunk of request) body += chunk;
    received.push({
      method: request.method,
      type: request.headers['content-type'],
      token: request.headers['x-token'] as string | undefined,
      body,
    });
    const [status, reply] = handler(request, body);
    response.writeHead(status, { 'content-type': 'text/plain' }).end(reply);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { server, url: `http://127.0.0.1:${port}/ingest`, received };
}

test('HTTP output POSTs NDJSON batches in order', async () => {
  const { server, url, received } = await listen(() => [204, '']);
  try {
    const output = ndjsonHttp(url, { batchSize: 500, headers: { 'x-token': 'secret' } });
    await drive({ traffic: TRAFFIC, speedup: 'max', count: 1234 }, output);
    assert.deepEqual(
      received.map((request) => request.body.split('\n').length - 1),
      [500, 500, 234],
    );
    assert.ok(received.every((request) => request.method === 'POST'));
    assert.ok(received.every((request) => request.type === 'application/x-ndjson'));
    assert.ok(received.every((request) => request.token === 'secret'));
    assert.equal(received.map((request) => request.body).join(''), expectedText(1234));
  } finally {
    server.close();
  }
});

test('HTTP output: a refusal or an unreachable server rejects with a clear message', async () => {
  const { server, url } = await listen(() => [503, 'ingest queue full']);
  try {
    await assert.rejects(
      drive({ traffic: TRAFFIC, speedup: 'max', count: 10 }, ndjsonHttp(url)),
      (error: Error) =>
        error.message.includes(url) &&
        error.message.includes('503') &&
        error.message.includes('ingest queue full'),
    );
  } finally {
    server.close();
  }
  await new Promise((resolve) => server.once('close', resolve));
  await assert.rejects(
    drive({ traffic: TRAFFIC, speedup: 'max', count: 10 }, ndjsonHttp(url)),
    (error: Error) =>
      error.message.startsWith(`POST ${url} failed`) && error.message.includes('ECONNREFUSED'),
  );
  assert.throws(() => ndjsonHttp('ftp://example.com/x'), /not an http\(s\) URL/);
});
