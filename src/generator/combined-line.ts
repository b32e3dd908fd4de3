/**
 * A record as a web server's access log has it in the `combined` format (Apache's and nginx's):
 * `ip - user [time] "METHOD target HTTP/1.1" status bytes "referrer" "user agent"`, the time in
 * UTC, the request target without the site's origin, the account as the remote user. What the
 * format has no field for (response time, user action, security level) is left out.
 */
import type { LogRecord } from './record.ts';

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const two = (n: number) => String(n).padStart(2, '0');

/** `$time_local` (Apache's `%t` without its brackets) of ms since 1970, in UTC. */
export function timeLocal(ms: number): string {
  const d = new Date(ms);
  return `${two(d.getUTCDate())}/${MONTHS[d.getUTCMonth()]}/${d.getUTCFullYear()}:${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())} +0000`;
}

/** The request target of a URL as logged: its path and query, without scheme and host. */
function requestTarget(url: string): string {
  const target = url.replace(/^[A-Za-z][A-Za-z0-9+.-]*:\/\/[^/?#]*/, '');
  return target === '' ? '/' : target;
}

/** A log field in double quotes, its quotes and backslashes escaped as servers escape them. */
function quoted(text: string): string {
  return `"${text.replace(/[\\"]/g, '\\$&')}"`;
}

/** Response bytes: not in the record, made up from its response time so that lines differ. */
function bodyBytes(r: LogRecord): number {
  return r.status_code === 304 ? 0 : 200 + ((r.response_time * 37) % 50_000);
}

export function toCombinedLine(r: LogRecord): string {
  const request = quoted(`${r.http_method} ${requestTarget(r.url)} HTTP/1.1`);
  return `${r.ip_address} - ${r.username ?? '-'} [${timeLocal(r.request_timestamp)}] ${request} ${r.status_code} ${bodyBytes(r)} ${quoted(r.referrer)} ${quoted(r.user_agent)}`;
}
