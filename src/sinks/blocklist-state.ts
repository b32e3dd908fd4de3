/**
 * What a blocklist sink blocks: one entry per IP address, with when its block began, until when
 * it lasts and the scenario that last caused it. Plain data kept as JSON in the data directory,
 * changed only by functions of the detections delivered and the clock, so that a detection
 * delivered again after a crash changes nothing.
 */
import { createHash } from 'node:crypto';
import type { AllowList, IpAddress, IpFamily } from './ip-address.ts';

export interface BlockEntry {
  readonly ip: string;
  readonly family: IpFamily;
  /** The same for the whole of this block, distinct for every other (the decisions API's id). */
  readonly id: number;
  readonly scenario: string;
  /** When the block began and when it ends, ms since 1970. */
  readonly since: number;
  readonly until: number;
  /** Alerts (rows of the sink's relation) about this address not resolved yet. */
  readonly alerts: readonly string[];
}

export interface BlocklistState {
  readonly version: 1;
  readonly entries: readonly BlockEntry[];
  /** Rows whose IP column held no IP address. */
  readonly ignored: number;
  /** Detections of allow-listed addresses, not blocked. */
  readonly allowed: number;
}

export const EMPTY_BLOCKLIST: BlocklistState = { version: 1, entries: [], ignored: 0, allowed: 0 };

export interface Detection {
  readonly ip: IpAddress;
  readonly scenario: string;
  /**
   * The alert's identity in the sink (its primary key's values), kept while the block lasts
   * when a resolution can lift it (`unblock_on_resolve`); without, undefined: nothing to keep.
   */
  readonly alert: string | undefined;
  /** Commit time of the detection: the block lasts `durationMs` from it. */
  readonly at: number;
}

/** A block's id: 48 bits of a hash of what makes it one block, so ids agree across restarts. */
function blockId(sink: string, ip: string, since: number): number {
  const digest = createHash('sha256').update(`${sink}\0${ip}\0${since}`).digest();
  return digest.readUIntBE(0, 6);
}

/** The state with `detection` blocking its address: a new block, or the address's block extended. */
export function block(
  state: BlocklistState,
  sink: string,
  detection: Detection,
  durationMs: number,
): BlocklistState {
  const until = detection.at + durationMs;
  const ip = detection.ip.text;
  const current = state.entries.find((e) => e.ip === ip);
  if (current === undefined) {
    const entry: BlockEntry = {
      ip,
      family: detection.ip.family,
      id: blockId(sink, ip, detection.at),
      scenario: detection.scenario,
      since: detection.at,
      until,
      alerts: detection.alert === undefined ? [] : [detection.alert],
    };
    return { ...state, entries: [...state.entries, entry] };
  }
  const alert = detection.alert;
  const alerts =
    alert === undefined || current.alerts.includes(alert) ? current.alerts : [...current.alerts, alert];
  const later = until >= current.until;
  const entry: BlockEntry = {
    ...current,
    scenario: later ? detection.scenario : current.scenario,
    until: Math.max(until, current.until),
    alerts,
  };
  return { ...state, entries: state.entries.map((e) => (e === current ? entry : e)) };
}

/**
 * The state after an alert about `ip` resolved (with `unblock_on_resolve`): the address is
 * unblocked once none of its alerts is open.
 */
export function alertResolved(state: BlocklistState, ip: IpAddress, alert: string): BlocklistState {
  const current = state.entries.find((e) => e.ip === ip.text);
  if (current === undefined || !current.alerts.includes(alert)) return state;
  const alerts = current.alerts.filter((a) => a !== alert);
  if (alerts.length === 0) return { ...state, entries: state.entries.filter((e) => e !== current) };
  return { ...state, entries: state.entries.map((e) => (e === current ? { ...current, alerts } : e)) };
}

/** The state without the blocks ended by `now` and those of addresses the allow-list allows. */
export function prune(state: BlocklistState, now: number, allow: AllowList | undefined): BlocklistState {
  const entries = state.entries.filter(
    (e) => e.until > now && allow?.allows({ text: e.ip, family: e.family }) !== true,
  );
  return entries.length === state.entries.length ? state : { ...state, entries };
}

export function countIgnored(state: BlocklistState): BlocklistState {
  return { ...state, ignored: state.ignored + 1 };
}

export function countAllowed(state: BlocklistState): BlocklistState {
  return { ...state, allowed: state.allowed + 1 };
}
