/**
 * Where a click on a chart's point or a bar leads (the panel's `drilldown`): the other panel's
 * filter set to the point's key, and for a time series, that panel narrowed to the point's
 * time bucket.
 */
import type { Panel, Rows } from './api.ts';
import { isoMillis } from './format.ts';

/** A range of one panel that overrides the page's (ISO 8601, `to` exclusive). */
export interface Window {
  readonly from: string;
  readonly to: string;
}

export interface DrillTarget {
  readonly panel: string;
  /** The key the point or bar is of. */
  readonly value: string;
  readonly filters: Record<string, string>;
  /** Absent for a bar: the target panel follows the page's range. */
  readonly window?: Window;
}

const WINDOW = /^([1-9]\d{0,5})([smh])$/;
const UNIT_MS: Readonly<Record<string, number>> = { s: 1000, m: 60_000, h: 3_600_000 };

/** `1m`, `30s`, `1h` in milliseconds. */
export function windowMs(text: string): number {
  const m = WINDOW.exec(text);
  return m === null ? 60_000 : Number(m[1]) * (UNIT_MS[m[2] as string] as number);
}

/**
 * What a point or bar of `panel` with `key` (its key column's value; for a series keyed by
 * one of the panel's variables, ignored) at `timeMs` (a point's time; none for a bar) shows.
 * Undefined when the panel has no drill-down, or the key is empty: a filter of '' means "any".
 */
export function drillTarget(
  panel: Panel,
  filters: Readonly<Record<string, string>>,
  key: string | null,
  timeMs?: number,
): DrillTarget | undefined {
  const drill = panel.drilldown;
  if (drill === undefined) return undefined;
  const value =
    drill.fromVariable === undefined
      ? key
      : (filters[drill.fromVariable] ?? panel.variables.find((v) => v.name === drill.fromVariable)?.default);
  if (value === null || value === undefined || value === '') return undefined;
  const filtersOfTarget = { [drill.variable]: value, offset: '0' };
  const target = { panel: drill.panel, value, filters: filtersOfTarget };
  if (timeMs === undefined || drill.window === undefined) return target;
  return {
    ...target,
    window: {
      from: new Date(timeMs).toISOString(),
      to: new Date(timeMs + windowMs(drill.window)).toISOString(),
    },
  };
}

/** The key and time of one row of a time series' data (as the API answered it). */
export function rowPoint(
  panel: Panel,
  data: Rows,
  row: readonly unknown[],
): { key: string | null; timeMs: number } {
  const at = (name: string | undefined) => data.columns.findIndex((c) => c.name === name);
  const k = at(panel.drilldown?.column);
  const key = k < 0 ? null : row[k] === null ? null : String(row[k]);
  return { key, timeMs: isoMillis(String(row[at(panel.time)])) };
}

/** A window as people read it: 12:03–12:04 UTC. */
export function windowLabel(w: Window): string {
  return `${w.from.slice(11, 16)}–${w.to.slice(11, 16)} UTC`;
}
