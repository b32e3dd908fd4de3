/**
 * Differential harness: one expression through tidewatch (parse → bind → compile → format)
 * and through PostgreSQL (`SELECT <expr>` in text mode), compared as text or SQLSTATE.
 */
import type pg from 'pg';
import { compileExpr } from '../../../src/engine/eval/compile.ts';
import { bindQuery } from '../../../src/sql/binder.ts';
import { MemoryCatalog } from '../../../src/sql/catalog.ts';
import type { BoundExpr } from '../../../src/sql/expr.ts';
import { parseStatement } from '../../../src/sql/parse.ts';
import type { SqlType, Value } from '../../../src/sql/types.ts';
import { formatValue } from '../../../src/sql/value-text.ts';

export type Outcome =
  | { readonly ok: true; readonly text: string | null; readonly type?: SqlType }
  | { readonly ok: false; readonly sqlstate: string; readonly message: string };

const emptyCatalog = new MemoryCatalog();

/** Binds `SELECT <expr>` and returns the single projected expression. */
export function bindSelectExpr(expr: string, catalog = emptyCatalog): BoundExpr {
  const stmt = parseStatement(`SELECT ${expr}`);
  if (stmt.kind !== 'Select') throw new Error(`not a SELECT: ${expr}`);
  const { plan } = bindQuery(stmt.query, catalog);
  if (plan.kind !== 'Project' || plan.exprs.length !== 1)
    throw new Error(`unexpected plan ${plan.kind} for ${expr}`);
  return plan.exprs[0] as BoundExpr;
}

function sqlstateOf(e: unknown): Outcome {
  const s = (e as { sqlstate?: unknown }).sqlstate ?? (e as { code?: unknown }).code;
  if (typeof s === 'string') return { ok: false, sqlstate: s, message: (e as Error).message };
  return { ok: false, sqlstate: 'JS', message: String((e as Error)?.stack ?? e) };
}

/** Evaluates an expression on one row with tidewatch. */
export function tidewatchEval(bound: BoundExpr, row: readonly Value[] = []): Outcome {
  try {
    const f = compileExpr(bound);
    const v = f(row);
    return { ok: true, text: formatValue(v, bound.type), type: bound.type };
  } catch (e) {
    return sqlstateOf(e);
  }
}

export function tidewatchSelect(expr: string): Outcome {
  let bound: BoundExpr;
  try {
    bound = bindSelectExpr(expr);
  } catch (e) {
    return sqlstateOf(e);
  }
  return tidewatchEval(bound);
}

const rawText = { getTypeParser: () => (v: string) => v } as unknown as pg.CustomTypesConfig;

export async function postgresSelect(client: pg.Client, expr: string): Promise<Outcome> {
  try {
    const r = await client.query({ text: `SELECT ${expr}`, rowMode: 'array', types: rawText });
    const row = r.rows[0] as (string | null)[] | undefined;
    return { ok: true, text: row?.[0] ?? null };
  } catch (e) {
    return sqlstateOf(e);
  }
}

/** Same text, or the same SQLSTATE; floats within 2 ulp (numeric exactly: same digits, same scale). */
export function sameOutcome(ours: Outcome, theirs: Outcome): boolean {
  if (!ours.ok || !theirs.ok) return !ours.ok && !theirs.ok && ours.sqlstate === theirs.sqlstate;
  if (ours.text === theirs.text) return true;
  if (ours.text === null || theirs.text === null || ours.type === undefined) return false;
  const t = ours.type.name;
  if (t !== 'float8' && t !== 'float4') return false;
  const a = Number(ours.text);
  const b = Number(theirs.text);
  if (!Number.isFinite(a) || !Number.isFinite(b)) return false;
  const ulp = t === 'float4' ? 2 ** -22 : 2 * Number.EPSILON;
  return Math.abs(a - b) <= ulp * Math.abs(b);
}

export function describe(o: Outcome): string {
  return o.ok
    ? o.text === null
      ? 'NULL'
      : JSON.stringify(o.text)
    : `ERROR ${o.sqlstate} (${o.message.split('\n')[0]})`;
}
