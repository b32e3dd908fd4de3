import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { DATA_FORMAT, DataDir } from '../../src/store/data-dir.ts';
import { StoreError } from '../../src/store/errors.ts';

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'tw-datadir-'));
}

test('a first open creates the directory and its format stamp; a later open reads it', () => {
  const root = tempDir();
  const path = join(root, 'nested', 'data');
  const first = DataDir.open(path, 'tidewatch test');
  assert.equal(first.created, true);
  assert.deepEqual(JSON.parse(readFileSync(join(path, 'FORMAT'), 'utf8')).format, DATA_FORMAT);
  first.close();
  const again = DataDir.open(path, 'tidewatch test');
  assert.equal(again.created, false);
  assert.equal(again.format.createdAt, first.format.createdAt);
  again.close();
  rmSync(root, { recursive: true, force: true });
});

test('a second opener is refused, in this process and from another one, until the first closes', () => {
  const path = tempDir();
  const dir = DataDir.open(path, 'tidewatch test');
  assert.throws(
    () => DataDir.open(path, 'tidewatch test'),
    (e: unknown) => e instanceof StoreError && e.kind === 'locked' && e.message.includes(path),
  );
  const script = `import { DataDir } from ${JSON.stringify(new URL('../../src/store/data-dir.ts', import.meta.url).href)};
    try { DataDir.open(${JSON.stringify(path)}, 'child'); console.log('opened'); }
    catch (e) { console.log(e.kind, e.message); }`;
  const child = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
  assert.match(
    child.stdout,
    new RegExp(`^locked data directory .* is in use by process ${process.pid}`),
    child.stderr,
  );
  dir.close();
  const after = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
  assert.equal(after.stdout.trim(), 'opened', after.stderr);
  rmSync(path, { recursive: true, force: true });
});

test('a directory of format 1 (numerics stored as doubles) is refused, saying why', () => {
  const path = tempDir();
  writeFileSync(join(path, 'FORMAT'), JSON.stringify({ format: 1, createdBy: 'tidewatch 0.1.0' }));
  assert.throws(
    () => DataDir.open(path, 'tidewatch test'),
    (e: unknown) =>
      e instanceof StoreError &&
      e.kind === 'unusable' &&
      e.message.includes('format 1') &&
      e.message.includes('numeric') &&
      e.path === join(path, 'FORMAT'),
  );
  rmSync(path, { recursive: true, force: true });
});

test('a directory of a newer format, or with an unreadable FORMAT, is refused naming the file', () => {
  const path = tempDir();
  writeFileSync(
    join(path, 'FORMAT'),
    JSON.stringify({ format: DATA_FORMAT + 1, createdBy: 'tidewatch 9.0.0' }),
  );
  assert.throws(
    () => DataDir.open(path, 'tidewatch test'),
    (e: unknown) =>
      e instanceof StoreError &&
      e.kind === 'unusable' &&
      e.message.includes(`format ${DATA_FORMAT + 1}`) &&
      e.message.includes('tidewatch 9.0.0'),
  );
  writeFileSync(join(path, 'FORMAT'), 'not json');
  assert.throws(
    () => DataDir.open(path, 'tidewatch test'),
    (e: unknown) => e instanceof StoreError && e.kind === 'corrupt' && e.path === join(path, 'FORMAT'),
  );
  // The refused opens released their lock.
  rmSync(join(path, 'FORMAT'));
  DataDir.open(path, 'tidewatch test').close();
  rmSync(path, { recursive: true, force: true });
});

test('a data directory that cannot be created is refused naming it', () => {
  const root = tempDir();
  writeFileSync(join(root, 'file'), 'x');
  assert.throws(
    () => DataDir.open(join(root, 'file', 'data'), 'tidewatch test'),
    (e: unknown) =>
      e instanceof StoreError && e.kind === 'io' && e.message.includes(join(root, 'file', 'data')),
  );
  rmSync(root, { recursive: true, force: true });
});
