/** How the site answers: method per action, response times with long tails, and the security level. */
import type { Random } from './random.ts';
import type { LogRecord, SecurityLevel, UserAction } from './record.ts';
import type { Endpoint } from './site.ts';

export const METHOD_OF_ACTION: Readonly<Record<UserAction, 'GET' | 'POST'>> = {
  view_page: 'GET',
  navigate_page: 'GET',
  scroll_page: 'GET',
  download_file: 'GET',
  close_window: 'GET',
  open_new_tab: 'GET',
  submit_form: 'POST',
  login: 'POST',
  logout: 'POST',
  upload_file: 'POST',
};

/** Response time in ms: log-normal per endpoint, shaped by the status, with rare stalls (GC, locks, cold caches). */
export function responseTime(random: Random, endpoint: Endpoint, status: number, slowdown = 1): number {
  let ms: number;
  if (status === 304) ms = random.logNormal(endpoint.medianMs * 0.25, 0.4);
  else if (status === 404 || status === 301 || status === 429) ms = random.logNormal(18, 0.5);
  else if (status === 503) ms = random.logNormal(12, 0.6);
  else if (status === 504) ms = 30000 + random.int(200);
  else if (status === 502) ms = random.logNormal(2500, 1.2);
  else ms = random.logNormal(endpoint.medianMs, endpoint.sigma) * slowdown;
  if (random.float() < 0.004) ms *= 4 + random.float() * 16;
  return ms < 1 ? 1 : ms > 120000 ? 120000 : Math.round(ms);
}

const MEDIUM_ACTIONS: ReadonlySet<UserAction> = new Set(['login', 'logout', 'submit_form', 'download_file']);

/** The level the site's logger assigns; the same rule for every request, attack or not. */
export function securityLevel(action: UserAction, endpoint: Endpoint, status: number): SecurityLevel {
  if (endpoint.sensitive || action === 'upload_file') return 'high';
  if (status === 401 || status === 403) return 'high';
  if (status >= 400 && status < 500 && endpoint.auth) return 'high';
  if (MEDIUM_ACTIONS.has(action) || status >= 500) return 'medium';
  return 'low';
}

/** Who sends a request, as the log sees it. */
export interface Visitor {
  ip: string;
  agent: string;
  referrer: string;
  userId: string | null;
  username: string | null;
}

/** The log record of one answered request; every record has this one shape, which keeps serialisation fast. */
export function respond(
  random: Random,
  time: number,
  visitor: Visitor,
  url: string,
  endpoint: Endpoint,
  action: UserAction,
  status: number,
  slowdown = 1,
): LogRecord {
  return {
    request_timestamp: Math.floor(time),
    ip_address: visitor.ip,
    user_agent: visitor.agent,
    url,
    http_method: METHOD_OF_ACTION[action],
    status_code: status,
    response_time: responseTime(random, endpoint, status, slowdown),
    referrer: visitor.referrer,
    user_id: visitor.userId,
    username: visitor.username,
    user_action: action,
    security_level: securityLevel(action, endpoint, status),
  };
}
