/**
 * Bind parameters (`$1`, `$2`…) of statements run by the engine. INSERT, UPDATE, DELETE and
 * SELECT take them: the binder turns each `$n` into a constant (binder.ts). Other statements
 * refuse them, as PostgreSQL refuses parameters in utility statements.
 */
import { SqlError, SqlState } from './errors.ts';
import type { Statement, StatementKind } from './statement.ts';
import { scan } from './tokens.ts';
import { type SqlType, T, type Value } from './types.ts';

/**
 * The values of `$1…$n` and their types, as the endpoint decoded them. A parameter of type
 * `unknown` (or `text` holding a string: what a client that leaves the type to the server
 * gets) is an untyped literal, typed by its context as `'…'` is.
 */
export interface BindParams {
  readonly values: readonly Value[];
  readonly types: readonly SqlType[];
}

export const NO_PARAMS: BindParams = Object.freeze({ values: [], types: [] });

type ParamKind = 'Insert' | 'Update' | 'Delete' | 'Select';

const REFUSED_IN: Readonly<Record<Exclude<StatementKind, ParamKind>, string>> = {
  CreateSource: 'CREATE SOURCE',
  CreateTable: 'CREATE TABLE',
  CreateMaterializedView: 'CREATE MATERIALIZED VIEW',
  CreateView: 'CREATE VIEW',
  CreateSink: 'CREATE SINK',
  Drop: 'DROP',
  ShowObjects: 'SHOW',
  Describe: 'DESCRIBE',
  Explain: 'EXPLAIN',
  Flush: 'FLUSH',
  SetVariable: 'SET',
  ShowVariable: 'SHOW',
  Transaction: 'transaction statements',
};

export function takesParams(s: Statement): s is Extract<Statement, { kind: ParamKind }> {
  return !(s.kind in REFUSED_IN);
}

export interface ParamUse {
  /** n of `$n`. */
  readonly number: number;
  /** 0-based index in the script. */
  readonly offset: number;
}

/** The `$n` of a statement, in order of appearance. */
export function paramUses(s: Statement): ParamUse[] {
  if (!s.text.includes('$')) return [];
  return scan(s.text)
    .filter((t) => t.kind === 'param')
    .map((t) => ({ number: Number(t.text.slice(1)), offset: s.offset + t.start }));
}

/** Refuses `$n` in a statement that takes no parameters (0A000). */
export function checkParamsAllowed(s: Statement): void {
  if (takesParams(s)) return;
  const first = paramUses(s)[0];
  if (first !== undefined)
    throw new SqlError(
      SqlState.featureNotSupported,
      `parameters are not allowed in ${REFUSED_IN[s.kind]}`,
      first.offset + 1,
    );
}

/** `$n` beyond the parameters given (42P02). */
export function undefinedParameter(n: number, offset: number): SqlError {
  return new SqlError('42P02', `there is no parameter $${n}`, offset < 0 ? undefined : offset + 1);
}

/**
 * The type each `$n` took in a bound statement (plans and expressions, whose constants keep
 * the parameter they came from): the first resolved one, parameters never resolved left out.
 */
export function boundParamTypes(bound: unknown): Map<number, SqlType> {
  const out = new Map<number, SqlType>();
  const visit = (x: unknown): void => {
    if (x === null || typeof x !== 'object') return;
    if (Array.isArray(x)) {
      for (const item of x) visit(item);
      return;
    }
    const o = x as { kind?: unknown; param?: unknown; type?: SqlType };
    if (o.kind === 'Literal') {
      if (typeof o.param === 'number' && o.type !== undefined && o.type.name !== 'unknown')
        if (!out.has(o.param)) out.set(o.param, o.type);
      return;
    }
    for (const v of Object.values(o)) visit(v);
  };
  visit(bound);
  return out;
}

/** Placeholders for describing a statement: NULLs, of the client's types or to be inferred. */
export function describePlaceholders(declared: readonly (SqlType | undefined)[], count: number): BindParams {
  const n = Math.max(count, declared.length);
  return {
    values: new Array<Value>(n).fill(null),
    types: Array.from({ length: n }, (_, i) => declared[i] ?? T.unknown),
  };
}
