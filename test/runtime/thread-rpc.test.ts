import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MessageChannel } from 'node:worker_threads';
import { ThreadRpc } from '../../src/runtime/thread-rpc.ts';
import { HttpError } from '../../src/serve/http-error.ts';
import { SqlError } from '../../src/sql/errors.ts';
import { StoreError } from '../../src/store/errors.ts';

const CLASSES = { SqlError, StoreError, HttpError };

function pair(): { a: ThreadRpc; b: ThreadRpc; close: () => void } {
  const { port1, port2 } = new MessageChannel();
  return {
    a: new ThreadRpc(port1, CLASSES),
    b: new ThreadRpc(port2, CLASSES),
    close: () => {
      port1.close();
      port2.close();
    },
  };
}

test('a call gets its handler’s value, structured-cloned (Maps, bigints, typed arrays)', async () => {
  const { a, b, close } = pair();
  b.handle('echo', async (x: unknown) => ({ got: x }));
  const value = { m: new Map([['k', [1n, null]]]), bytes: Uint8Array.of(1, 2) };
  assert.deepEqual(await a.call('echo', value), { got: value });
  close();
});

test('an error keeps its class and fields: SQLSTATE and position, a store error’s kind, an HTTP status', async () => {
  const { a, b, close } = pair();
  b.handle('sql', () => {
    throw new SqlError('42P01', 'relation "nope" does not exist', 15, { hint: 'create it first' });
  });
  b.handle('store', async () => {
    throw new StoreError('locked', 'in use', { path: '/data' });
  });
  b.handle('http', () => {
    throw new HttpError(429, 'behind', { 'retry-after': '1' });
  });
  b.handle('other', () => {
    throw new RangeError('out of range');
  });
  const sql = await a.call('sql').catch((e: unknown) => e);
  assert.ok(sql instanceof SqlError);
  assert.equal(sql.sqlstate, '42P01');
  assert.equal(sql.position, 15);
  assert.equal(sql.hint, 'create it first');
  assert.equal(sql.message, 'relation "nope" does not exist');
  const store = await a.call('store').catch((e: unknown) => e);
  assert.ok(store instanceof StoreError);
  assert.equal(store.kind, 'locked');
  assert.equal(store.path, '/data');
  const http = await a.call('http').catch((e: unknown) => e);
  assert.ok(http instanceof HttpError);
  assert.equal(http.status, 429);
  assert.deepEqual(http.headers, { 'retry-after': '1' });
  const other = await a.call('other').catch((e: unknown) => e);
  assert.ok(other instanceof Error);
  assert.equal(other.message, 'out of range');
  await assert.rejects(a.call('missing'), /no handler of missing/);
  close();
});

test('a notice sent before an answer is handled before the call resolves; both sides call', async () => {
  const { a, b, close } = pair();
  const seen: string[] = [];
  a.handle('note', (text: string) => seen.push(text));
  a.handle('ask', (n: number) => n * 2);
  b.handle('work', async () => {
    b.notify('note', 'before the answer');
    return b.call<number>('ask', 21);
  });
  assert.equal(await a.call('work'), 42);
  assert.deepEqual(seen, ['before the answer']);
  close();
});

test('once closed, waiting calls and new ones fail with the reason', async () => {
  const { a, b, close } = pair();
  b.handle('never', () => new Promise(() => undefined));
  const waiting = a.call('never');
  a.close(new Error('the engine’s thread stopped'));
  await assert.rejects(waiting, /the engine’s thread stopped/);
  await assert.rejects(a.call('never'), /the engine’s thread stopped/);
  close();
});

test('a value that cannot be cloned fails the call instead of leaving it waiting', async () => {
  const { a, b, close } = pair();
  b.handle('fn', () => ({ f: () => 1 }));
  await assert.rejects(a.call('fn'), /could not be cloned/);
  close();
});
