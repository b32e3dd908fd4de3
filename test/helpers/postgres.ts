/**
 * A throwaway PostgreSQL 15 for one test file: `initdb` into a fresh temp dir, `pg_ctl start`
 * with a unix socket in that dir and a free TCP port on 127.0.0.1, a connected `pg` client,
 * and `stop()` that shuts the server down and removes everything.
 *
 * The cluster is made to print what tidewatch prints: UTF-8, C collation (text compares by
 * code point), C.UTF-8 character classes (upper/lower map Unicode letters), TimeZone UTC,
 * DateStyle ISO, IntervalStyle postgres, extra_float_digits 1 (shortest round-trip floats).
 *
 * As root, initdb/postgres refuse to run: the commands run as the `postgres` OS user through
 * `runuser`, with the temp dir handed to that user.
 */
import { execFileSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';

export const PG_BIN = process.env.TIDEWATCH_PG_BIN ?? '/usr/lib/postgresql/15/bin';

export interface TestPostgres {
  readonly client: pg.Client;
  readonly port: number;
  readonly socketDir: string;
  stop(): Promise<void>;
}

/** A TCP port on 127.0.0.1 that nothing listened on a moment ago. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr !== null ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

function osUser(name: string): { uid: number; gid: number } | undefined {
  try {
    const uid = Number(execFileSync('id', ['-u', name], { encoding: 'utf8' }).trim());
    const gid = Number(execFileSync('id', ['-g', name], { encoding: 'utf8' }).trim());
    return { uid, gid };
  } catch {
    return undefined;
  }
}

/** The settings a test's cluster runs with: fast and small, durability off. */
const TEST_SETTINGS: Readonly<Record<string, string>> = {
  listen_addresses: "'127.0.0.1'",
  fsync: 'off',
  synchronous_commit: 'off',
  full_page_writes: 'off',
  timezone: "'UTC'",
  datestyle: "'ISO, MDY'",
  intervalstyle: 'postgres',
  extra_float_digits: '1',
  max_connections: '10',
  shared_buffers: '16MB',
};

export interface PostgresOptions {
  /** Server settings (`-c name=value`) over TEST_SETTINGS, e.g. `{ fsync: 'on' }` for a durable cluster. */
  readonly settings?: Readonly<Record<string, string>>;
}

/** Starts a private PostgreSQL 15; fails (never skips) when its binaries are missing. */
export async function startPostgres(options: PostgresOptions = {}): Promise<TestPostgres> {
  const initdb = join(PG_BIN, 'initdb');
  const pgCtl = join(PG_BIN, 'pg_ctl');
  if (!existsSync(initdb) || !existsSync(pgCtl))
    throw new Error(
      `PostgreSQL 15 binaries not found in ${PG_BIN}: run scripts/install-system-packages.sh (installs Debian's postgresql package)`,
    );
  const asRoot = process.getuid?.() === 0;
  const owner = asRoot ? osUser('postgres') : undefined;
  if (asRoot && owner === undefined)
    throw new Error(
      'running as root but there is no `postgres` OS user: run scripts/install-system-packages.sh',
    );
  const run = (cmd: string, args: readonly string[]): string => {
    const [file, argv] = asRoot ? ['runuser', ['-u', 'postgres', '--', cmd, ...args]] : [cmd, [...args]];
    return execFileSync(file, argv, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  };
  const dir = mkdtempSync(join(tmpdir(), 'tidewatch-pg-'));
  if (owner !== undefined) chownSync(dir, owner.uid, owner.gid);
  const data = join(dir, 'data');
  const port = await freePort();
  let started = false;
  const cleanup = (): void => {
    if (started) {
      try {
        run(pgCtl, ['stop', '-D', data, '-m', 'immediate', '-w']);
      } catch {
        // already gone
      }
    }
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    run(initdb, [
      '-D',
      data,
      '-U',
      'postgres',
      '--auth=trust',
      '--encoding=UTF8',
      '--locale=C',
      '--lc-ctype=C.UTF-8',
      '--no-sync',
    ]);
    const settings = { ...TEST_SETTINGS, ...options.settings };
    const opts = [
      `-k ${dir}`,
      `-p ${port}`,
      ...Object.entries(settings).map(([name, value]) => `-c ${name}=${value}`),
    ].join(' ');
    run(pgCtl, ['start', '-D', data, '-w', '-t', '30', '-l', join(dir, 'log'), '-o', opts]);
    started = true;
    const client = new pg.Client({ host: dir, port, user: 'postgres', database: 'postgres' });
    await client.connect();
    return {
      client,
      port,
      socketDir: dir,
      async stop() {
        await client.end().catch(() => undefined);
        cleanup();
      },
    };
  } catch (e) {
    cleanup();
    throw e;
  }
}
