/**
 * Blocks as CrowdSec's local API shows decisions to bouncers (its swagger's `Decision`), and
 * the filters its `GET /v1/decisions` and `/v1/decisions/stream` take. Pure.
 */
import type { SinkBlock } from '../sinks/blocklists.ts';
import { inRange, parseIp, parseRange } from '../sinks/ip-address.ts';

export interface Decision {
  readonly id: number;
  readonly origin: string;
  readonly type: 'ban';
  readonly scope: 'Ip';
  readonly value: string;
  /** Time left, as Go's time.Duration prints it (`3h59m12.5s`; negative once ended). */
  readonly duration: string;
  /** When it ends, RFC 3339. */
  readonly until: string;
  readonly scenario: string;
  readonly simulated: false;
}

export const DECISION_ORIGIN = 'tidewatch';

/**
 * `ms` as Go's time.Duration.String() prints it, to the millisecond — except below a second,
 * `0.25s` rather than `250ms`: Go parses both, and some bouncer libraries only the first.
 */
export function goDuration(ms: number): string {
  const abs = Math.round(Math.abs(ms));
  if (abs === 0) return '0s';
  const sign = ms < 0 ? '-' : '';
  const h = Math.floor(abs / 3_600_000);
  const m = Math.floor((abs % 3_600_000) / 60_000);
  const s = (abs % 60_000) / 1000;
  const seconds = `${s.toFixed(3).replace(/\.?0+$/, '')}s`;
  if (h > 0) return `${sign}${h}h${m}m${seconds}`;
  if (m > 0) return `${sign}${m}m${seconds}`;
  return `${sign}${seconds}`;
}

export function decisionOf(block: SinkBlock, now: number): Decision {
  const e = block.entry;
  return {
    id: e.id,
    origin: DECISION_ORIGIN,
    type: 'ban',
    scope: 'Ip',
    value: e.ip,
    duration: goDuration(e.until - now),
    until: new Date(e.until).toISOString(),
    scenario: e.scenario,
    simulated: false,
  };
}

/** A request's filter was not one (an IP or range that is none): CrowdSec answers 400. */
export class FilterError extends Error {}

function list(text: string | null): string[] | undefined {
  if (text === null) return undefined;
  return text
    .split(',')
    .map((t) => t.trim().toLowerCase())
    .filter((t) => t !== '');
}

/** Filters both endpoints take: origins and scenario words. */
function commonFilter(query: URLSearchParams): (d: Decision) => boolean {
  const origins = list(query.get('origins'));
  const containing = list(query.get('scenarios_containing'));
  const notContaining = list(query.get('scenarios_not_containing'));
  return (d) => {
    const scenario = d.scenario.toLowerCase();
    if (origins !== undefined && !origins.includes(d.origin.toLowerCase())) return false;
    if (containing !== undefined && !containing.some((w) => scenario.includes(w))) return false;
    if (notContaining?.some((w) => scenario.includes(w)) === true) return false;
    return true;
  };
}

/** `GET /v1/decisions`'s filter: scope, value, type, ip, range, contains, origins, scenarios. */
export function decisionsFilter(query: URLSearchParams): (d: Decision) => boolean {
  const common = commonFilter(query);
  const type = query.get('type')?.toLowerCase();
  const ipText = query.get('ip');
  const rangeText = query.get('range');
  let scope = query.get('scope')?.toLowerCase();
  let value = query.get('value') ?? undefined;
  const ip = ipText === null ? undefined : parseIp(ipText);
  if (ipText !== null && ip === undefined) throw new FilterError(`'${ipText}' is not an IP address`);
  const range = rangeText === null ? undefined : parseRange(rangeText);
  if (rangeText !== null && range === undefined) throw new FilterError(`'${rangeText}' is not an IP range`);
  if (scope === 'ip' && value !== undefined) value = parseIp(value)?.text ?? value;
  // A decision contains the range asked for (the default), or lies within it (contains=false).
  const contains = query.get('contains') !== 'false';
  if (ip !== undefined || range !== undefined) scope = undefined;
  return (d) => {
    if (!common(d)) return false;
    if (type !== undefined && type !== d.type) return false;
    if (scope !== undefined && scope !== d.scope.toLowerCase()) return false;
    if (value !== undefined && value !== d.value) return false;
    if (ip !== undefined && ip.text !== d.value) return false;
    if (range !== undefined) {
      const blocked = parseIp(d.value);
      if (blocked === undefined) return false;
      const max = range.address.family === 'ipv4' ? 32 : 128;
      if (contains) return range.prefix === max && range.address.text === blocked.text;
      return inRange(blocked, range);
    }
    return true;
  };
}

/** `GET /v1/decisions/stream`'s filter: scopes (default `ip,range`), origins, scenarios. */
export function streamFilter(query: URLSearchParams): (d: Decision) => boolean {
  const common = commonFilter(query);
  const scopes = list(query.get('scopes')) ?? ['ip', 'range'];
  return (d) => scopes.includes(d.scope.toLowerCase()) && common(d);
}
