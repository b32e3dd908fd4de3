/**
 * A client session's run-time parameters, as PostgreSQL keeps them per session: `SET`,
 * `RESET [ALL]` and `SHOW name | ALL` over the defaults tidewatch reports (store/query's
 * settings, which `current_setting` and `pg_settings` read too). The engine's own variables
 * (`rw_…`, such as `rw_implicit_flush`) are not kept here: they go to the engine.
 */
import { SqlError, SqlState } from '../sql/errors.ts';
import { T } from '../sql/types.ts';
import { currentSettings } from '../store/query/settings.ts';
import type { PgQueryResult } from './pgwire/backend.ts';

/** Whether a variable is the engine's rather than the session's. */
export function isEngineVariable(name: string): boolean {
  return name.toLowerCase().startsWith('rw_');
}

/** Parameters PostgreSQL reports to clients when they change (GUC_REPORT), by lower-case name. */
const REPORTED: Readonly<Record<string, string>> = {
  application_name: 'application_name',
  datestyle: 'DateStyle',
  timezone: 'TimeZone',
  intervalstyle: 'IntervalStyle',
  client_encoding: 'client_encoding',
  standard_conforming_strings: 'standard_conforming_strings',
};

export class SessionSettings {
  readonly #values = new Map<string, string>();

  /** The session's value of a setting, if it set one. */
  get(name: string): string | undefined {
    return this.#values.get(name.toLowerCase());
  }

  /** `SET name = value`; an undefined value is `RESET name` (`SET name TO DEFAULT`). */
  set(name: string, value: string | undefined): PgQueryResult {
    if (value === undefined) this.#values.delete(name.toLowerCase());
    else this.#values.set(name.toLowerCase(), value);
    return { tag: 'SET_VARIABLE', parameterStatus: this.#reported([name]) };
  }

  resetAll(): PgQueryResult {
    const names = [...this.#values.keys()];
    this.#values.clear();
    return { tag: 'RESET', parameterStatus: this.#reported(names) };
  }

  /** The current values of those of `names` clients track. */
  #reported(names: readonly string[]): Record<string, string> {
    const out: Record<string, string> = {};
    const all = currentSettings((n) => this.get(n));
    for (const name of names) {
      const reported = REPORTED[name.toLowerCase()];
      if (reported === undefined) continue;
      out[reported] =
        this.get(name) ?? all.find((s) => s.name.toLowerCase() === name.toLowerCase())?.setting ?? '';
    }
    return out;
  }

  show(name: string): PgQueryResult {
    const all = currentSettings((n) => this.get(n));
    if (name.toLowerCase() === 'all') {
      const rows = [...all.map((s) => [s.name, s.setting] as [string, string])];
      for (const [n, v] of this.#values) if (!all.some((s) => s.name.toLowerCase() === n)) rows.push([n, v]);
      return {
        tag: 'SHOW',
        columns: [
          { name: 'name', type: T.varchar },
          { name: 'setting', type: T.varchar },
        ],
        rows: rows.sort((a, b) => (a[0].toLowerCase() < b[0].toLowerCase() ? -1 : 1)),
      };
    }
    const value = this.get(name) ?? all.find((s) => s.name.toLowerCase() === name.toLowerCase())?.setting;
    if (value === undefined)
      throw new SqlError(SqlState.undefinedObject, `unrecognized configuration parameter "${name}"`);
    return { tag: 'SHOW', columns: [{ name: name.toLowerCase(), type: T.varchar }], rows: [[value]] };
  }
}
