import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { collect, runCli, spawnCli, waitForOutput } from '../helpers/cli.ts';

const lines = (text: string) => text.split('\n').filter((l) => l !== '');

describe('tidewatch generate', () => {
  test('--rate 1000 --duration 5 prints about 5000 records on the wall clock', async () => {
    const before = Date.now();
    const r = await runCli(['generate', '--rate', '1000', '--duration', '5', '--seed', '1']);
    assert.equal(r.code, 0, r.stderr);
    const records = lines(r.stdout).map((l) => JSON.parse(l));
    assert.ok(Math.abs(records.length - 5000) <= 250, `${records.length} records`);
    const times = records.map((rec) => Date.parse(rec.request_timestamp));
    assert.ok((times[0] as number) >= before - 1000, 'event time follows the wall clock');
    assert.ok((times.at(-1) as number) <= Date.now() + 1000);
  });

  test('simulated time with a seed gives byte-identical runs; another seed differs', async () => {
    const args = ['generate', '--start', '2024-01-25T12:00:00Z', '--speedup', '100', '--count', '3000'];
    const [a, b, c] = await Promise.all([
      runCli([...args, '--seed', '42']),
      runCli([...args, '--seed', '42']),
      runCli([...args, '--seed', '43']),
    ]);
    assert.equal(a.code, 0, a.stderr);
    assert.equal(lines(a.stdout).length, 3000);
    assert.equal(a.stdout, b.stdout);
    assert.notEqual(a.stdout, c.stdout);
    assert.equal(JSON.parse(lines(a.stdout)[0] as string).request_timestamp.slice(0, 16), '2024-01-25T12:00');
  });

  test('writes a file and attack labels, and POSTs NDJSON batches over HTTP', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tidewatch-gen-'));
    const file = join(dir, 'out.ndjson');
    const labels = join(dir, 'labels.ndjson');
    const common = [
      '--start',
      '2024-01-25T12:00:00Z',
      '--speedup',
      'max',
      '--duration',
      '120',
      '--seed',
      '5',
    ];
    const r = await runCli([
      'generate',
      ...common,
      '--attack',
      'brute-force,scan:20',
      '--labels',
      labels,
      '-o',
      file,
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /generated \d+ records/);
    const written = lines(readFileSync(file, 'utf8'));
    assert.ok(written.length > 24_000, `${written.length} records`);
    const episodes = lines(readFileSync(labels, 'utf8')).map((l) => JSON.parse(l));
    assert.deepEqual([...new Set(episodes.map((e) => e.scenario))].sort(), ['brute-force', 'path-scan']);

    const received: string[] = [];
    const server = createServer((req, res) => {
      let body = '';
      req.on('data', (d) => {
        body += d;
      });
      req.on('end', () => {
        assert.match(String(req.headers['content-type']), /ndjson/);
        received.push(body);
        res.end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const h = await runCli([
      'generate',
      ...common,
      '--count',
      '1000',
      '--batch-size',
      '300',
      '-o',
      `http://127.0.0.1:${port}/ingest`,
    ]);
    server.close();
    assert.equal(h.code, 0, h.stderr);
    assert.equal(received.length, 4);
    assert.equal(received.flatMap(lines).length, 1000);
  });

  test('stops cleanly on Ctrl-C', async () => {
    const child = spawnCli(['generate', '--rate', '100']);
    const done = collect(child);
    await waitForOutput(child, /(.*\n){10}/);
    child.kill('SIGINT');
    const r = await done;
    assert.equal(r.code, 0, r.stderr);
    assert.ok(lines(r.stdout).length >= 10);
    for (const l of lines(r.stdout)) JSON.parse(l);
  });
});
