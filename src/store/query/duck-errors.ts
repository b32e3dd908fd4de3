/**
 * DuckDB's errors in PostgreSQL's terms: a SQLSTATE, PostgreSQL's wording where it has one
 * (`column "x" does not exist`), and the position of the offending name in the user's query
 * when it can be found there (DuckDB's own positions point into the rewritten text).
 */
import { SqlError } from '../../sql/errors.ts';

/** Where a name first appears in the user's query, as a 1-based position. */
export interface NamePositions {
  column(name: string): number | undefined;
  func(name: string): number | undefined;
}

interface Rule {
  readonly pattern: RegExp;
  readonly sqlstate: string | ((m: RegExpExecArray) => string);
  readonly message?: (m: RegExpExecArray) => string;
  readonly position?: (m: RegExpExecArray, at: NamePositions) => number | undefined;
  readonly detail?: (m: RegExpExecArray) => string;
}

const rules: readonly Rule[] = [
  {
    // a SqlError raised in one of tidewatch's functions (numeric-functions.ts)
    pattern: /tidewatch:([0-9A-Z]{5}):([^\n]*)/,
    sqlstate: (m) => m[1] as string,
    message: (m) => m[2] as string,
  },
  {
    pattern:
      /Expected \d+ parameters?, but|Values were not provided for the following prepared statement parameters/,
    sqlstate: '08P01',
  },
  {
    pattern: /More than one row returned by a subquery/,
    sqlstate: '21000',
    message: () => 'more than one row returned by a subquery used as an expression',
  },
  {
    pattern: /^Binder Error: Referenced column "([^"]*)" not found/,
    sqlstate: '42703',
    message: (m) => `column "${m[1]}" does not exist`,
    position: (m, at) => at.column(m[1] as string),
  },
  {
    pattern: /^Binder Error: Table "([^"]*)" does not have a column named "([^"]*)"/,
    sqlstate: '42703',
    message: (m) => `column ${m[1]}.${m[2]} does not exist`,
    position: (m, at) => at.column(m[2] as string),
  },
  {
    pattern: /^Binder Error: Referenced table "([^"]*)" not found/,
    sqlstate: '42P01',
    message: (m) => `missing FROM-clause entry for table "${m[1]}"`,
  },
  {
    pattern: /^Binder Error: Values list "([^"]*)" does not have a column named "([^"]*)"/,
    sqlstate: '42703',
    message: (m) => `column ${m[1]}.${m[2]} does not exist`,
    position: (m, at) => at.column(m[2] as string),
  },
  {
    pattern: /^Binder Error: column "?([^"\s]*)"? must appear in the GROUP BY clause/,
    sqlstate: '42803',
    message: (m) => `column "${m[1]}" must appear in the GROUP BY clause or be used in an aggregate function`,
    position: (m, at) => at.column(String(m[1]).split('.').pop() as string),
  },
  {
    pattern: /^Binder Error: Ambiguous reference to column name "([^"]*)"/,
    sqlstate: '42702',
    message: (m) => `column reference "${m[1]}" is ambiguous`,
    position: (m, at) => at.column(m[1] as string),
  },
  {
    pattern:
      /^Catalog Error: (?:Scalar|Table|Aggregate|Pragma) Function with name "?([^"!\s]*)"? does not exist/,
    sqlstate: '42883',
    message: (m) => `function ${m[1]} does not exist`,
    position: (m, at) => at.func(m[1] as string),
  },
  {
    pattern: /^Binder Error: No function matches the given name and argument types '([^(]*)\(/,
    sqlstate: '42883',
    message: (m) => `function ${m[1]} with the given argument types does not exist`,
    position: (m, at) => at.func(m[1] as string),
  },
  { pattern: /^Binder Error: Could not choose a best candidate/, sqlstate: '42725' },
  {
    pattern: /^(?:Binder|Catalog) Error: Function "?([^"\s]*)"? is a table function/,
    sqlstate: '42883',
    message: (m) => `function ${m[1]} does not exist`,
    position: (m, at) => at.func(m[1] as string),
  },
  {
    pattern: /^Catalog Error: Type with name "?([^"!\s]*)"? does not exist/,
    sqlstate: '42704',
    message: (m) => `type "${m[1]}" does not exist`,
  },
  {
    pattern: /^Catalog Error: Table with name "?([^"!\s]*)"? does not exist/,
    sqlstate: '42P01',
    message: (m) => `relation "${m[1]}" does not exist`,
  },
  { pattern: /^Binder Error: .*aggregate function calls cannot be nested/i, sqlstate: '42803' },
  {
    pattern: /^Binder Error: .*(?:window functions? (?:is )?not allowed|cannot contain window functions)/i,
    sqlstate: '42P20',
  },
  {
    pattern: /^Binder Error: .*(?:aggregates? (?:is |are )?not allowed|cannot contain aggregates)/i,
    sqlstate: '42803',
  },
  {
    pattern: /^Binder Error: Cannot compare values of type|^Binder Error: .*cannot be compared/,
    sqlstate: '42883',
  },
  {
    pattern: /^Binder Error: UNNEST not supported here/,
    sqlstate: '0A000',
    message: () => 'set-returning functions are not allowed here',
  },
  { pattern: /^Binder Error: /, sqlstate: '42601' },
  { pattern: /^Parser Error: /, sqlstate: '42601' },
  {
    pattern: /^Invalid Input Error: (division by zero)/,
    sqlstate: '22012',
    message: () => 'division by zero',
  },
  {
    pattern: /^Invalid Input Error: (value out of range: (?:overflow|underflow))/,
    sqlstate: '22003',
    message: (m) => m[1] as string,
  },
  {
    pattern:
      /^Invalid Input Error: (zero raised to a negative power is undefined|a negative number raised to a non-integer power yields a complex result)/,
    sqlstate: '2201F',
    message: (m) => m[1] as string,
  },
  {
    pattern: /^Invalid Input Error: (unrecognized configuration parameter "[^"]*")/,
    sqlstate: '42704',
    message: (m) => m[1] as string,
  },
  {
    pattern: /^Invalid Input Error: ((?:relation|type|function|schema|role) "[^"]*" does not exist)/,
    sqlstate: '42P01',
    message: (m) => m[1] as string,
  },
  {
    pattern: /^(?:Invalid Input Error: )?(string is not a valid identifier: .*)/,
    sqlstate: '22023',
    message: (m) => m[1] as string,
  },
  {
    pattern: /^Conversion Error: Could not convert string '([^']*)' to (\w+)/,
    sqlstate: '22P02',
    message: (m) => `invalid input syntax for type ${pgTypeName(m[2] as string)}: "${m[1]}"`,
  },
  { pattern: /^Conversion Error: .*out of range|^Out of Range Error: /i, sqlstate: '22003' },
  { pattern: /^Conversion Error: /, sqlstate: '22P02' },
  { pattern: /^Invalid Input Error: /, sqlstate: '22023' },
  { pattern: /^Not implemented Error: /, sqlstate: '0A000' },
  {
    pattern: /^INTERRUPT Error|^Interrupt/i,
    sqlstate: '57014',
    message: () => 'canceling statement due to user request',
  },
  { pattern: /^Constraint Error: /, sqlstate: '23000' },
  {
    // DuckDB's memory_limit, which the store sets from the query memory limit (view-store.ts)
    pattern: /^Out of Memory Error: ([^\n]*)/,
    sqlstate: '53200',
    message: () => 'out of memory',
    detail: (m) => `The query's working memory: ${m[1]}; past the query memory limit.`,
  },
];

function pgTypeName(duck: string): string {
  const names: Record<string, string> = {
    INT16: 'smallint',
    INT32: 'integer',
    INT64: 'bigint',
    DOUBLE: 'double precision',
    FLOAT: 'real',
    BOOL: 'boolean',
    DATE: 'date',
    TIMESTAMP: 'timestamp',
    INTERVAL: 'interval',
  };
  return names[duck] ?? duck.toLowerCase();
}

/** The first line of DuckDB's message, without its `Xyz Error: ` prefix. */
function plainMessage(message: string): string {
  const first = message.split('\n')[0] ?? message;
  return first.replace(/^[A-Za-z ]+ Error: /, '');
}

/** A DuckDB error as a SqlError. */
export function fromDuckError(e: unknown, at: NamePositions): SqlError {
  if (e instanceof SqlError) return e;
  const message = e instanceof Error ? e.message : String(e);
  for (const rule of rules) {
    const m = rule.pattern.exec(message);
    if (m === null) continue;
    const sqlstate = typeof rule.sqlstate === 'string' ? rule.sqlstate : rule.sqlstate(m);
    const detail = rule.detail?.(m);
    return new SqlError(
      sqlstate,
      rule.message?.(m) ?? plainMessage(message),
      rule.position?.(m, at),
      detail === undefined ? undefined : { detail },
    );
  }
  return new SqlError('XX000', plainMessage(message));
}
