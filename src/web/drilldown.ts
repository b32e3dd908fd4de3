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
  if (drill?.variable === undefined) return undefined;
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

/** A row's value of a column by name, as text ('' for NULL or no such column). */
export type RowCell = (column: string | undefined) => string;

/** The cells of a table row, by its columns. */
export function tableCell(data: Rows, row: readonly unknown[]): RowCell {
  return (name) => {
    const i = data.columns.findIndex((c) => c.name === name);
    return text(i < 0 ? null : row[i]);
  };
}

/** The cells of a row given as an object (an alert's row). */
export function objectCell(row: Readonly<Record<string, unknown>>): RowCell {
  return (name) => text(name === undefined ? null : row[name]);
}

/** The variable `variableFrom` gives a value ('' for none). */
function mapped(by: NonNullable<Panel['drilldown']>['variableFrom'] & object, value: string): string {
  return (Object.hasOwn(by.values, value) ? by.values[value] : by.otherwise) ?? '';
}

function text(v: unknown): string {
  return v === null || v === undefined ? '' : String(v);
}

/**
 * What a table row or an alert shows (the panel's row drill-down): the target panel filtered by
 * the row's key — the variable the drill-down names, the one the row's `variableColumn` holds or
 * the one `variableFrom` maps a column's value to, if the target has it (`hasVariable`) — and
 * narrowed to the row's window. Undefined for an empty key.
 */
export function rowDrillTarget(
  panel: Panel,
  cell: RowCell,
  hasVariable: (panel: string, variable: string) => boolean,
): DrillTarget | undefined {
  const drill = panel.drilldown;
  if (drill?.column === undefined) return undefined;
  const value = cell(drill.column);
  const by = drill.variableFrom;
  const variable =
    drill.variable ?? (by === undefined ? cell(drill.variableColumn) : mapped(by, cell(by.column)));
  if (value === '' || variable === '' || !hasVariable(drill.panel, variable)) return undefined;
  const target = { panel: drill.panel, value, filters: { [variable]: value, offset: '0' } };
  const from = cell(drill.from);
  const to = cell(drill.to);
  if (from === '' || to === '') return target;
  return {
    ...target,
    window: { from: new Date(isoMillis(from)).toISOString(), to: new Date(isoMillis(to)).toISOString() },
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

/** What a Show button does, for a screen reader: "Show the requests of 203.0.113.7, 12:03–12:04 UTC". */
export function drillLabel(target: DrillTarget): string {
  return `Show the requests of ${target.value}${target.window === undefined ? '' : `, ${windowLabel(target.window)}`}`;
}

/** A window as people read it: 12:03–12:04 UTC, or 12:03:10–12:03:20 UTC when seconds matter. */
export function windowLabel(w: Window): string {
  const seconds = w.from.slice(17, 23) !== '00.000' || w.to.slice(17, 23) !== '00.000';
  const end = seconds ? 19 : 16;
  return `${w.from.slice(11, end)}–${w.to.slice(11, end)} UTC`;
}
