/**
 * A panel's SQL as the built-in page runs it: Grafana's time macros and the panel's `${name}`
 * variables become bind parameters, so that no value a person typed is ever part of the text.
 *
 * - `$__timeFilter(expr)` → `(expr >= $a AND expr < $b)`, `$__timeFrom()` → `$a`,
 *   `$__timeTo()` → `$b`, with the range's ends as timestamps;
 * - `'${name}'` (Grafana quotes a text variable where it goes) → a text parameter,
 *   `${name}` → a parameter of the variable's type.
 *
 * Parameters are numbered in order of first use; one used twice is bound once.
 */
import { type SqlType, T, type Value } from '../sql/types.ts';
import type { PanelVariable } from './panels.ts';

export interface TimeRange {
  /** Microseconds since 1970-01-01 UTC, inclusive. */
  readonly fromMicros: number;
  /** Microseconds since 1970-01-01 UTC, exclusive. */
  readonly toMicros: number;
}

export interface ExpandedSql {
  readonly sql: string;
  readonly params: Value[];
  readonly types: SqlType[];
}

export class MacroError extends Error {
  override readonly name = 'MacroError';
}

const MACRO = /\$__(\w+)\(|'\$\{(\w+)\}'|\$\{(\w+)\}/g;

/**
 * Expands `sql` for `range`, with `given` values of the variables (absent or undefined: the
 * variable's default). Throws MacroError for an unknown macro or variable, or a value that
 * does not fit its variable.
 */
export function expandPanelSql(
  sql: string,
  range: TimeRange,
  variables: readonly PanelVariable[],
  given: Readonly<Record<string, string | undefined>> = {},
): ExpandedSql {
  const params: Value[] = [];
  const types: SqlType[] = [];
  const numbers = new Map<string, number>();
  const param = (key: string, value: () => Value, type: SqlType): string => {
    let n = numbers.get(key);
    if (n === undefined) {
      params.push(value());
      types.push(type);
      n = params.length;
      numbers.set(key, n);
    }
    return `$${n}`;
  };
  const from = () => param('from', () => range.fromMicros, T.timestamp);
  const to = () => param('to', () => range.toMicros, T.timestamp);
  const variable = (name: string) => {
    const v = variables.find((x) => x.name === name);
    if (v === undefined) throw new MacroError(`\${${name}} is not a variable of the panel`);
    const text = given[name] ?? v.default;
    if (v.type === 'integer') {
      if (!/^-?\d{1,15}$/.test(text.trim()))
        throw new MacroError(`${v.label} must be an integer, not ${JSON.stringify(text)}`);
      return param(name, () => Number(text.trim()), T.int8);
    }
    return param(name, () => text, T.text);
  };

  let out = '';
  let last = 0;
  MACRO.lastIndex = 0;
  for (let m = MACRO.exec(sql); m !== null; m = MACRO.exec(sql)) {
    out += sql.slice(last, m.index);
    last = m.index + m[0].length;
    const [, macro, quoted, bare] = m;
    if (quoted !== undefined) out += variable(quoted);
    else if (bare !== undefined) out += variable(bare);
    else {
      const close = closingParen(sql, last);
      const argument = sql.slice(last, close).trim();
      last = close + 1;
      MACRO.lastIndex = last;
      switch (macro) {
        case 'timeFilter':
          if (argument === '') throw new MacroError('$__timeFilter needs a column');
          out += `(${argument} >= ${from()} AND ${argument} < ${to()})`;
          break;
        case 'timeFrom':
          out += from();
          break;
        case 'timeTo':
          out += to();
          break;
        default:
          throw new MacroError(`$__${macro} is not a macro the built-in dashboard expands`);
      }
    }
  }
  return { sql: out + sql.slice(last), params, types };
}

/** The index of the `)` closing a macro's argument list that starts at `start`. */
function closingParen(sql: string, start: number): number {
  let depth = 0;
  let quote: string | undefined;
  for (let i = start; i < sql.length; i++) {
    const c = sql[i];
    if (quote !== undefined) {
      if (c === quote) quote = undefined;
    } else if (c === "'" || c === '"') quote = c;
    else if (c === '(') depth++;
    else if (c === ')') {
      if (depth === 0) return i;
      depth--;
    }
  }
  throw new MacroError(`a macro's ( at ${start} is never closed`);
}
