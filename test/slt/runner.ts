/**
 * A small sqllogictest runner for the Engine.
 *
 * Records (separated by blank lines; `#` starts a comment line):
 *
 *     statement ok
 *     <sql>
 *
 *     statement error <SQLSTATE or regex>
 *     <sql>
 *
 *     query <types> [rowsort|nosort]
 *     <sql>
 *     ----
 *     <expected row, values separated by one space>
 *
 *     query error <SQLSTATE or regex>
 *     <sql>
 *
 * A record may be preceded by `skipif <executor>` or `onlyif <executor>` lines (sqllogictest's
 * conditions), the executor being `engine` or `endpoint`.
 *
 * Values print as PostgreSQL text (formatValue), NULL as `NULL`, the empty string as
 * `(empty)`. `types` has one letter per column (I integer, R real, T text, …): its length is
 * checked. After every expected error the engine must still answer a query. The records run on
 * an Engine or through any other executor (the PostgreSQL endpoint: test/serve/slt-endpoint.test.ts).
 */
import { readFileSync } from 'node:fs';
import type { Engine } from '../../src/engine/engine.ts';
import { formatValue } from '../../src/sql/value-text.ts';
import type { Value } from '../../src/stream/value.ts';

export interface SltRecord {
  readonly kind: 'statement' | 'query';
  readonly sql: string;
  /** `undefined`: must succeed; otherwise SQLSTATE or regex the error must match. */
  readonly error: string | undefined;
  readonly types: string;
  readonly sort: 'rowsort' | 'nosort';
  readonly expected: readonly string[];
  /** 1-based line of the record header. */
  readonly line: number;
  /** Executors the record is skipped on (`skipif`), or the only one it runs on (`onlyif`). */
  readonly skipIf: readonly string[];
  readonly onlyIf: string | undefined;
}

export function parseSlt(text: string): SltRecord[] {
  const lines = text.split('\n');
  const out: SltRecord[] = [];
  let i = 0;
  let skipIf: string[] = [];
  let onlyIf: string | undefined;
  while (i < lines.length) {
    const header = (lines[i] as string).trim();
    const line = i + 1;
    i++;
    if (header === '' || header.startsWith('#')) continue;
    const words = header.split(/\s+/);
    if (words[0] === 'skipif' || words[0] === 'onlyif') {
      if (words[0] === 'skipif') skipIf.push(words[1] ?? '');
      else onlyIf = words[1];
      continue;
    }
    const conditions = { skipIf, onlyIf };
    skipIf = [];
    onlyIf = undefined;
    const sqlLines: string[] = [];
    const expected: string[] = [];
    let inResult = false;
    while (i < lines.length && (lines[i] as string).trim() !== '') {
      const l = lines[i] as string;
      i++;
      if (!inResult && l.startsWith('#')) continue;
      if (!inResult && l.trim() === '----') {
        inResult = true;
        continue;
      }
      (inResult ? expected : sqlLines).push(inResult ? l.trimEnd() : l);
    }
    const sql = sqlLines.join('\n');
    if (words[0] === 'statement') {
      const error = words[1] === 'error' ? words.slice(2).join(' ') : undefined;
      if (words[1] !== 'ok' && words[1] !== 'error') throw new Error(`line ${line}: bad record ${header}`);
      out.push({ kind: 'statement', sql, error, types: '', sort: 'nosort', expected, line, ...conditions });
    } else if (words[0] === 'query') {
      if (words[1] === 'error') {
        out.push({
          kind: 'query',
          sql,
          error: words.slice(2).join(' '),
          types: '',
          sort: 'nosort',
          expected,
          line,
          ...conditions,
        });
      } else {
        const sort = words[2] === 'rowsort' ? 'rowsort' : 'nosort';
        out.push({
          kind: 'query',
          sql,
          error: undefined,
          types: words[1] ?? '',
          sort,
          expected,
          line,
          ...conditions,
        });
      }
    } else {
      throw new Error(`line ${line}: unknown record ${header}`);
    }
  }
  return out;
}

function errorMatches(e: unknown, want: string): boolean {
  if (/^[0-9A-Z]{5}$/.test(want)) return sqlstateOf(e) === want;
  const msg = e instanceof Error ? e.message : String(e);
  return new RegExp(want, 'i').test(msg);
}

/** The SQLSTATE of an engine error (`sqlstate`) or of a node-postgres one (`code`). */
function sqlstateOf(e: unknown): string | undefined {
  const x = e as { sqlstate?: unknown; code?: unknown };
  return typeof x.sqlstate === 'string' ? x.sqlstate : typeof x.code === 'string' ? x.code : undefined;
}

function show(v: Value, type: Parameters<typeof formatValue>[1]): string | null {
  return v === null ? null : (formatValue(v, type) ?? null);
}

export interface SltFailure {
  readonly line: number;
  readonly message: string;
}

/** What runs the records: the engine itself, or a client of the PostgreSQL endpoint. */
export interface SltExecutor {
  /** Its name for `skipif` / `onlyif`: `engine` or `endpoint`. */
  readonly name: string;
  /** The last result's rows, each value in PostgreSQL's text form (null: NULL); undefined: no rows. */
  run(
    sql: string,
  ): Promise<
    { readonly columns: number; readonly rows: readonly (readonly (string | null)[])[] } | undefined
  >;
}

/** Runs statements on `engine` directly, values printed as PostgreSQL prints them. */
export function engineExecutor(engine: Engine): SltExecutor {
  return {
    name: 'engine',
    async run(sql) {
      const results = await engine.execute(sql);
      const last = results[results.length - 1];
      if (last?.rows === undefined || last.columns === undefined) return undefined;
      const cols = last.columns;
      return {
        columns: cols.length,
        rows: last.rows.map((row) => row.map((v, j) => show(v, (cols[j] as (typeof cols)[number]).type))),
      };
    },
  };
}

const cell = (v: string | null) => (v === null ? 'NULL' : v === '' ? '(empty)' : v);

/** Runs the records; returns the failures (empty: all passed). */
export async function runSlt(
  executor: SltExecutor | Engine,
  records: readonly SltRecord[],
  file = '',
): Promise<SltFailure[]> {
  const exec = 'run' in executor ? executor : engineExecutor(executor);
  const failures: SltFailure[] = [];
  const fail = (r: SltRecord, message: string) =>
    failures.push({
      line: r.line,
      message: `${file}:${r.line}: ${message}\n    ${r.sql.replace(/\n/g, '\n    ')}`,
    });
  for (const r of records) {
    if (r.skipIf.includes(exec.name) || (r.onlyIf !== undefined && r.onlyIf !== exec.name)) continue;
    let result: Awaited<ReturnType<SltExecutor['run']>>;
    try {
      result = await exec.run(r.sql);
    } catch (e) {
      const st = sqlstateOf(e);
      if (r.error === undefined) {
        fail(r, `unexpected error ${st ?? ''}: ${e instanceof Error ? e.message : String(e)}`);
      } else if (!errorMatches(e, r.error)) {
        fail(r, `expected error ${r.error}, got ${st ?? '?'}: ${e instanceof Error ? e.message : String(e)}`);
      } else {
        try {
          const probe = await exec.run('SELECT 1');
          if (probe?.rows.length !== 1) fail(r, 'no answer after the error');
        } catch (e2) {
          fail(r, `broken after the error: ${String(e2)}`);
        }
      }
      continue;
    }
    if (r.error !== undefined) {
      fail(r, `expected error ${r.error}, but the statement succeeded`);
      continue;
    }
    if (r.kind === 'statement') continue;
    if (result === undefined) {
      fail(r, 'query returned no rows');
      continue;
    }
    if (r.types !== '' && r.types.length !== result.columns) {
      fail(r, `expected ${r.types.length} columns, got ${result.columns}`);
      continue;
    }
    let got = result.rows.map((row) => row.map(cell).join(' '));
    let want = [...r.expected];
    if (r.sort === 'rowsort') {
      got = [...got].sort();
      want = want.sort();
    }
    if (got.length !== want.length || got.some((g, j) => g !== want[j])) {
      fail(r, `result mismatch\n  expected:\n    ${want.join('\n    ')}\n  got:\n    ${got.join('\n    ')}`);
    }
  }
  return failures;
}

export async function runSltFile(executor: SltExecutor | Engine, path: string): Promise<SltFailure[]> {
  return runSlt(executor, parseSlt(readFileSync(path, 'utf8')), path);
}
