/**
 * The engine's session: SET / RESET / SHOW of its parameters (RW_IMPLICIT_FLUSH among them).
 */

import { SqlError, SqlState } from '../sql/errors.ts';
import type { SetVariable, ShowVariable } from '../sql/statement.ts';
import type { StatementResult } from './statement-result.ts';

const DEFAULT_SESSION: ReadonlyMap<string, string> = new Map([
  ['rw_implicit_flush', 'false'],
  ['timezone', 'UTC'],
  ['application_name', ''],
  ['search_path', '"$user", public'],
  ['server_version', '13.14.0'],
  ['client_encoding', 'UTF8'],
  ['datestyle', 'ISO, MDY'],
  ['streaming_parallelism', 'default'],
]);

function parseBool(v: string): boolean | undefined {
  const s = v.trim().toLowerCase();
  if (s === 'true' || s === 'on' || s === 't' || s === '1' || s === 'yes') return true;
  if (s === 'false' || s === 'off' || s === 'f' || s === '0' || s === 'no') return false;
  return undefined;
}

export class Session {
  readonly #vars = new Map<string, string>();

  set(s: SetVariable): StatementResult {
    const name = s.name.toLowerCase();
    if (s.reset) this.#vars.delete(name);
    else {
      const value = s.values.join(', ');
      if (name === 'rw_implicit_flush' && parseBool(value) === undefined)
        throw new SqlError(
          SqlState.invalidParameterValue,
          `invalid value for parameter "${name}": "${value}"`,
        );
      this.#vars.set(name, value);
    }
    return { tag: 'SET_VARIABLE' };
  }

  show(s: ShowVariable): StatementResult {
    const name = s.name.toLowerCase();
    const v = this.#vars.get(name) ?? DEFAULT_SESSION.get(name);
    if (v === undefined)
      throw new SqlError(SqlState.undefinedObject, `unrecognized configuration parameter "${s.name}"`);
    return {
      tag: 'SHOW',
      rowCount: 1,
      columns: [{ name, type: { name: 'varchar' } }],
      rows: [[v]],
    };
  }

  get implicitFlush(): boolean {
    return parseBool(this.#vars.get('rw_implicit_flush') ?? 'false') === true;
  }
}
