/**
 * A dashboard file: a title and panels, each a title, a chart kind, options and the SQL that
 * feeds it (Grafana's macros for the time range, `${name}` for the panel's variables; see
 * macros.ts). The same file feeds the built-in page and Grafana's provisioning. Reading one
 * checks every field and names the first one that is wrong.
 */
import { readFileSync } from 'node:fs';

export type PanelKind = 'table' | 'timeseries' | 'bars' | 'health' | 'alerts';
export type VariableType = 'text' | 'integer';

/** A value a person (or the page) gives a panel's SQL, bound as a parameter, never spliced in. */
export interface PanelVariable {
  readonly name: string;
  readonly label: string;
  readonly type: VariableType;
  /** The value when none is given ('' for text filters: "any"). */
  readonly default: string;
}

/**
 * How a column's values read: `ms`, `percent`, `count`… (the page formats them for people);
 * `severity` is a level — low, medium, high, critical — shown by its word and a mark.
 */
export type Unit = 'ms' | 'percent' | 'count' | 'severity' | 'none';

interface PanelBase {
  readonly id: string;
  readonly title: string;
  readonly description?: string;
  readonly variables: readonly PanelVariable[];
  /** Units of columns by name; absent columns read as plain values. */
  readonly units: Readonly<Record<string, Unit>>;
}

/** Rows as they come, a page at a time when the panel has `limit`/`offset` variables. */
export interface TablePanel extends PanelBase {
  readonly kind: 'table';
  readonly sql: string;
  /** The column whose value picks the `select` variable of another panel (a user, say). */
  readonly selects?: { readonly column: string; readonly panel: string; readonly variable: string };
  readonly drilldown?: RowDrilldown;
}

/**
 * What a row of a table or an alert of the feed shows in another panel (a detection's
 * requests): that panel with one variable set to the row's `column` — the variable `variable`,
 * or the one the row's `variableColumn` names, or the one `variableFrom` maps the value of one
 * of its columns to (an IP address, a user or an endpoint, by the kind of actor the scenario
 * has) — and narrowed to the row's window, from its `from` column to its `to` column (`to`
 * exclusive).
 */
export interface RowDrilldown {
  readonly panel: string;
  readonly column: string;
  readonly variable?: string;
  readonly variableColumn?: string;
  readonly variableFrom?: VariableFrom;
  readonly from?: string;
  readonly to?: string;
}

/** The variable a row sets, by a column's value: `values[value]`, else `otherwise` (none: no drill-down). */
export interface VariableFrom {
  readonly column: string;
  readonly values: Readonly<Record<string, string>>;
  readonly otherwise?: string;
}

/**
 * What a click on a point or bar shows: another panel (the raw logs) with its `variable` set to
 * the key the point or bar is of — its value in `column` (a series' key, a bar's category), or
 * the value of one of this panel's variables (`fromVariable`: the user a series is of). A time
 * series' point narrows that panel to its `window`, the series' time bucket (`1m`, `30s`, `1h`):
 * from the point's time to a window later. A bar is of the whole range.
 */
export interface Drilldown {
  readonly panel: string;
  readonly variable: string;
  readonly column?: string;
  readonly fromVariable?: string;
  readonly window?: string;
}

/** Lines over time: a `time` column, one line per value column, or per key and value column. */
export interface TimeseriesPanel extends PanelBase {
  readonly kind: 'timeseries';
  readonly sql: string;
  readonly time: string;
  readonly values: readonly string[];
  /** A column splitting rows into series (Grafana's long format), one line per distinct value. */
  readonly keys?: string;
  readonly drilldown?: Drilldown;
}

/** One bar per category, with an optional line (a cumulative percentage) over them. */
export interface BarsPanel extends PanelBase {
  readonly kind: 'bars';
  readonly sql: string;
  readonly category: string;
  readonly value: string;
  readonly line?: string;
  readonly drilldown?: Drilldown;
}

/** The pipeline's health, read from `/api/status` rather than SQL. */
export interface HealthPanel extends PanelBase {
  readonly kind: 'health';
}

/**
 * The alerts sinks sent, newest first, and how each sink's delivery is doing, read from
 * `/api/alerts` rather than SQL; `drilldown`: what an alert's row (its relation's columns) shows.
 */
export interface AlertsPanel extends PanelBase {
  readonly kind: 'alerts';
  readonly drilldown?: RowDrilldown;
}

export type Panel = TablePanel | TimeseriesPanel | BarsPanel | HealthPanel | AlertsPanel;
export type SqlPanel = Exclude<Panel, HealthPanel | AlertsPanel>;

/** Whether a panel runs SQL (the health and alerts panels read the HTTP API instead). */
export function isSqlPanel(panel: Panel): panel is SqlPanel {
  return panel.kind !== 'health' && panel.kind !== 'alerts';
}

export interface Dashboard {
  readonly title: string;
  readonly panels: readonly Panel[];
}

export class DashboardError extends Error {
  override readonly name = 'DashboardError';
}

const KINDS: readonly PanelKind[] = ['table', 'timeseries', 'bars', 'health', 'alerts'];
const UNITS: readonly Unit[] = ['ms', 'percent', 'count', 'severity', 'none'];
const ID = /^[a-z][a-z0-9-]*$/;
const NAME = /^[a-z_][a-z0-9_]*$/;
const WINDOW = /^([1-9]\d{0,5})([smh])$/;
const WINDOW_UNIT_MS: Readonly<Record<string, number>> = { s: 1000, m: 60_000, h: 3_600_000 };

/** A drill-down window (`1m`, `30s`, `1h`) in milliseconds. */
export function windowMillis(window: string): number {
  const m = WINDOW.exec(window);
  if (m === null) throw new DashboardError(`"${window}" is not a window like 1m, 30s or 1h`);
  return Number(m[1]) * (WINDOW_UNIT_MS[m[2] as string] as number);
}

/** A title as the lowercase words of an id or file name: "Top user actions" → top-user-actions. */
export function slugOf(title: string): string {
  return (
    title
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-|-$/g, '') || 'dashboard'
  );
}

/** Reads and checks a dashboard file; every fault is a DashboardError naming the file and field. */
export function loadDashboard(path: string): Dashboard {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new DashboardError(`cannot read dashboard file ${path}: ${(e as Error).message}`);
  }
  return parseDashboard(text, path);
}

/** Checks a dashboard file's text; `origin` names it in errors. */
export function parseDashboard(text: string, origin: string): Dashboard {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new DashboardError(`${origin}: not JSON: ${(e as Error).message}`);
  }
  const at = (path: string) => new Reader(origin, path);
  const root = at('').object(json);
  const panels = at('panels')
    .array(root.panels)
    .map((p, i) => readPanel(at(`panels[${i}]`), p));
  checkPanels(panels, origin);
  return { title: at('title').string(root.title), panels };
}

/** The columns of its rows a panel reads by name (beside the ones it shows as they come). */
export function columnsRead(panel: SqlPanel): string[] {
  switch (panel.kind) {
    case 'table':
      return [
        ...(panel.selects === undefined ? [] : [panel.selects.column]),
        ...(panel.drilldown === undefined ? [] : rowDrilldownColumns(panel.drilldown)),
      ];
    case 'timeseries':
      return [panel.time, ...(panel.keys === undefined ? [] : [panel.keys]), ...panel.values];
    case 'bars':
      return [panel.category, panel.value, ...(panel.line === undefined ? [] : [panel.line])];
  }
}

/** The columns of a row a row drill-down reads. */
export function rowDrilldownColumns(drill: RowDrilldown): string[] {
  return [drill.column, drill.variableColumn, drill.variableFrom?.column, drill.from, drill.to].filter(
    (c) => c !== undefined,
  );
}

/** One panel's JSON (a panel saved from the page), checked as a panel of a file is. */
export function parsePanel(json: unknown, origin: string): Panel {
  return readPanel(new Reader(origin, ''), json);
}

/**
 * Checks panels together, as they are shown on one page: their ids differ, and the panels and
 * variables that `selects` and `drilldown` name exist.
 */
export function checkPanels(panels: readonly Panel[], origin: string): void {
  const at = (path: string) => new Reader(origin, path);
  const ids = new Set<string>();
  panels.forEach((panel, i) => {
    if (ids.has(panel.id)) throw at(`panels[${i}].id`).fault(`"${panel.id}" is the id of an earlier panel`);
    ids.add(panel.id);
  });
  const hasVariable = (id: string, variable: string) =>
    panels.find((p) => p.id === id)?.variables.some((v) => v.name === variable) === true;
  panels.forEach((panel, i) => {
    if (panel.kind === 'table' && panel.selects !== undefined) {
      const { panel: target, variable } = panel.selects;
      if (!hasVariable(target, variable))
        throw at(`panels[${i}].selects`).fault(`no panel "${target}" with a variable "${variable}"`);
    }
    if (panel.kind !== 'health' && panel.drilldown !== undefined) {
      const { panel: target, variable } = panel.drilldown;
      const from = 'variableFrom' in panel.drilldown ? panel.drilldown.variableFrom : undefined;
      if (target === panel.id)
        throw at(`panels[${i}].drilldown.panel`).fault('a panel drills down into another');
      const named = [variable, ...Object.values(from?.values ?? {}), from?.otherwise];
      for (const v of named)
        if (v !== undefined && !hasVariable(target, v))
          throw at(`panels[${i}].drilldown`).fault(`no panel "${target}" with a variable "${v}"`);
      if (!panels.some((p) => p.id === target))
        throw at(`panels[${i}].drilldown.panel`).fault(`no panel "${target}"`);
    }
  });
}

function readPanel(at: Reader, json: unknown): Panel {
  const o = at.object(json);
  const kind = at.field('kind').oneOf(o.kind, KINDS);
  const base: PanelBase = {
    id: at.field('id').matching(o.id, ID, 'lowercase letters, digits and dashes'),
    title: at.field('title').string(o.title),
    ...(o.description === undefined ? {} : { description: at.field('description').string(o.description) }),
    variables:
      o.variables === undefined
        ? []
        : at
            .field('variables')
            .array(o.variables)
            .map((v, i) => readVariable(at.field(`variables[${i}]`), v)),
    units: o.units === undefined ? {} : readUnits(at.field('units'), o.units),
  };
  if (kind === 'health') return { ...base, kind };
  if (kind === 'alerts')
    return o.drilldown === undefined
      ? { ...base, kind }
      : { ...base, kind, drilldown: readRowDrilldown(at.field('drilldown'), o.drilldown) };
  const sql = at.field('sql').string(o.sql);
  if (/\$\d/.test(sql))
    throw at.field('sql').fault('positional parameters ($1…) are not for panels: use ${name} variables');
  for (const [, name] of sql.matchAll(/\$\{([^}]*)\}/g))
    if (!base.variables.some((v) => v.name === name))
      throw at.field('sql').fault(`\${${name}} is not one of the panel's variables`);
  const column = (name: string) => at.field(name).matching(o[name], NAME, 'a column name');
  switch (kind) {
    case 'table': {
      const drilldown =
        o.drilldown === undefined ? {} : { drilldown: readRowDrilldown(at.field('drilldown'), o.drilldown) };
      if (o.selects === undefined) return { ...base, kind, sql, ...drilldown };
      const s = at.field('selects').object(o.selects);
      return {
        ...base,
        kind,
        sql,
        selects: {
          column: at.field('selects.column').string(s.column),
          panel: at.field('selects.panel').string(s.panel),
          variable: at.field('selects.variable').string(s.variable),
        },
        ...drilldown,
      };
    }
    case 'timeseries': {
      const keys = o.keys === undefined ? undefined : column('keys');
      return {
        ...base,
        kind,
        sql,
        time: column('time'),
        values: at
          .field('values')
          .array(o.values)
          .map((v, i) => at.field(`values[${i}]`).matching(v, NAME, 'a column name')),
        ...(keys === undefined ? {} : { keys }),
        ...(o.drilldown === undefined
          ? {}
          : { drilldown: readDrilldown(at.field('drilldown'), o.drilldown, { kind, keys }, base.variables) }),
      };
    }
    case 'bars': {
      const category = column('category');
      return {
        ...base,
        kind,
        sql,
        category,
        value: column('value'),
        ...(o.line === undefined ? {} : { line: column('line') }),
        ...(o.drilldown === undefined
          ? {}
          : {
              drilldown: readDrilldown(
                at.field('drilldown'),
                o.drilldown,
                { kind, keys: category },
                base.variables,
              ),
            }),
      };
    }
  }
}

/** A drill-down of a time series (`keys`: its keys column) or of bars (`keys`: the category). */
function readDrilldown(
  at: Reader,
  json: unknown,
  of: { kind: 'timeseries' | 'bars'; keys: string | undefined },
  variables: readonly PanelVariable[],
): Drilldown {
  const o = at.object(json);
  const panel = at.field('panel').matching(o.panel, ID, 'a panel id');
  const variable = at.field('variable').matching(o.variable, NAME, 'a variable name');
  if ((o.column === undefined) === (o.fromVariable === undefined))
    throw at.fault('give where the key comes from: "column" or "fromVariable", one of them');
  let source: { column: string } | { fromVariable: string };
  if (o.column !== undefined) {
    const column = at.field('column').matching(o.column, NAME, 'a column name');
    if (of.keys === undefined)
      throw at.field('column').fault('a time series without keys has no key column: use "fromVariable"');
    if (column !== of.keys)
      throw at
        .field('column')
        .fault(
          `"${column}" is not the panel's ${of.kind === 'bars' ? 'category' : 'keys'} column "${of.keys}"`,
        );
    source = { column };
  } else {
    const own = at.field('fromVariable').matching(o.fromVariable, NAME, 'a variable name');
    if (!variables.some((v) => v.name === own))
      throw at.field('fromVariable').fault(`"${own}" is not one of the panel's variables`);
    source = { fromVariable: own };
  }
  if (of.kind === 'bars') {
    if (o.window !== undefined)
      throw at.field('window').fault("a bar is of the whole range: bars' drill-downs have no window");
    return { panel, variable, ...source };
  }
  const window = at.field('window').string(o.window);
  if (!WINDOW.test(window)) throw at.field('window').fault(`"${window}" is not a window like 1m, 30s or 1h`);
  return { panel, variable, ...source, window };
}

/** A row's drill-down: its key column, the variable (or the column naming it), its window's columns. */
function readRowDrilldown(at: Reader, json: unknown): RowDrilldown {
  const o = at.object(json);
  const name = (field: string) => at.field(field).matching(o[field], NAME, 'a column name');
  const panel = at.field('panel').matching(o.panel, ID, 'a panel id');
  const column = name('column');
  if ([o.variable, o.variableColumn, o.variableFrom].filter((v) => v !== undefined).length !== 1)
    throw at.fault(
      'give the variable it sets: "variable", "variableColumn" naming it per row, or "variableFrom" mapping a column\'s values to it, one of them',
    );
  const variable =
    o.variable !== undefined
      ? { variable: at.field('variable').matching(o.variable, NAME, 'a variable name') }
      : o.variableColumn !== undefined
        ? { variableColumn: name('variableColumn') }
        : { variableFrom: readVariableFrom(at.field('variableFrom'), o.variableFrom) };
  if ((o.from === undefined) !== (o.to === undefined))
    throw at.fault('a window needs both "from" and "to" (its columns), or neither');
  const window = o.from === undefined ? {} : { from: name('from'), to: name('to') };
  return { panel, column, ...variable, ...window };
}

function readVariableFrom(at: Reader, json: unknown): VariableFrom {
  const o = at.object(json);
  const values = at.field('values').object(o.values);
  return {
    column: at.field('column').matching(o.column, NAME, 'a column name'),
    values: Object.fromEntries(
      Object.entries(values).map(([k, v]) => [
        k,
        at.field(`values.${k}`).matching(v, NAME, 'a variable name'),
      ]),
    ),
    ...(o.otherwise === undefined
      ? {}
      : { otherwise: at.field('otherwise').matching(o.otherwise, NAME, 'a variable name') }),
  };
}

function readVariable(at: Reader, json: unknown): PanelVariable {
  const o = at.object(json);
  const type = o.type === undefined ? 'text' : at.field('type').oneOf(o.type, ['text', 'integer'] as const);
  const fallback = o.default === undefined ? '' : at.field('default').string(o.default, true);
  if (type === 'integer' && !/^-?\d+$/.test(fallback))
    throw at.field('default').fault('an integer variable needs an integer default');
  return {
    name: at.field('name').matching(o.name, NAME, 'lowercase letters, digits and _'),
    label: at.field('label').string(o.label),
    type,
    default: fallback,
  };
}

function readUnits(at: Reader, json: unknown): Record<string, Unit> {
  const o = at.object(json);
  return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, at.field(k).oneOf(v, UNITS)]));
}

/** Checks one field of the file, naming it in faults (`dashboards/x.json: panels[2].sql: …`). */
class Reader {
  readonly #origin: string;
  readonly #path: string;
  constructor(origin: string, path: string) {
    this.#origin = origin;
    this.#path = path;
  }
  field(name: string): Reader {
    return new Reader(this.#origin, this.#path === '' ? name : `${this.#path}.${name}`);
  }
  fault(message: string): DashboardError {
    return new DashboardError(`${this.#origin}: ${this.#path === '' ? '' : `${this.#path}: `}${message}`);
  }
  object(v: unknown): Record<string, unknown> {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) throw this.fault('expected an object');
    return v as Record<string, unknown>;
  }
  array(v: unknown): unknown[] {
    if (!Array.isArray(v)) throw this.fault('expected an array');
    return v;
  }
  string(v: unknown, emptyAllowed = false): string {
    if (typeof v !== 'string' || (!emptyAllowed && v.trim() === ''))
      throw this.fault(v === undefined ? 'missing' : 'expected a non-empty string');
    return v;
  }
  matching(v: unknown, pattern: RegExp, what: string): string {
    const s = this.string(v);
    if (!pattern.test(s)) throw this.fault(`"${s}" is not ${what}`);
    return s;
  }
  oneOf<T extends string>(v: unknown, allowed: readonly T[]): T {
    if (typeof v !== 'string' || !(allowed as readonly string[]).includes(v))
      throw this.fault(
        `expected one of ${allowed.join(', ')}${v === undefined ? '' : `, not ${JSON.stringify(v)}`}`,
      );
    return v as T;
  }
}
