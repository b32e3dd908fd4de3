/** The lock file: exclusive, atomic, released only by its owner, stale locks recognised and taken over. */
import assert from 'node:assert/strict';
import { type ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { isStoreError } from '../../src/store/errors.ts';
import { FileLock, type LockOwner } from '../../src/store/lock.ts';
import { tempDir } from './helpers.ts';

function owner(fields: Partial<LockOwner>): string {
  const o: LockOwner = {
    pid: 1,
    hostname: hostname(),
    start: null,
    boot: null,
    token: 'someone-else',
    acquiredAt: '2024-01-25T12:00:00.000Z',
    ...fields,
  };
  return `${JSON.stringify(o)}\n`;
}

function locked(pattern: RegExp): (e: unknown) => boolean {
  return (e) => isStoreError(e) && e.kind === 'locked' && pattern.test(e.message);
}

/** A pid that no process has now. */
function deadPid(): number {
  return spawnSync(process.execPath, ['-e', '0']).pid as number;
}

function procStart(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? null;
  } catch {
    return null;
  }
}

test('acquire writes the owner atomically; release removes it; no temporary file is left', (t) => {
  const dir = tempDir(t);
  const path = join(dir, 'lock');
  const lock = FileLock.acquire(path);
  assert.ok(FileLock.isHeld(path));
  const written = JSON.parse(readFileSync(path, 'utf8')) as LockOwner;
  assert.equal(written.pid, process.pid);
  assert.equal(written.hostname, hostname());
  assert.equal(written.token, lock.owner.token);
  assert.deepEqual(readdirSync(dir), ['lock']);
  assert.throws(
    () => FileLock.acquire(path, 'the data directory'),
    locked(/the data directory is already open in this process/),
  );
  lock.release();
  lock.release();
  assert.ok(!existsSync(path));
  assert.ok(!FileLock.isHeld(path));
  assert.deepEqual(readdirSync(dir), []);
});

test('release leaves alone a lock file that is no longer its own', (t) => {
  const dir = tempDir(t);
  const path = join(dir, 'lock');
  const lock = FileLock.acquire(path);
  writeFileSync(path, owner({ pid: 12345, token: 'replaced' }));
  lock.release();
  assert.ok(existsSync(path));
});

test('stale locks: a dead pid, this pid from an earlier process, another boot, a reused pid', (t) => {
  const dir = tempDir(t);
  const path = join(dir, 'lock');
  const cases: [string, string][] = [
    ['dead pid', owner({ pid: deadPid() })],
    ['this pid, not held by this process', owner({ pid: process.pid })],
  ];
  // Boot ids and process start times come from Linux's /proc.
  if (existsSync('/proc/sys/kernel/random/boot_id')) {
    cases.push(['another boot', owner({ pid: process.ppid, boot: 'a-boot-long-ago' })]);
  }
  if (procStart(process.ppid) !== null) {
    cases.push(['reused pid (start time differs)', owner({ pid: process.ppid, start: '1' })]);
  }
  for (const [name, text] of cases) {
    writeFileSync(path, text);
    const lock = FileLock.acquire(path);
    assert.equal(lock.tookOverFrom?.token, 'someone-else', name);
    lock.release();
  }
});

test('live locks: a running process, another host, unreadable content', (t) => {
  const dir = tempDir(t);
  const path = join(dir, 'lock');
  writeFileSync(path, owner({ pid: process.ppid, start: procStart(process.ppid) }));
  assert.throws(
    () => FileLock.acquire(path),
    locked(new RegExp(`in use by process ${process.ppid} \\(since`)),
  );
  writeFileSync(path, owner({ pid: deadPid(), hostname: 'elsewhere.example' }));
  assert.throws(() => FileLock.acquire(path), locked(/on host elsewhere\.example/));
  writeFileSync(path, '');
  assert.throws(() => FileLock.acquire(path), locked(/unreadable.*delete the lock file/));
  assert.deepEqual(readdirSync(dir), ['lock'], 'no temporary file is left after a refusal');
});

test('a lock in a missing directory fails naming the file', (t) => {
  const path = join(tempDir(t), 'missing', 'lock');
  assert.throws(
    () => FileLock.acquire(path),
    (e: unknown) =>
      isStoreError(e) && e.kind === 'io' && e.message.includes(`cannot create lock file ${path}`),
  );
});

/**
 * A child process that takes the lock and waits; resolves once it holds it. The test's event
 * loop reaps the child only when it runs, so synchronous code after a kill sees it dying, then
 * as a zombie.
 */
async function holder(path: string): Promise<ChildProcess> {
  const child = spawn(
    process.execPath,
    [
      '-e',
      `const { FileLock } = await import(${JSON.stringify(new URL('../../src/store/lock.ts', import.meta.url).href)});
       FileLock.acquire(${JSON.stringify(path)}); console.log('held'); setInterval(() => {}, 1000);`,
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  await new Promise<void>((resolve, reject) => {
    child.stdout?.once('data', () => resolve());
    child.once('exit', (code) => reject(new Error(`the lock holder exited with ${code}`)));
  });
  return child;
}

test('the lock of a killed owner is taken over at once: a zombie, or one the kernel is still tearing down', async (t) => {
  const dir = tempDir(t);
  for (const wait of [0, 300]) {
    const path = join(dir, `lock-${wait}`);
    const child = await holder(path);
    assert.throws(() => FileLock.acquire(path), locked(/in use by process/), 'a live owner keeps it');
    child.kill('SIGKILL');
    // Blocks the event loop: the child is not reaped meanwhile (a zombie after 300 ms).
    if (wait > 0) execFileSync('sleep', [String(wait / 1000)]);
    const lock = FileLock.acquire(path);
    assert.equal(lock.tookOverFrom?.pid, child.pid);
    lock.release();
  }
});
