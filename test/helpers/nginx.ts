/**
 * Debian's nginx as a test peer: where its binary is (or why a test is skipped), and a
 * self-contained configuration under a test's directory — its own pid file, logs and temp
 * paths, so that it runs beside anything else on the machine.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const CANDIDATES = ['/usr/sbin/nginx', '/usr/local/sbin/nginx', '/usr/local/nginx/sbin/nginx'];

/** The nginx binary, or undefined (the caller skips, printing why). */
export function nginxBinary(): string | undefined {
  return CANDIDATES.find((p) => existsSync(p));
}

export const NO_NGINX =
  "nginx is not installed (Debian's package nginx, listed in scripts/system-packages.txt)";

export interface NginxSite {
  /** Listening port on 127.0.0.1 (`nginx -t` binds none). */
  readonly port: number;
  /** Files included inside the server block (deny lists). */
  readonly includes: readonly string[];
  /** The directory served. */
  readonly root: string;
  /** The access log, in nginx's combined format; `off` without. */
  readonly accessLog?: string;
  /** More `location` blocks of the server (`location = /login { return 401; }`). */
  readonly locations?: readonly string[];
}

/** Writes `dir/nginx.conf` for `site` and returns its path. */
export function writeNginxConfig(dir: string, site: NginxSite): string {
  const temp = join(dir, 'temp');
  mkdirSync(temp, { recursive: true });
  const conf = join(dir, 'nginx.conf');
  writeFileSync(
    conf,
    [
      'daemon off;',
      'worker_processes 1;',
      `pid ${join(dir, 'nginx.pid')};`,
      `error_log ${join(dir, 'error.log')} info;`,
      'events { worker_connections 64; }',
      'http {',
      `  client_body_temp_path ${temp}/body;`,
      `  proxy_temp_path ${temp}/proxy;`,
      `  fastcgi_temp_path ${temp}/fastcgi;`,
      `  uwsgi_temp_path ${temp}/uwsgi;`,
      `  scgi_temp_path ${temp}/scgi;`,
      `  access_log ${site.accessLog ?? 'off'}${site.accessLog === undefined ? '' : ' combined'};`,
      '  server {',
      `    listen 127.0.0.1:${site.port};`,
      `    root ${site.root};`,
      ...site.includes.map((f) => `    include ${f};`),
      ...(site.locations ?? []).map((l) => `    ${l}`),
      '  }',
      '}',
      '',
    ].join('\n'),
  );
  return conf;
}

/** `nginx -t` of a configuration: undefined when it is valid, else what nginx said. */
export function nginxConfigError(binary: string, conf: string, dir: string): string | undefined {
  const r = spawnSync(binary, ['-t', '-q', '-p', dir, '-c', conf], { encoding: 'utf8' });
  return r.status === 0 ? undefined : `${r.stderr}${r.stdout}`;
}

/** `nginx -s reload` of the nginx running `conf`. */
export function reloadNginx(binary: string, conf: string, dir: string): void {
  execFileSync(binary, ['-p', dir, '-c', conf, '-s', 'reload'], { stdio: ['ignore', 'ignore', 'pipe'] });
}
