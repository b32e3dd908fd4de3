import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ChunkQueue } from '../../src/runtime/chunk-queue.ts';

async function read(queue: ChunkQueue): Promise<{ chunks: string[]; error?: unknown }> {
  const chunks: string[] = [];
  try {
    for await (const chunk of queue) chunks.push(chunk.toString());
    return { chunks };
  } catch (error) {
    return { chunks, error };
  }
}

test('chunks pushed before and while reading come out in order, then the end', async () => {
  const queue = new ChunkQueue();
  queue.push(Buffer.from('a'));
  const reading = read(queue);
  await new Promise((r) => setImmediate(r));
  queue.push(Buffer.from('b'));
  queue.push(Buffer.from('c'));
  queue.end();
  assert.deepEqual(await reading, { chunks: ['a', 'b', 'c'] });
});

test('a failure is thrown once the chunks before it are read', async () => {
  const queue = new ChunkQueue();
  const reading = read(queue);
  queue.push(Buffer.from('a'));
  queue.push(Buffer.from('b'));
  const failure = new Error('COPY from stdin failed');
  queue.fail(failure);
  const { chunks, error } = await reading;
  assert.deepEqual(chunks, ['a', 'b']);
  assert.equal(error, failure);
});
