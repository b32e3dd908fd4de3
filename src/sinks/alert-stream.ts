/**
 * An epoch of a sink's queued changes made into the messages it delivers: alerts with a
 * lifecycle, throttled. Pure: the same epoch and the same state give the same messages, so a
 * redelivery after a crash carries the same deduplication keys.
 *
 * Lifecycle (upsert sinks): the rows of one alert — one value of the sink's primary key —
 * changed in one epoch become one message: an insertion `firing` (`op` insert), a retraction
 * and an insertion `firing` again with the new row (`op` update: its evidence grew), a
 * retraction alone `resolved` (`op` delete: the view's row went away). Append-only sinks
 * deliver insertions only, each `firing` (with force_append_only, retractions are dropped and
 * an update's new row is an insertion, as in RisingWave).
 *
 * Throttling (`throttle.key`, `throttle.period`): a firing is delivered when no notification
 * of its throttle key was delivered within the period before, by commit time (the queue's, not
 * the clock's: the decision is the same at every redelivery); otherwise it is held back and
 * counted, and the next notification of that key says how many were (`heldBack`). A
 * resolution is delivered when its alert's firing was, whatever the period, so that a receiver
 * never keeps an alert open forever; the resolution of an alert it never heard of is held back
 * too.
 */
import type { QueuedEpoch } from '../store/sink-queues.ts';
import { type Row, rowKey } from '../stream/value.ts';
import type { SinkConfig } from './sink-options.ts';

export type SinkOp = 'insert' | 'update' | 'delete';

export interface SinkMessage {
  readonly sink: string;
  /** `sink:epoch:seq`: the same at every delivery of this message, distinct for every other. */
  readonly dedupKey: string;
  readonly epoch: number;
  /** 1, 2, … within the epoch. */
  readonly seq: number;
  readonly op: SinkOp;
  readonly status: 'firing' | 'resolved';
  /** Commit time of its epoch, ms since 1970. */
  readonly committedAt: number;
  readonly row: Row;
  /** Notifications of its throttle key held back since the last one delivered. */
  readonly heldBack: number;
}

/** What throttling remembers between epochs (plain data: it is kept as JSON). */
export interface AlertState {
  /** Per throttle key: the commit time of its last notification. */
  readonly lastNotified: Readonly<Record<string, number>>;
  /** Per throttle key: notifications held back since its last one. */
  readonly heldBack: Readonly<Record<string, number>>;
  /** Alerts whose firing was delivered and not resolved since (throttled sinks only). */
  readonly open: readonly string[];
}

export const NO_ALERTS: AlertState = { lastNotified: {}, heldBack: {}, open: [] };

export interface EpochMessages {
  readonly messages: readonly SinkMessage[];
  /** The state after the epoch. */
  readonly state: AlertState;
  /** Notifications throttling held back in this epoch. */
  readonly heldBack: number;
}

type AlertConfig = Pick<SinkConfig, 'type' | 'primaryKey' | 'throttle'>;

interface Candidate {
  readonly op: SinkOp;
  readonly row: Row;
}

function pick(row: Row, columns: readonly number[]): Row {
  return columns.map((i) => row[i] ?? null);
}

/** The epoch's changes as lifecycle events, in the order of each alert's first change. */
function candidates(config: AlertConfig, epoch: QueuedEpoch): Candidate[] {
  if (config.type === 'append-only')
    return epoch.changes.filter((c) => c.weight > 0).map((c) => ({ op: 'insert', row: c.row }));
  const byAlert = new Map<string, { inserted: Row[]; retracted: Row[] }>();
  for (const c of epoch.changes) {
    const id = rowKey(pick(c.row, config.primaryKey));
    let group = byAlert.get(id);
    if (group === undefined) {
      group = { inserted: [], retracted: [] };
      byAlert.set(id, group);
    }
    (c.weight > 0 ? group.inserted : group.retracted).push(c.row);
  }
  const out: Candidate[] = [];
  for (const { inserted, retracted } of byAlert.values()) {
    const last = inserted[inserted.length - 1];
    if (last !== undefined && retracted.length > 0) out.push({ op: 'update', row: last });
    else if (last !== undefined) for (const row of inserted) out.push({ op: 'insert', row });
    else for (const row of retracted) out.push({ op: 'delete', row });
  }
  return out;
}

/** The messages of one epoch of a sink's queue, given the state after the epochs before. */
export function alertsOfEpoch(
  sink: string,
  config: AlertConfig,
  epoch: QueuedEpoch,
  state: AlertState,
): EpochMessages {
  const throttle = config.throttle;
  const lastNotified = { ...state.lastNotified };
  const heldBackBy = { ...state.heldBack };
  const open = new Set(state.open);
  const now = epoch.committedAt;
  let heldBack = 0;
  const messages: SinkMessage[] = [];
  for (const { op, row } of candidates(config, epoch)) {
    let held = 0;
    if (throttle !== undefined) {
      const key = rowKey(pick(row, throttle.key));
      const alert = rowKey(pick(row, config.primaryKey));
      const last = lastNotified[key];
      const deliver =
        op === 'delete' ? open.has(alert) : last === undefined || now - last >= throttle.periodMs;
      if (!deliver) {
        heldBackBy[key] = (heldBackBy[key] ?? 0) + 1;
        heldBack++;
        continue;
      }
      held = heldBackBy[key] ?? 0;
      delete heldBackBy[key];
      if (op === 'delete') open.delete(alert);
      else {
        lastNotified[key] = now;
        open.add(alert);
      }
    }
    const seq = messages.length + 1;
    messages.push({
      sink,
      dedupKey: `${sink}:${epoch.epoch}:${seq}`,
      epoch: epoch.epoch,
      seq,
      op,
      status: op === 'delete' ? 'resolved' : 'firing',
      committedAt: now,
      row,
      heldBack: held,
    });
  }
  if (throttle !== undefined)
    for (const [key, at] of Object.entries(lastNotified))
      if (now - at >= throttle.periodMs && heldBackBy[key] === undefined) delete lastNotified[key];
  return { messages, state: { lastNotified, heldBack: heldBackBy, open: [...open] }, heldBack };
}
