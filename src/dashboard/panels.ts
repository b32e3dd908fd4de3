/**
 * A dashboard file: a title and panels, each a title, a chart kind, options and the SQL that
 * feeds it (Grafana's macros for the time range, `${name}` for the panel's variables; see
 * macros.ts). The same file feeds the built-in page and Grafana's provisioning. Reading one
 * checks every field and names the first one that is wrong.
 */
import { readFileSync } from 'node:fs';

export type PanelKind = 'table' | 'timeseries' | 'bars' | 'health';
export type VariableType = 'text' | 'integer';

/** A value a person (or the page) gives a panel's SQL, bound as a parameter, never spliced in. */
export interface PanelVariable {
  readonly name: string;
  readonly label: string;
  readonly type: VariableType;
  /** The value when none is given ('' for text filters: "any"). */
  readonly default: string;
}

/** How a column's values read: `ms`, `percent`, `count`… (the page formats them for people). */
export type Unit = 'ms' | 'percent' | 'count' | 'none';

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
}

/** Lines over time: a `time` column, one line per value column, or per key and value column. */
export interface TimeseriesPanel extends PanelBase {
  readonly kind: 'timeseries';
  readonly sql: string;
  readonly time: string;
  readonly values: readonly string[];
  /** A column splitting rows into series (Grafana's long format), one line per distinct value. */
  readonly keys?: string;
}

/** One bar per category, with an optional line (a cumulative percentage) over them. */
export interface BarsPanel extends PanelBase {
  readonly kind: 'bars';
  readonly sql: string;
  readonly category: string;
  readonly value: string;
  readonly line?: string;
}

/** The pipeline's health, read from `/api/status` rather than SQL. */
export interface HealthPanel extends PanelBase {
  readonly kind: 'health';
}

export type Panel = TablePanel | TimeseriesPanel | BarsPanel | HealthPanel;
export type SqlPanel = Exclude<Panel, HealthPanel>;

export interface Dashboard {
  readonly title: string;
  readonly panels: readonly Panel[];
}

export class DashboardError extends Error {
  override readonly name = 'DashboardError';
}

const KINDS: readonly PanelKind[] = ['table', 'timeseries', 'bars', 'health'];
const UNITS: readonly Unit[] = ['ms', 'percent', 'count', 'none'];
const ID = /^[a-z][a-z0-9-]*$/;
const NAME = /^[a-z_][a-z0-9_]*$/;

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
  const ids = new Set<string>();
  panels.forEach((panel, i) => {
    if (ids.has(panel.id)) throw at(`panels[${i}].id`).fault(`"${panel.id}" is the id of an earlier panel`);
    ids.add(panel.id);
  });
  panels.forEach((panel, i) => {
    if (panel.kind !== 'table' || panel.selects === undefined) return;
    const target = panels.find((p) => p.id === panel.selects?.panel);
    if (target?.variables.some((v) => v.name === panel.selects?.variable) !== true)
      throw at(`panels[${i}].selects`).fault(
        `no panel "${panel.selects.panel}" with a variable "${panel.selects.variable}"`,
      );
  });
  return { title: at('title').string(root.title), panels };
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
  const sql = at.field('sql').string(o.sql);
  if (/\$\d/.test(sql))
    throw at.field('sql').fault('positional parameters ($1…) are not for panels: use ${name} variables');
  for (const [, name] of sql.matchAll(/\$\{([^}]*)\}/g))
    if (!base.variables.some((v) => v.name === name))
      throw at.field('sql').fault(`\${${name}} is not one of the panel's variables`);
  const column = (name: string) => at.field(name).matching(o[name], NAME, 'a column name');
  switch (kind) {
    case 'table': {
      if (o.selects === undefined) return { ...base, kind, sql };
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
      };
    }
    case 'timeseries':
      return {
        ...base,
        kind,
        sql,
        time: column('time'),
        values: at
          .field('values')
          .array(o.values)
          .map((v, i) => at.field(`values[${i}]`).matching(v, NAME, 'a column name')),
        ...(o.keys === undefined ? {} : { keys: column('keys') }),
      };
    case 'bars':
      return {
        ...base,
        kind,
        sql,
        category: column('category'),
        value: column('value'),
        ...(o.line === undefined ? {} : { line: column('line') }),
      };
  }
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
