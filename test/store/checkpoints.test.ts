import assert from 'node:assert/strict';
import {
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { CheckpointFiles } from '../../src/store/checkpoints.ts';
import { StoreError } from '../../src/store/errors.ts';

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'tw-ckpt-'));
}

test('the latest checkpoint comes back whole; only the newest two are kept', () => {
  const dir = join(tempDir(), 'checkpoints');
  const files = new CheckpointFiles(dir);
  assert.equal(files.latest(), undefined);
  for (const epoch of [1, 2, 3, 10]) files.write(epoch, Buffer.from(`state of ${epoch}`));
  const latest = files.latest();
  assert.equal(latest?.epoch, 10);
  assert.equal(latest?.payload.toString(), 'state of 10');
  assert.deepEqual(files.epochs(), [3, 10]);
  assert.deepEqual(readdirSync(dir).sort(), ['00000000000000000003.ckpt', '00000000000000000010.ckpt']);
  // A temporary file left by a crash mid-write is not a checkpoint.
  writeFileSync(join(dir, '00000000000000000011.ckpt.tmp'), 'half');
  assert.equal(new CheckpointFiles(dir).latest()?.epoch, 10);
  rmSync(dir, { recursive: true, force: true });
});

test('a damaged checkpoint is refused naming the file, never skipped', () => {
  const dir = tempDir();
  const files = new CheckpointFiles(dir);
  files.write(7, Buffer.from('a fine state'));
  const file = join(dir, '00000000000000000007.ckpt');
  const bytes = readFileSync(file);
  bytes.writeUInt8(bytes.readUInt8(bytes.length - 1) ^ 0xff, bytes.length - 1);
  writeFileSync(file, bytes);
  assert.throws(
    () => files.latest(),
    (e: unknown) =>
      e instanceof StoreError && e.kind === 'corrupt' && e.path === file && /checksum/.test(e.message),
  );
  truncateSync(file, bytes.length - 3);
  assert.throws(
    () => files.latest(),
    (e: unknown) => e instanceof StoreError && /bytes, expected/.test(e.message),
  );
  writeFileSync(file, 'garbage');
  assert.throws(
    () => files.latest(),
    (e: unknown) => e instanceof StoreError && /header/.test(e.message),
  );
  rmSync(dir, { recursive: true, force: true });
});

test('a checkpoint that cannot be written names the file and leaves the previous one latest', () => {
  const dir = tempDir();
  const files = new CheckpointFiles(dir);
  files.write(1, Buffer.from('one'));
  // A directory where the temporary file should go makes the write fail.
  mkdirSync(join(dir, '00000000000000000002.ckpt.tmp'));
  assert.throws(
    () => files.write(2, Buffer.from('two')),
    (e: unknown) =>
      e instanceof StoreError && e.kind === 'io' && e.message.includes('00000000000000000002.ckpt'),
  );
  assert.equal(files.latest()?.payload.toString(), 'one');
  rmSync(dir, { recursive: true, force: true });
});
