/**
 * A `tidewatch start` that a test kills with SIGKILL and starts again on the same data
 * directory. Each start listens on ports the system picks (a port kept free for the next start
 * could be taken meanwhile by any other process); clients read them here when they reconnect.
 *
 * A start resolves once the banner is printed; one that ends before says why, and says so
 * plainly when the data directory's lock was not taken over from a killed process. A kill
 * resolves once the process has exited (`collect` saw it close), so the next start comes
 * right after the exit. An exit the test did not ask for rejects `failure`, which a test
 * races its clients against: they would otherwise wait for a server that never comes back.
 */
import assert from 'node:assert/strict';
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { type CliResult, collect, spawnCli } from './cli.ts';

export interface RestartableOptions {
  readonly dataDir: string;
  /** Arguments of `tidewatch start` other than --data-dir, --pg-port and --http-port. */
  readonly args: readonly string[];
  /** How long a start may take to print its banner (default 60 s). */
  readonly startTimeoutMs?: number;
}

/** What a failed start printed when the lock of the data directory still named another process. */
const LOCKED = /in use by process \d+/;

export class RestartableServer {
  readonly dataDir: string;
  /** Rejects when tidewatch exits without `kill` or `stop` asking it to; never resolves. */
  readonly failure: Promise<never>;
  readonly #args: readonly string[];
  readonly #startTimeoutMs: number;
  readonly #fail: (error: Error) => void;
  #child: ChildProcessWithoutNullStreams | undefined;
  #done: Promise<CliResult> | undefined;
  #stderr = '';
  #pgPort = 0;
  #httpUrl = '';
  #starts = 0;
  #up = false;
  #exitExpected = false;
  #whenUp: (() => void)[] = [];

  /** A server on `dataDir`, not started yet. */
  constructor(options: RestartableOptions) {
    this.dataDir = options.dataDir;
    this.#args = options.args;
    this.#startTimeoutMs = options.startTimeoutMs ?? 60_000;
    let fail: (error: Error) => void = () => undefined;
    this.failure = new Promise<never>((_, reject) => {
      fail = reject;
    });
    this.failure.catch(() => undefined); // observed by the tests that race against it
    this.#fail = fail;
  }

  /** How many times tidewatch was started. */
  get starts(): number {
    return this.#starts;
  }

  /** Whether tidewatch is running and has printed its banner (false from the moment of a kill). */
  get up(): boolean {
    return this.#up;
  }

  /** What the current (or last) run printed on stderr so far. */
  get stderr(): string {
    return this.#stderr;
  }

  /** The process id of the current run (undefined when none runs). */
  get pid(): number | undefined {
    return this.#child?.pid;
  }

  /** The PostgreSQL endpoint's port of the current (or last) run. */
  get pgPort(): number {
    return this.#pgPort;
  }

  /** The HTTP API's URL of the current (or last) run. */
  get httpUrl(): string {
    return this.#httpUrl;
  }

  /** Resolves once tidewatch is up (at once when it is). */
  whenUp(): Promise<void> {
    if (this.#up) return Promise.resolve();
    return new Promise((resolve) => this.#whenUp.push(resolve));
  }

  /**
   * Starts tidewatch (with `args` instead of the server's own, if given) and resolves with
   * its banner once it is up; throws with its stderr if it exits first.
   */
  async start(args: readonly string[] = this.#args): Promise<string> {
    assert.equal(this.#child, undefined, 'tidewatch is running already');
    const run = ++this.#starts;
    const child = spawnCli([
      'start',
      ...args,
      '--data-dir',
      this.dataDir,
      '--pg-port',
      '0',
      '--http-port',
      '0',
    ]);
    this.#child = child;
    this.#stderr = '';
    this.#exitExpected = false;
    const done = collect(child, 60 * 60_000);
    this.#done = done;
    child.stderr.on('data', (d: string) => {
      this.#stderr += d;
    });
    let stdout = '';
    const banner = new Promise<string>((resolve) => {
      child.stdout.on('data', (d: string) => {
        stdout += d;
        if (/Press Ctrl-C to stop/.test(stdout)) resolve(stdout);
      });
    });
    const exited = done.then((r) => {
      if (this.#exitExpected || this.#child !== child) return r;
      this.#up = false;
      this.#child = undefined;
      this.#done = undefined;
      const error = exitError(run, this.dataDir, r, stdout);
      this.#fail(error);
      throw error;
    });
    exited.catch(() => undefined); // reported by `start` below or through `failure`
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new Error(
              `tidewatch start #${run} on ${this.dataDir} was not up within ${this.#startTimeoutMs} ms; stdout: ${stdout}; stderr: ${this.#stderr}`,
            ),
          ),
        this.#startTimeoutMs,
      );
    });
    try {
      const ended = exited.then((r) => {
        throw new Error(`tidewatch start #${run} was stopped before it was up (${r.signal ?? r.code})`);
      });
      const text = await Promise.race([banner, ended, timeout]);
      const pgPort = /postgresql:\/\/root@127\.0\.0\.1:(\d+)\/dev/.exec(text)?.[1];
      const httpUrl = /HTTP API +(http:\/\/\S+)/.exec(text)?.[1];
      assert.ok(pgPort !== undefined && httpUrl !== undefined, `no endpoints in the banner: ${text}`);
      this.#pgPort = Number(pgPort);
      this.#httpUrl = httpUrl;
      this.#up = true;
      for (const resolve of this.#whenUp.splice(0)) resolve();
      return text;
    } finally {
      clearTimeout(timer);
    }
  }

  /** SIGKILL; resolves once the process has exited. Fails if it had exited on its own. */
  async kill(): Promise<CliResult> {
    const r = await this.#end('SIGKILL');
    assert.equal(r.signal, 'SIGKILL', `tidewatch had exited before the kill (${r.code}): ${r.stderr}`);
    return r;
  }

  /** SIGKILL, then a start right after the exit; resolves with the new banner. */
  async restart(args?: readonly string[]): Promise<string> {
    await this.kill();
    return this.start(args);
  }

  /** Ctrl-C (SIGINT): a clean stop, which must exit with 0. */
  async stop(): Promise<CliResult> {
    const r = await this.#end('SIGINT');
    assert.equal(r.code, 0, `tidewatch exited with ${r.code ?? r.signal} at a clean stop: ${r.stderr}`);
    return r;
  }

  /** Kills tidewatch if it runs; for a test's `after`. */
  async dispose(): Promise<void> {
    if (this.#child !== undefined) await this.#end('SIGKILL').catch(() => undefined);
  }

  /**
   * A node-postgres client connected to the endpoint as root (with `password`, the server's
   * --password), ignoring the error of its socket's loss.
   */
  async connect(password?: string): Promise<pg.Client> {
    const client = new pg.Client({
      host: '127.0.0.1',
      port: this.pgPort,
      user: 'root',
      database: 'dev',
      query_timeout: 60_000,
      ...(password === undefined ? {} : { password }),
    });
    client.on('error', () => undefined); // a kill ends the connection; the next query says so
    await client.connect();
    return client;
  }

  async #end(signal: NodeJS.Signals): Promise<CliResult> {
    const child = this.#child;
    const done = this.#done;
    assert.ok(child !== undefined && done !== undefined, 'tidewatch is not running');
    this.#up = false;
    this.#exitExpected = true;
    child.kill(signal);
    try {
      return await done;
    } finally {
      this.#child = undefined;
      this.#done = undefined;
    }
  }
}

function exitError(run: number, dataDir: string, r: CliResult, stdout: string): Error {
  const how = r.signal ?? `code ${r.code}`;
  if (LOCKED.test(r.stderr))
    return new Error(
      `tidewatch start #${run} on ${dataDir} was refused by the data directory's lock (${how}); a start right after a SIGKILL must take the killed process's lock over: ${r.stderr.trim()}`,
    );
  const when = /Press Ctrl-C to stop/.test(stdout) ? 'while running' : 'before it was up';
  return new Error(`tidewatch start #${run} on ${dataDir} exited with ${how} ${when}: ${r.stderr.trim()}`);
}

/** An empty `tidewatch start` (no pipeline, no generator) on a data directory of its own. */
export interface EmptyServer {
  readonly dir: string;
  readonly server: RestartableServer;
  /** A client whose writes are visible once acknowledged (RW_IMPLICIT_FLUSH on). */
  readonly client: pg.Client;
}

/** Starts an EmptyServer in a fresh temporary directory named from `prefix`. */
export async function startEmptyServer(prefix: string, args: readonly string[] = []): Promise<EmptyServer> {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const server = new RestartableServer({
    dataDir: join(dir, 'data'),
    args: ['--pipeline', 'none', '--no-generator', '--status-interval', '60', ...args],
  });
  await server.start();
  const client = await server.connect();
  await client.query('SET RW_IMPLICIT_FLUSH TO true');
  return { dir, server, client };
}

/** Ends the client, the server and the directory of an EmptyServer, whichever got made. */
export async function stopEmptyServer(s: Partial<EmptyServer>): Promise<void> {
  await s.client?.end().catch(() => undefined);
  await s.server?.dispose();
  if (s.dir !== undefined) rmSync(s.dir, { recursive: true, force: true });
}
