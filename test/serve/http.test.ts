/**
 * The HTTP API on its own: the bearer token, JSON errors, and how `POST /ingest/<source>`
 * takes a body — NDJSON or log lines, a JSON array, gzip — with 413 beyond the size limit and
 * the handler's own 404 and 429 (with Retry-After) passed through.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { HttpError, startHttpApi } from '../../src/serve/http.ts';

async function api(t: { after: (fn: () => Promise<void>) => void }) {
  const posted: [string, string[]][] = [];
  const server = await startHttpApi({
    host: '127.0.0.1',
    port: 0,
    token: 'sesame',
    bodyLimit: 4096,
    routes: { '/api/echo': (q) => ({ name: q.get('name') }) },
    ingest: async (source, units) => {
      if (source === 'busy') throw new HttpError(429, 'busy', { 'retry-after': '1' });
      if (source !== 'logs') throw new HttpError(404, `no source named "${source}"`);
      posted.push([source, [...units]]);
      return units.length;
    },
  });
  t.after(() => server.close());
  const call = (path: string, init: RequestInit = {}) =>
    fetch(`${server.url}${path}`, {
      ...init,
      headers: { authorization: 'Bearer sesame', ...(init.headers as Record<string, string>) },
    });
  return { server, posted, call };
}

test('the token guards everything but /healthz; errors are JSON', async (t) => {
  const { server, call } = await api(t);
  assert.equal((await fetch(`${server.url}/healthz`)).status, 200);
  const refused = await fetch(`${server.url}/api/echo?name=x`);
  assert.equal(refused.status, 401);
  assert.equal(refused.headers.get('www-authenticate'), 'Bearer realm="tidewatch"');
  assert.deepEqual(await (await call('/api/echo?name=x')).json(), { name: 'x' });
  const missing = await call('/nope');
  assert.equal(missing.status, 404);
  assert.deepEqual(await missing.json(), { error: 'no such path: /nope' });
  const wrong = await call('/api/echo', { method: 'POST' });
  assert.equal(wrong.status, 405);
  assert.equal(wrong.headers.get('allow'), 'GET, HEAD');
});

test('ingest takes NDJSON, log lines, a JSON array and gzip; the handler says 404 and 429', async (t) => {
  const { posted, call } = await api(t);
  const post = (body: string | Uint8Array, headers: Record<string, string> = {}, source = 'logs') =>
    call(`/ingest/${source}`, { method: 'POST', body, headers });
  let r = await post('{"a":1}\n{"a":2}\r\n\n', { 'content-type': 'application/x-ndjson' });
  assert.deepEqual([r.status, await r.json()], [200, { accepted: 2 }]);
  r = await post('127.0.0.1 - - [17/May/2015:10:05:03 +0000] "GET / HTTP/1.1" 200 1\n', {
    'content-type': 'text/plain',
  });
  assert.equal(r.status, 200);
  r = await post('[{"a":3},{"b":[4]}]', { 'content-type': 'application/json' });
  assert.equal(r.status, 200);
  r = await post(gzipSync('{"a":5}\n'), {
    'content-type': 'application/x-ndjson',
    'content-encoding': 'gzip',
  });
  assert.equal(r.status, 200);
  assert.deepEqual(posted, [
    ['logs', ['{"a":1}', '{"a":2}']],
    ['logs', ['127.0.0.1 - - [17/May/2015:10:05:03 +0000] "GET / HTTP/1.1" 200 1']],
    ['logs', ['{"a":3}', '{"b":[4]}']],
    ['logs', ['{"a":5}']],
  ]);

  r = await post('{}', {}, 'nowhere');
  assert.deepEqual([r.status, await r.json()], [404, { error: 'no source named "nowhere"' }]);
  r = await post('{}', {}, 'busy');
  assert.equal(r.status, 429);
  assert.equal(r.headers.get('retry-after'), '1');
  r = await post('x'.repeat(5000));
  assert.equal(r.status, 413);
  r = await post(gzipSync('y'.repeat(100_000)), { 'content-encoding': 'gzip' });
  assert.equal(r.status, 413, 'a small gzip body that inflates beyond the limit');
  r = await post('not gzip', { 'content-encoding': 'gzip' });
  assert.equal(r.status, 400);
  r = await post('[1, 2', { 'content-type': 'application/json' });
  assert.equal(r.status, 400);
  assert.equal(posted.length, 4, 'nothing of a refused body was taken');
});
