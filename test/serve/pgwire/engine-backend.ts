import { Engine, type StatementResult } from '../../../src/engine/engine.ts';
import { copyFrom } from '../../../src/serve/copy-from.ts';
import { fromEngine } from '../../../src/serve/pg-backend.ts';
import type {
  PgBackend,
  PgColumn,
  PgQueryResult,
  PgSession,
  PgStatementInfo,
} from '../../../src/serve/pgwire/backend.ts';
import { bindQuery } from '../../../src/sql/binder.ts';
import { type CopyCommand, copyCommand } from '../../../src/sql/copy-statement.ts';
import { SqlError, SqlState, shiftedBy } from '../../../src/sql/errors.ts';
import { parseStatement, splitScript } from '../../../src/sql/parse.ts';
import type { Token } from '../../../src/sql/tokens.ts';
import { arrayOf, formatType, lookupType, type SqlType, T, type Value } from '../../../src/sql/types.ts';

/** `$n` → its number, for a param token. */
function paramNumber(t: Token): number {
  return Number(t.text.slice(1));
}

/** The type written in a `$n::type` cast following the param token at `i`, if any. */
function castAfter(tokens: readonly Token[], i: number): SqlType | undefined {
  if (tokens[i + 1]?.text !== '::') return undefined;
  const name = tokens[i + 2];
  if (name === undefined) return undefined;
  const t = lookupType(name.text);
  if (t === undefined) return undefined;
  return tokens[i + 3]?.text === '[' && tokens[i + 4]?.text === ']' ? arrayOf(t) : t;
}

function parameterTypes(tokens: readonly Token[], declared: readonly (SqlType | undefined)[]): SqlType[] {
  const inferred = new Map<number, SqlType>();
  let count = declared.length;
  tokens.forEach((t, i) => {
    if (t.kind !== 'param') return;
    const n = paramNumber(t);
    count = Math.max(count, n);
    const cast = castAfter(tokens, i);
    if (cast !== undefined && !inferred.has(n)) inferred.set(n, cast);
  });
  return Array.from({ length: count }, (_, i) => declared[i] ?? inferred.get(i + 1) ?? T.text);
}

const FROM_LIST_ENDS = new Set([
  'WHERE',
  'GROUP',
  'HAVING',
  'WINDOW',
  'ORDER',
  'LIMIT',
  'OFFSET',
  'FETCH',
  'UNION',
  'INTERSECT',
  'EXCEPT',
  'EMIT',
]);

/** `sql` with `$n` → `table.pn` and `table` joined in; only for a plain SELECT. */
function withParamTable(sql: string, tokens: readonly Token[], table: string): string {
  if (tokens[0]?.upper !== 'SELECT')
    throw new SqlError(SqlState.featureNotSupported, 'the test backend binds parameters in SELECT only');
  const edits: { at: number; end: number; text: string }[] = [];
  let depth = 0;
  let fromSeen = false;
  let joinAt = sql.length;
  let joinFound = false;
  for (const t of tokens) {
    if (t.text === '(') depth++;
    else if (t.text === ')') depth--;
    else if (t.kind === 'param') edits.push({ at: t.start, end: t.end, text: `${table}.p${paramNumber(t)}` });
    else if (depth === 0 && t.kind === 'keyword' && !joinFound) {
      if (t.upper === 'FROM') fromSeen = true;
      else if (FROM_LIST_ENDS.has(t.upper)) {
        joinAt = t.start;
        joinFound = true;
      }
    }
  }
  const end = tokens[tokens.length - 1]?.end ?? sql.length;
  edits.push({
    at: Math.min(joinAt, end),
    end: Math.min(joinAt, end),
    text: fromSeen ? ` CROSS JOIN ${table} ` : ` FROM ${table} `,
  });
  edits.sort((a, b) => b.at - a.at);
  let out = sql;
  for (const e of edits) out = out.slice(0, e.at) + e.text + out.slice(e.end);
  return out;
}

export class EngineBackend implements PgBackend {
  readonly engine: Engine;
  #tables = 0;
  /** Sessions opened and not yet closed. */
  openSessions = 0;
  /** Sessions opened in all. */
  sessionsOpened = 0;

  constructor(engine: Engine = new Engine({ autoEpoch: false })) {
    this.engine = engine;
  }

  async open(): Promise<PgSession> {
    this.openSessions++;
    this.sessionsOpened++;
    let closed = false;
    return {
      simpleQuery: (sql) => this.#simpleQuery(sql),
      describe: (sql, types) => this.#describe(sql, types),
      execute: (sql, params, types) => this.#execute(sql, params, types),
      cancel: () => {},
      close: () => {
        if (!closed) this.openSessions--;
        closed = true;
      },
    };
  }

  async *#simpleQuery(sql: string): AsyncIterable<PgQueryResult> {
    for (const slice of splitScript(sql)) {
      let results: PgQueryResult[];
      try {
        // Positions relative to the statement, shifted below like the engine's.
        const copy =
          slice.tokens[0]?.upper === 'COPY'
            ? copyCommand(slice.text, splitScript(slice.text)[0]?.tokens ?? [])
            : undefined;
        results =
          copy !== undefined
            ? [await this.#copy(copy)]
            : (await this.engine.execute(slice.text)).map(fromEngine);
      } catch (e) {
        throw shiftedBy(e, slice.offset);
      }
      yield* results;
    }
  }

  /** Runs the query of a COPY TO, its rows sent as COPY data; a COPY FROM inserts as INSERT does. */
  async #copy(copy: CopyCommand): Promise<PgQueryResult> {
    if (copy.kind === 'CopyFrom')
      return copyFrom(copy, {
        relations: () => this.engine.relations(),
        insertRows: async (table, rows) => this.engine.insert(table, rows),
      });
    let result: StatementResult | undefined;
    try {
      result = (await this.engine.execute(copy.query))[0];
    } catch (e) {
      // A made-up query's positions point nowhere in the statement.
      if (copy.queryOffset !== undefined || !(e instanceof SqlError))
        throw shiftedBy(e, copy.queryOffset ?? 0);
      throw new SqlError(e.sqlstate, e.message, undefined, { detail: e.detail, hint: e.hint });
    }
    if (result?.columns === undefined)
      throw new SqlError(SqlState.featureNotSupported, 'COPY query must return rows');
    return {
      tag: 'COPY',
      columns: result.columns,
      rows: result.rows ?? [],
      notices: result.notice === undefined ? undefined : [result.notice],
      copyOut: copy.copyOut,
    };
  }

  async #columns(sql: string): Promise<readonly PgColumn[] | undefined> {
    const statement = parseStatement(sql);
    switch (statement.kind) {
      case 'Select':
        return bindQuery(statement.query, this.engine).columns.map((c) => ({ name: c.name, type: c.type }));
      case 'ShowObjects':
      case 'ShowVariable':
      case 'Describe':
      case 'Explain':
        return (await this.engine.execute(sql))[0]?.columns;
      default:
        return undefined;
    }
  }

  async #withParams<R>(
    sql: string,
    types: readonly SqlType[],
    values: readonly Value[] | undefined,
    use: (rewritten: string) => Promise<R>,
  ): Promise<R> {
    const slice = splitScript(sql)[0];
    if (slice === undefined || types.length === 0) return use(sql);
    const table = `pgwire_params_${++this.#tables}`;
    const columns = types.map((t, i) => `p${i + 1} ${formatType(t.name === 'unknown' ? T.text : t)}`);
    await this.engine.execute(`CREATE TABLE ${table} (${columns.join(', ')})`);
    try {
      if (values !== undefined) {
        this.engine.push(table, [values]);
        this.engine.flush();
      }
      return await use(withParamTable(slice.text, slice.tokens, table));
    } finally {
      await this.engine.execute(`DROP TABLE ${table}`);
    }
  }

  async #describe(sql: string, declared: readonly (SqlType | undefined)[]): Promise<PgStatementInfo> {
    const slices = splitScript(sql);
    const first = slices[0];
    if (first === undefined) return { paramTypes: [], columns: undefined, empty: true };
    if (slices.length > 1)
      throw new SqlError(SqlState.syntaxError, 'cannot insert multiple commands into a prepared statement');
    // A COPY is checked when it runs; PostgreSQL describes it as returning no rows (NoData).
    if (first.tokens[0]?.upper === 'COPY')
      return { paramTypes: declared.map((t) => t ?? T.text), columns: undefined };
    const paramTypes = parameterTypes(first.tokens, declared);
    const columns = await this.#withParams(sql, paramTypes, undefined, (s) => this.#columns(s));
    return { paramTypes, columns };
  }

  async #execute(sql: string, params: readonly Value[], types: readonly SqlType[]): Promise<PgQueryResult> {
    const copy = copyCommand(sql, splitScript(sql)[0]?.tokens ?? []);
    if (copy !== undefined) return this.#copy(copy);
    const results = await this.#withParams(sql, types, params, (s) => this.engine.execute(s));
    const first = results[0];
    if (first === undefined) throw new SqlError(SqlState.syntaxError, 'empty query');
    return fromEngine(first);
  }
}
