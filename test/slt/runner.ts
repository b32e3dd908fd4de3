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
 * Values print as PostgreSQL text (formatValue), NULL as `NULL`, the empty string as
 * `(empty)`. `types` has one letter per column (I integer, R real, T text, …): its length is
 * checked. After every expected error the engine must still answer a query.
 */
import { readFileSync } from 'node:fs';
import type { Engine } from '../../src/engine/engine.ts';
import { formatValue } from '../../src/engine/eval/format.ts';
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
}

export function parseSlt(text: string): SltRecord[] {
  const lines = text.split('\n');
  const out: SltRecord[] = [];
  let i = 0;
  while (i < lines.length) {
    const header = (lines[i] as string).trim();
    const line = i + 1;
    i++;
    if (header === '' || header.startsWith('#')) continue;
    const words = header.split(/\s+/);
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
      out.push({ kind: 'statement', sql, error, types: '', sort: 'nosort', expected, line });
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
        });
      } else {
        const sort = words[2] === 'rowsort' ? 'rowsort' : 'nosort';
        out.push({ kind: 'query', sql, error: undefined, types: words[1] ?? '', sort, expected, line });
      }
    } else {
      throw new Error(`line ${line}: unknown record ${header}`);
    }
  }
  return out;
}

function errorMatches(e: unknown, want: string): boolean {
  const sqlstate = (e as { sqlstate?: unknown }).sqlstate;
  if (/^[0-9A-Z]{5}$/.test(want)) return sqlstate === want;
  const msg = e instanceof Error ? e.message : String(e);
  return new RegExp(want, 'i').test(msg);
}

function show(v: Value, type: Parameters<typeof formatValue>[1]): string {
  if (v === null) return 'NULL';
  const s = formatValue(v, type) ?? 'NULL';
  return s === '' ? '(empty)' : s;
}

export interface SltFailure {
  readonly line: number;
  readonly message: string;
}

/** Runs the records against `engine`; returns the failures (empty: all passed). */
export async function runSlt(
  engine: Engine,
  records: readonly SltRecord[],
  file = '',
): Promise<SltFailure[]> {
  const failures: SltFailure[] = [];
  const fail = (r: SltRecord, message: string) =>
    failures.push({
      line: r.line,
      message: `${file}:${r.line}: ${message}\n    ${r.sql.replace(/\n/g, '\n    ')}`,
    });
  for (const r of records) {
    let results: Awaited<ReturnType<Engine['execute']>>;
    try {
      results = await engine.execute(r.sql);
    } catch (e) {
      if (r.error === undefined) {
        const st = (e as { sqlstate?: string }).sqlstate;
        fail(r, `unexpected error ${st ?? ''}: ${e instanceof Error ? e.message : String(e)}`);
      } else if (!errorMatches(e, r.error)) {
        const st = (e as { sqlstate?: string }).sqlstate;
        fail(r, `expected error ${r.error}, got ${st ?? '?'}: ${e instanceof Error ? e.message : String(e)}`);
      } else {
        try {
          const probe = await engine.execute('SELECT 1');
          if (probe[0]?.rows?.length !== 1) fail(r, 'engine does not answer after the error');
        } catch (e2) {
          fail(r, `engine broken after the error: ${String(e2)}`);
        }
      }
      continue;
    }
    if (r.error !== undefined) {
      fail(r, `expected error ${r.error}, but the statement succeeded`);
      continue;
    }
    if (r.kind === 'statement') continue;
    const last = results[results.length - 1];
    if (last?.rows === undefined || last.columns === undefined) {
      fail(r, 'query returned no rows');
      continue;
    }
    const cols = last.columns;
    if (r.types !== '' && r.types.length !== cols.length) {
      fail(r, `expected ${r.types.length} columns, got ${cols.length}`);
      continue;
    }
    let got = last.rows.map((row) =>
      row.map((v, j) => show(v, (cols[j] as (typeof cols)[number]).type)).join(' '),
    );
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

export async function runSltFile(engine: Engine, path: string): Promise<SltFailure[]> {
  return runSlt(engine, parseSlt(readFileSync(path, 'utf8')), path);
}
