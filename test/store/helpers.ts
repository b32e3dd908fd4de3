/** Helpers of the storage tests: temporary directories, a file system that fails on demand, child processes. */
import { type ChildProcessWithoutNullStreams, spawn, spawnSync } from 'node:child_process';
import * as nodeFs from 'node:fs';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { pathToFileURL } from 'node:url';
import type { LogFileSystem } from '../../src/store/durable-log.ts';

export const DURABLE_LOG_URL = pathToFileURL(
  join(import.meta.dirname, '../../src/store/durable-log.ts'),
).href;

/** A fresh directory under the system's temporary directory, removed after the test. */
export function tempDir(t: TestContext, prefix = 'tidewatch-store-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

export function systemError(code: string, syscall: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`${code}: simulated failure, ${syscall}`), { code, syscall });
}

/**
 * `node:fs` with knobs: `writeBudget` bytes may still be written (a write that crosses it is cut
 * short, the next one fails with ENOSPC, like a full disk); `failFsync` makes fsync fail with that
 * code; `fsyncs` counts fsync calls.
 */
export interface FaultyFs extends LogFileSystem {
  writeBudget: number;
  failFsync: string | undefined;
  fsyncs: number;
}

export function faultyFs(): FaultyFs {
  const f: FaultyFs = {
    openSync: nodeFs.openSync,
    closeSync: nodeFs.closeSync,
    readSync: nodeFs.readSync,
    ftruncateSync: nodeFs.ftruncateSync,
    fstatSync: nodeFs.fstatSync,
    statSync: nodeFs.statSync,
    readdirSync: nodeFs.readdirSync,
    mkdirSync: nodeFs.mkdirSync,
    unlinkSync: nodeFs.unlinkSync,
    writeBudget: Number.POSITIVE_INFINITY,
    failFsync: undefined,
    fsyncs: 0,
    writeSync: ((
      fd: number,
      buf: NodeJS.ArrayBufferView,
      offset: number,
      length: number,
      position: number,
    ) => {
      if (f.writeBudget <= 0) throw systemError('ENOSPC', 'write');
      const n = Math.min(length, f.writeBudget);
      f.writeBudget -= n;
      return nodeFs.writeSync(fd, buf, offset, n, position);
    }) as typeof nodeFs.writeSync,
    fsyncSync: (fd: number) => {
      f.fsyncs++;
      if (f.failFsync !== undefined) throw systemError(f.failFsync, 'fsync');
      nodeFs.fsyncSync(fd);
    },
    fsync: ((fd: number, callback: (e: NodeJS.ErrnoException | null) => void) => {
      f.fsyncs++;
      if (f.failFsync !== undefined) callback(systemError(f.failFsync, 'fsync'));
      else nodeFs.fsync(fd, callback);
    }) as typeof nodeFs.fsync,
  };
  return f;
}

/** Runs an ES module script (given as text) in a child Node process with `args`. */
export function spawnScript(script: string, args: readonly string[]): ChildProcessWithoutNullStreams {
  return spawn(process.execPath, ['--input-type=module', '-e', script, ...args], { stdio: 'pipe' });
}

export interface ScriptResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

export function waitFor(child: ChildProcessWithoutNullStreams): Promise<ScriptResult> {
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => {
    stdout += d;
  });
  child.stderr.setEncoding('utf8').on('data', (d: string) => {
    stderr += d;
  });
  return new Promise((resolve) => {
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

export function runScript(script: string, args: readonly string[]): Promise<ScriptResult> {
  const child = spawnScript(script, args);
  child.stdin.end();
  return waitFor(child);
}

/** Resolves with the first stdout line of `child` that satisfies `match`. */
export function lineFrom(
  child: ChildProcessWithoutNullStreams,
  match: (line: string) => boolean,
): Promise<string> {
  return new Promise((resolve, reject) => {
    let buffered = '';
    const onData = (d: Buffer) => {
      buffered += d.toString('utf8');
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? '';
      for (const line of lines) {
        if (match(line)) {
          child.stdout.off('data', onData);
          resolve(line);
          return;
        }
      }
    };
    child.stdout.on('data', onData);
    child.on('close', (code) => reject(new Error(`child exited (${code}) before the expected line`)));
  });
}

/**
 * How to run a shell command in a private mount namespace (so that it may mount a tmpfs of
 * its own, gone when it ends): `unshare -m` as root, `unshare -Urm` (a user namespace) otherwise.
 * Undefined, with the reason, when neither works here.
 */
export function mountNamespace(probeDir: string): { prefix: string[] } | { reason: string } {
  const candidates = process.getuid?.() === 0 ? [['-m'], ['-Urm']] : [['-Urm']];
  let reason = 'unshare is not installed';
  for (const flags of candidates) {
    const probe = spawnSync(
      'unshare',
      [...flags, 'sh', '-c', 'mount -t tmpfs -o size=64k tmpfs "$1"', 'sh', probeDir],
      {
        encoding: 'utf8',
      },
    );
    if (probe.error === undefined && probe.status === 0) return { prefix: ['unshare', ...flags] };
    reason =
      probe.error?.message ?? `unshare ${flags.join(' ')} cannot mount a tmpfs: ${probe.stderr.trim()}`;
  }
  return { reason };
}
