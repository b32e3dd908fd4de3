/**
 * A client session's run-time parameters, as PostgreSQL and RisingWave keep them per session:
 * `SET`, `RESET [ALL]` and `SHOW name | ALL` over the defaults tidewatch reports (store/query's
 * settings, which `current_setting` and `pg_settings` read too), RisingWave's `rw_…` ones
 * included: one client's `SET RW_IMPLICIT_FLUSH` never changes another's.
 */
import { SqlError, SqlState } from '../sql/errors.ts';
import { T } from '../sql/types.ts';
import { currentSettings } from '../store/query/settings.ts';
import type { PgQueryResult } from './pgwire/backend.ts';

/** Settings whose values are booleans, kept as `true` / `false` as RisingWave shows them. */
const BOOLEANS = new Set(['rw_implicit_flush']);

function parseBoolean(name: string, value: string): string {
  const v = value.trim().toLowerCase();
  if (['true', 'on', 't', '1', 'yes', 'y'].includes(v)) return 'true';
  if (['false', 'off', 'f', '0', 'no', 'n'].includes(v)) return 'false';
  throw new SqlError(SqlState.invalidParameterValue, `invalid value for parameter "${name}": "${value}"`);
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

const TIME_UNITS_MS: Readonly<Record<string, number>> = {
  us: 0.001,
  ms: 1,
  s: 1000,
  min: 60_000,
  h: 3_600_000,
  d: 86_400_000,
};

/**
 * A time setting in milliseconds, as PostgreSQL reads `statement_timeout`: a number of
 * milliseconds, or a number with a unit (`us`, `ms`, `s`, `min`, `h`, `d`); 0 is none.
 */
export function parseTimeoutMs(name: string, value: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(us|ms|s|min|h|d)?\s*$/.exec(value);
  if (m === null)
    throw new SqlError(
      SqlState.invalidParameterValue,
      `invalid value for parameter "${name}": "${value}"`,
      undefined,
      { hint: 'Valid units for this parameter are "us", "ms", "s", "min", "h", and "d".' },
    );
  return Math.round(Number(m[1]) * (TIME_UNITS_MS[m[2] ?? 'ms'] as number));
}

/** Settings whose values are times, checked when set. */
const TIMES = new Set(['statement_timeout']);

export class SessionSettings {
  readonly #values = new Map<string, string>();
  readonly #identity = new Map<string, string>();
  /** The server's own defaults (`--statement-timeout`…), where they differ from tidewatch's. */
  readonly #defaults: ReadonlyMap<string, string>;

  constructor(defaults: Readonly<Record<string, string>> = {}) {
    this.#defaults = new Map(Object.entries(defaults).map(([k, v]) => [k.toLowerCase(), v]));
  }

  /** The session's user, which `current_user` and `is_superuser` show and no SET changes. */
  identify(user: string, superuser: boolean): void {
    this.#identity.set('session_authorization', user);
    this.#identity.set('is_superuser', superuser ? 'on' : 'off');
  }

  /** The session's value of a setting, if it set one, else the server's default, if it has one. */
  get(name: string): string | undefined {
    const lower = name.toLowerCase();
    return this.#identity.get(lower) ?? this.#values.get(lower) ?? this.#defaults.get(lower);
  }

  /** statement_timeout in milliseconds (0: none). */
  get statementTimeoutMs(): number {
    return parseTimeoutMs('statement_timeout', this.get('statement_timeout') ?? '0');
  }

  /** RW_IMPLICIT_FLUSH: DML returns once its epoch is committed. */
  get implicitFlush(): boolean {
    return this.get('rw_implicit_flush') === 'true';
  }

  /** `SET name = value`; an undefined value is `RESET name` (`SET name TO DEFAULT`). */
  set(name: string, value: string | undefined): PgQueryResult {
    const lower = name.toLowerCase();
    const user = this.#identity.get('session_authorization');
    // Who the session is does not change: the user may only name itself (or reset).
    if (lower === 'session_authorization' && value !== undefined && value !== user)
      throw new SqlError(SqlState.insufficientPrivilege, 'permission denied to set session authorization');
    if (lower === 'role' && value !== undefined && value.toLowerCase() !== 'none' && value !== user)
      throw new SqlError(SqlState.insufficientPrivilege, `permission denied to set role "${value}"`);
    if (lower === 'session_authorization') return { tag: 'SET_VARIABLE' };
    if (this.#identity.has(lower))
      throw new SqlError(SqlState.cantChangeRuntimeParam, `parameter "${name}" cannot be changed`);
    if (value === undefined) this.#values.delete(lower);
    else {
      if (TIMES.has(lower)) parseTimeoutMs(name, value);
      this.#values.set(lower, BOOLEANS.has(lower) ? parseBoolean(name, value) : value);
    }
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
