/** One access-log record in the reference schema (`website_logs_source`, DESIGN.md). */
export interface LogRecord {
  /** Event time, milliseconds since the Unix epoch (a TIMESTAMP without time zone, read as UTC). */
  request_timestamp: number;
  ip_address: string;
  user_agent: string;
  url: string;
  http_method: string;
  status_code: number;
  response_time: number;
  referrer: string;
  /** The account's id; null for anonymous visitors, crawlers and attempts on unknown accounts. */
  user_id: string | null;
  /** The account name (for a login attempt: the name tried); null for anonymous visitors and crawlers. */
  username: string | null;
  user_action: UserAction;
  security_level: SecurityLevel;
}

export const USER_ACTIONS = [
  'view_page',
  'navigate_page',
  'submit_form',
  'login',
  'logout',
  'scroll_page',
  'download_file',
  'upload_file',
  'close_window',
  'open_new_tab',
] as const;
export type UserAction = (typeof USER_ACTIONS)[number];

export const SECURITY_LEVELS = ['low', 'medium', 'high'] as const;
export type SecurityLevel = (typeof SECURITY_LEVELS)[number];

/** Column names and SQL types of the reference source, in declaration order. */
export const LOG_RECORD_COLUMNS = [
  ['request_timestamp', 'TIMESTAMP'],
  ['ip_address', 'VARCHAR'],
  ['user_agent', 'TEXT'],
  ['url', 'TEXT'],
  ['http_method', 'VARCHAR'],
  ['status_code', 'INTEGER'],
  ['response_time', 'INTEGER'],
  ['referrer', 'TEXT'],
  ['user_id', 'VARCHAR'],
  ['username', 'VARCHAR'],
  ['user_action', 'VARCHAR'],
  ['security_level', 'VARCHAR'],
] as const satisfies readonly (readonly [keyof LogRecord, string])[];

// Consecutive records share their second, so its ISO text (`2024-01-25T12:30:45.`) is kept.
let cachedSecond = Number.NaN;
let cachedPrefix = '';

/** ISO 8601 with milliseconds and `Z`, as `Date.prototype.toISOString` writes it. */
export function isoTimestamp(ms: number): string {
  const second = Math.floor(ms / 1000);
  if (second !== cachedSecond) {
    cachedSecond = second;
    cachedPrefix = new Date(second * 1000).toISOString().slice(0, 20);
  }
  const millis = ms - second * 1000;
  return `${cachedPrefix}${millis < 10 ? '00' : millis < 100 ? '0' : ''}${millis}Z`;
}

/** The record as one NDJSON line (without the newline). */
export function toJsonLine(r: LogRecord): string {
  return (
    `{"request_timestamp":"${isoTimestamp(r.request_timestamp)}"` +
    `,"ip_address":${JSON.stringify(r.ip_address)}` +
    `,"user_agent":${JSON.stringify(r.user_agent)}` +
    `,"url":${JSON.stringify(r.url)}` +
    `,"http_method":"${r.http_method}"` +
    `,"status_code":${r.status_code}` +
    `,"response_time":${r.response_time}` +
    `,"referrer":${JSON.stringify(r.referrer)}` +
    `,"user_id":${JSON.stringify(r.user_id)}` +
    `,"username":${JSON.stringify(r.username)}` +
    `,"user_action":"${r.user_action}"` +
    `,"security_level":"${r.security_level}"}`
  );
}
