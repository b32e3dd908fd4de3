/** Runs the real psql, as a user types it: connection arguments, commands, and input on stdin. */
import { spawn } from 'node:child_process';

export interface PsqlRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** The connection arguments of a tidewatch endpoint on loopback (user root, database dev). */
export function tidewatchConnection(port: number): string[] {
  return ['-h', '127.0.0.1', '-p', String(port), '-U', 'root', '-d', 'dev'];
}

/** psql (without ~/.psqlrc) with `args` after `connection`, `input` on its stdin; killed after a minute. */
export function psql(connection: readonly string[], args: readonly string[], input = ''): Promise<PsqlRun> {
  return new Promise((resolve, reject) => {
    const child = spawn('/usr/bin/psql', ['-X', ...connection, ...args], {
      env: { ...process.env, PGSSLMODE: 'disable', PGCONNECT_TIMEOUT: '5' },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      stdout += d;
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    // psql reads its stdin only for some commands (`\copy … from stdin`); one done before we write is fine.
    child.stdin.on('error', () => undefined);
    child.stdin.end(input);
  });
}
