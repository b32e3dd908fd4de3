/**
 * An exclusive lock file, so that one process at a time owns a directory (a durable log,
 * the data directory). The lock file holds its owner as one line of JSON: pid, host, the
 * process's start time and the boot it ran in (Linux), a random token, and when it was taken.
 *
 * Taking it is atomic: the owner line is written and fsynced to a private temporary file,
 * which is then hard-linked to the lock's name; `link` fails with EEXIST when the lock exists,
 * like `open(O_CREAT|O_EXCL)`, but the lock never exists half-written.
 *
 * A lock whose owner is gone is stale and is taken over: its pid no longer runs, is a zombie,
 * or runs a different process (another start time: the pid was reused), or the machine has
 * rebooted since; an owner the kernel is still tearing down (killed, exiting) is waited for. A lock taken on another host is never presumed stale. Within one process a
 * registry of held locks refuses a second open of the same path, and recognises a lock left
 * by an earlier process that had the same pid as this one (a container's pid 1, say).
 * Two processes taking over the same stale lock in the same instant is the one race left:
 * each checks that the stale file is still the one it read just before deleting it.
 */
import { randomBytes } from 'node:crypto';
import {
  closeSync,
  fstatSync,
  fsyncSync,
  linkSync,
  openSync,
  readFileSync,
  readSync,
  statSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { hostname } from 'node:os';
import { resolve } from 'node:path';
import { errnoOf, ioError, StoreError } from './errors.ts';

/** Who holds a lock, as written in the lock file. */
export interface LockOwner {
  readonly pid: number;
  readonly hostname: string;
  /** The process's start time in clock ticks after boot (Linux `/proc/<pid>/stat`), if known. */
  readonly start: string | null;
  /** The kernel's boot id (Linux), if known. */
  readonly boot: string | null;
  readonly token: string;
  readonly acquiredAt: string;
}

const held = new Set<string>();

/** The fields of `/proc/<pid>/stat` after the command name (field 3 on), or null (not Linux, gone). */
function procStat(pid: number): string[] | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) is in parentheses and may itself contain spaces or ')'.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return null;
  }
}

/** Field 22 of `/proc/<pid>/stat`: when the process started, in clock ticks after boot. */
function processStart(pid: number): string | null {
  return procStat(pid)?.[19] ?? null;
}

/** The kernel's PF_EXITING flag (field 9 of `/proc/<pid>/stat`): the process is being torn down. */
const PF_EXITING = 0x4;

/**
 * What a running pid's process is doing with respect to its end: `dead` once it is a zombie
 * (it has closed its files, so its locks are free), `exiting` while the kernel tears it down
 * (a SIGKILLed process with a large heap takes a moment, and still holds its files), else `running`.
 */
function lifeOf(pid: number): 'running' | 'exiting' | 'dead' {
  const fields = procStat(pid);
  if (fields === null) return 'running';
  const state = fields[0];
  if (state === 'Z' || state === 'X' || state === 'x') return 'dead';
  if ((Number(fields[6]) & PF_EXITING) !== 0 || sigkillPending(pid)) return 'exiting';
  return 'running';
}

/** Whether a SIGKILL was sent to the process and it has not run since (`/proc/<pid>/status`). */
function sigkillPending(pid: number): boolean {
  let status: string;
  try {
    status = readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    return false;
  }
  const SIGKILL_BIT = 1n << 8n;
  for (const field of ['ShdPnd', 'SigPnd']) {
    const hex = new RegExp(`^${field}:\\s*([0-9a-f]+)$`, 'm').exec(status)?.[1];
    if (hex !== undefined && (BigInt(`0x${hex}`) & SIGKILL_BIT) !== 0n) return true;
  }
  return false;
}

/** How long a lock waits for a dying owner to be gone. */
const EXIT_WAIT_MS = 10_000;

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

function bootId(): string | null {
  try {
    return readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim() || null;
  } catch {
    return null;
  }
}

function parseOwner(text: string): LockOwner | undefined {
  try {
    const o = JSON.parse(text) as Partial<LockOwner>;
    if (!(Number.isSafeInteger(o.pid) && typeof o.hostname === 'string' && typeof o.token === 'string')) {
      return undefined;
    }
    return {
      pid: o.pid as number,
      hostname: o.hostname,
      start: typeof o.start === 'string' ? o.start : null,
      boot: typeof o.boot === 'string' ? o.boot : null,
      token: o.token,
      acquiredAt: typeof o.acquiredAt === 'string' ? o.acquiredAt : '?',
    };
  } catch {
    return undefined;
  }
}

/** Whether the owner of a lock at `path` may still be running. */
function ownerAlive(path: string, owner: LockOwner): boolean {
  if (owner.hostname !== hostname()) return true;
  const boot = bootId();
  if (owner.boot !== null && boot !== null && owner.boot !== boot) return false;
  if (owner.pid === process.pid) return held.has(path);
  try {
    process.kill(owner.pid, 0);
  } catch (e) {
    if (errnoOf(e) === 'ESRCH') return false;
    // EPERM: the process exists but belongs to another user.
  }
  const start = processStart(owner.pid);
  if (owner.start !== null && start !== null && start !== owner.start) return false;
  // A killed owner may still be exiting: wait until it is gone, so that what it held is free.
  for (const deadline = Date.now() + EXIT_WAIT_MS; ; sleepSync(10)) {
    const life = lifeOf(owner.pid);
    if (life === 'dead') return false;
    if (life === 'running' || Date.now() > deadline) return true;
    try {
      process.kill(owner.pid, 0);
    } catch (e) {
      if (errnoOf(e) === 'ESRCH') return false;
    }
  }
}

function describeOwner(owner: LockOwner): string {
  const where = owner.hostname === hostname() ? '' : ` on host ${owner.hostname}`;
  return `process ${owner.pid}${where} (since ${owner.acquiredAt})`;
}

/** The lock file's owner and inode, or undefined when it has vanished meanwhile. */
function readLock(path: string): { owner: LockOwner | undefined; text: string; ino: number } | undefined {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (e) {
    if (errnoOf(e) === 'ENOENT') return undefined;
    throw ioError('lock', 'read lock file', path, e);
  }
  try {
    const { ino, size } = fstatSync(fd);
    const buf = Buffer.alloc(Math.min(size, 4096));
    const n = readSync(fd, buf, 0, buf.length, 0);
    const text = buf.toString('utf8', 0, n);
    return { owner: parseOwner(text), text, ino };
  } catch (e) {
    throw ioError('lock', 'read lock file', path, e);
  } finally {
    closeSync(fd);
  }
}

export class FileLock {
  /** Absolute path of the lock file. */
  readonly path: string;
  readonly owner: LockOwner;
  /** The owner of a stale lock this one replaced, if any. */
  readonly tookOverFrom: LockOwner | undefined;
  #released = false;

  private constructor(path: string, owner: LockOwner, tookOverFrom: LockOwner | undefined) {
    this.path = path;
    this.owner = owner;
    this.tookOverFrom = tookOverFrom;
  }

  /**
   * Takes the lock file `path` (its directory must exist) or throws a StoreError: `locked`
   * naming the owner when someone holds it, `io` naming the file when it cannot be created.
   * `what` names the locked thing in messages ("durable log /data/log/x").
   */
  static acquire(path: string, what = 'directory'): FileLock {
    const abs = resolve(path);
    if (held.has(abs)) {
      throw new StoreError('locked', `${what} is already open in this process (pid ${process.pid}): ${abs}`, {
        path: abs,
      });
    }
    const owner: LockOwner = {
      pid: process.pid,
      hostname: hostname(),
      start: processStart(process.pid),
      boot: bootId(),
      token: randomBytes(8).toString('hex'),
      acquiredAt: new Date().toISOString(),
    };
    const tmp = `${abs}.${process.pid}.${owner.token}.tmp`;
    try {
      const fd = openSync(tmp, 'wx');
      try {
        writeSync(fd, `${JSON.stringify(owner)}\n`);
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
    } catch (e) {
      try {
        unlinkSync(tmp);
      } catch {}
      throw ioError('lock', 'create lock file', abs, e);
    }
    let tookOverFrom: LockOwner | undefined;
    try {
      for (let attempt = 0; ; attempt++) {
        try {
          linkSync(tmp, abs);
          held.add(abs);
          return new FileLock(abs, owner, tookOverFrom);
        } catch (e) {
          if (errnoOf(e) !== 'EEXIST') throw ioError('lock', 'create lock file', abs, e);
        }
        const current = readLock(abs);
        if (current === undefined) continue; // released meanwhile
        if (current.owner === undefined) {
          throw new StoreError(
            'locked',
            `${what} is locked by ${abs}, whose content is unreadable (${JSON.stringify(current.text.slice(0, 80))}); ` +
              'if no tidewatch process uses it, delete the lock file',
            { path: abs },
          );
        }
        if (attempt >= 3 || ownerAlive(abs, current.owner)) {
          throw new StoreError(
            'locked',
            `${what} is in use by ${describeOwner(current.owner)}: lock file ${abs}`,
            {
              path: abs,
            },
          );
        }
        // Stale: delete it, unless someone replaced it since we read it.
        try {
          if (statSync(abs).ino === current.ino) unlinkSync(abs);
        } catch (e) {
          if (errnoOf(e) !== 'ENOENT') throw ioError('lock', 'remove stale lock file', abs, e);
        }
        tookOverFrom = current.owner;
      }
    } finally {
      try {
        unlinkSync(tmp);
      } catch {}
    }
  }

  /** Whether this process holds the lock at `path`. */
  static isHeld(path: string): boolean {
    return held.has(resolve(path));
  }

  get released(): boolean {
    return this.#released;
  }

  /** Deletes the lock file if it is still this lock's. Idempotent. */
  release(): void {
    if (this.#released) return;
    this.#released = true;
    held.delete(this.path);
    const current = readLock(this.path);
    if (current?.owner?.token !== this.owner.token) return;
    try {
      unlinkSync(this.path);
    } catch (e) {
      if (errnoOf(e) !== 'ENOENT') throw ioError('lock', 'remove lock file', this.path, e);
    }
  }
}
