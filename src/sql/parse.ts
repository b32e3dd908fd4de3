/**
 * Script → statements. The script is scanned once by PostgreSQL's scanner, split at
 * top-level semicolons, and each statement is parsed: RisingWave-only syntax is cut out
 * by token (see risingwave.ts), the rest goes through libpg-query, and the result is
 * turned into the typed statement model (statement.ts).
 *
 * All locations in the result (statement offsets, parse-tree `location` fields) are
 * 0-based string indexes into the script; error positions are 1-based (PostgreSQL).
 */
import type {
  CreateStmt,
  CreateTableAsStmt,
  DropStmt,
  InsertStmt,
  Node,
  TypeName as PgTypeName,
  SelectStmt,
  UpdateStmt,
  VariableSetStmt,
  ViewStmt,
} from 'libpg-query';
import { parseSync } from 'libpg-query';
import { refuseOtherAlter } from './alter-statements.ts';
import { notSupported, SqlError, SqlState } from './errors.ts';
import { parseInterval } from './literals.ts';
import { findProcessTimeClauses, markProcessTime } from './process-time.ts';
import {
  findSinkWith,
  isPunct,
  isWord,
  listElements,
  matchParen,
  notSupportedAt,
  readIfNotExists,
  readName,
  readOptions,
  readTrailingClauses,
  syntaxErrorAt,
  type TokenSpan,
} from './risingwave.ts';
import { findSessionFrames } from './session-frames.ts';
import type {
  ColumnDef,
  CreateMaterializedView,
  CreateSink,
  CreateSource,
  CreateTable,
  Explain,
  ExprAst,
  ObjectKind,
  QueryAst,
  ShowObjectsKind,
  Statement,
  Watermark,
} from './statement.ts';
import { blank, byteToIndexMap, overwrite, rethrowParseError, scan, type Token } from './tokens.ts';
import { arrayOf, lookupType, numericOf, type SqlType } from './types.ts';

/** One statement's place in the script. */
export interface StatementSlice {
  /** 0-based index of the first token. */
  readonly offset: number;
  /** 0-based index one past the last token (the `;` excluded). */
  readonly end: number;
  readonly text: string;
  readonly tokens: readonly Token[];
}

/**
 * Splits a script at top-level semicolons. Comment-only pieces are dropped. `tokens`: the
 * script's tokens when the caller has scanned it already. A short script split before is not
 * scanned again: clients send the same queries over and over (a dashboard's, a poller's), and
 * scanning one costs 20–80 µs of the thread that serves them all.
 */
export function splitScript(script: string, tokens?: readonly Token[]): readonly StatementSlice[] {
  if (tokens !== undefined || script.length > SPLIT_KEPT_LENGTH) return split(script, tokens ?? scan(script));
  let slices = splitsKept.get(script);
  if (slices === undefined) {
    slices = Object.freeze(split(script, scan(script)));
    if (splitsKept.size >= SPLITS_KEPT) splitsKept.clear();
    splitsKept.set(script, slices);
  }
  return slices;
}

/** Scripts split lately, for `splitScript`: up to SPLITS_KEPT of them, each at most SPLIT_KEPT_LENGTH long. */
const splitsKept = new Map<string, readonly StatementSlice[]>();
const SPLITS_KEPT = 512;
const SPLIT_KEPT_LENGTH = 4096;

function split(script: string, tokens: readonly Token[]): StatementSlice[] {
  const out: StatementSlice[] = [];
  let from = 0;
  const flush = (to: number): void => {
    if (to > from) {
      const ts = tokens.slice(from, to);
      const first = ts[0] as Token;
      const last = ts[ts.length - 1] as Token;
      out.push(
        Object.freeze({
          offset: first.start,
          end: last.end,
          text: script.slice(first.start, last.end),
          tokens: ts,
        }),
      );
    }
  };
  for (let i = 0; i < tokens.length; i++) {
    if (isPunct(tokens[i], ';')) {
      flush(i);
      from = i + 1;
    }
  }
  flush(tokens.length);
  return out;
}

/** Parses every statement of a script (`tokens`: its tokens, when scanned already). */
export function parseScript(script: string, tokens?: readonly Token[]): Statement[] {
  return splitScript(script, tokens).map((s) => parseSlice(script, s));
}

/** A statement's own text and its tokens, with offsets relative to that text. */
export function sliceScript(slice: StatementSlice): { readonly text: string; readonly tokens: Token[] } {
  return {
    text: slice.text,
    tokens: slice.tokens.map((t) => ({ ...t, start: t.start - slice.offset, end: t.end - slice.offset })),
  };
}

/** Parses a text that must hold exactly one statement. */
export function parseStatement(script: string): Statement {
  const slices = splitScript(script);
  const first = slices[0];
  if (first === undefined) throw new SqlError(SqlState.syntaxError, 'empty query');
  const second = slices[1];
  if (second !== undefined)
    throw new SqlError(
      SqlState.syntaxError,
      'cannot insert multiple commands into a single statement',
      second.offset + 1,
    );
  return parseSlice(script, first);
}

// ---------------------------------------------------------------------------
// libpg-query with offsets kept in script coordinates

const locationKeys = new Set(['location', 'stmt_location', 'rexpr_list_start', 'rexpr_list_end']);

/** Rewrites every location of a parse tree from bytes-of-`text` to script indexes. */
function relocate(node: unknown, map: (b: number) => number, base: number): void {
  if (Array.isArray(node)) {
    for (const n of node) relocate(n, map, base);
    return;
  }
  if (node === null || typeof node !== 'object') return;
  const o = node as Record<string, unknown>;
  for (const k in o) {
    const v = o[k];
    if (typeof v === 'number') {
      if (locationKeys.has(k) && v >= 0) o[k] = base + map(v);
    } else if (typeof v === 'object') relocate(v, map, base);
  }
}

/** Parses `text` (a statement, possibly with blanked parts) located at `base` in the script. */
function pgParse(written: string, base: number): Node {
  // Only a text that names SYSTEM_TIME can hold a temporal join's clause: others are not scanned again.
  const temporal = /system_time/i.test(written) ? findProcessTimeClauses(scan(written)) : undefined;
  const text = temporal === undefined ? written : blank(written, temporal.cuts);
  const map = byteToIndexMap(text);
  let result: ReturnType<typeof parseSync>;
  try {
    result = parseSync(text);
  } catch (e) {
    rethrowParseError(e, text, base, map);
  }
  const stmt = result.stmts?.[0]?.stmt;
  if (stmt === undefined) throw new SqlError(SqlState.syntaxError, 'empty query', base + 1);
  relocate(stmt, map, base);
  if (temporal !== undefined) markProcessTime(stmt, new Set([...temporal.relations].map((r) => base + r)));
  return stmt;
}

// ---------------------------------------------------------------------------

interface Ctx extends TokenSpan {
  readonly slice: StatementSlice;
  /** The statement's session frames (see QueryAst.sessionGaps), when it has any. */
  readonly sessionGaps?: ReadonlyMap<number, Node>;
}

function base(ctx: Ctx) {
  return { offset: ctx.slice.offset, text: ctx.slice.text, script: ctx.script };
}

/** Blanks everything of the statement outside [from, to) token indexes. */
function keepOnly(ctx: Ctx, from: number, to: number): string {
  const s = ctx.slice;
  const a = (ctx.tokens[from]?.start ?? s.end) - s.offset;
  const b = (ctx.tokens[to - 1]?.end ?? s.end) - s.offset;
  return blank(s.text, [
    [0, a],
    [b, s.text.length],
  ]);
}

function tokenRange(ctx: Ctx, from: number, to: number): [number, number] {
  const s = ctx.slice;
  const a = (ctx.tokens[from]?.start ?? s.end) - s.offset;
  const b = (ctx.tokens[to - 1]?.end ?? s.end) - s.offset;
  return [a, b];
}

function queryAst(ctx: Ctx, ast: SelectStmt, from: number, to: number): QueryAst {
  const a = ctx.tokens[from]?.start ?? ctx.slice.end;
  const b = ctx.tokens[to - 1]?.end ?? ctx.slice.end;
  return Object.freeze({
    kind: 'QueryAst',
    ast,
    text: ctx.script.slice(a, b),
    offset: a,
    script: ctx.script,
    ...(ctx.sessionGaps === undefined ? {} : { sessionGaps: ctx.sessionGaps }),
  });
}

function exprAst(script: string, ast: Node, offset: number, end: number): ExprAst {
  return Object.freeze({ kind: 'ExprAst', ast, text: script.slice(offset, end), offset, script });
}

function parseSlice(script: string, slice: StatementSlice): Statement {
  const plain: Ctx = { script, tokens: slice.tokens, slice };
  const sessions = findSessionFrames(plain);
  if (sessions.length === 0) return Object.freeze(parseTokens(plain));
  const sessionGaps = new Map<number, Node>();
  for (const f of sessions) sessionGaps.set(f.open, parseExpression(plain, f.session, f.gapFrom, f.gapTo));
  const text = blank(
    slice.text,
    sessions.map((f) => tokenRange(plain, f.session, f.gapTo)),
  );
  // The statement keeps its own text (a restore parses it again); only the parser saw the cut.
  return Object.freeze({
    ...parseTokens({ ...plain, slice: { ...slice, text }, sessionGaps }),
    text: slice.text,
  });
}

function statementName(ctx: Ctx): string {
  const words: string[] = [];
  for (const t of ctx.tokens) {
    if (t.kind !== 'keyword' && t.kind !== 'ident') break;
    words.push(t.upper);
    if (words.length === 2 || (words[0] !== 'CREATE' && words[0] !== 'ALTER' && words[0] !== 'DROP')) break;
  }
  return words.join(' ');
}

function parseTokens(ctx: Ctx): Statement {
  const ts = ctx.tokens;
  const t0 = ts[0];
  const w = (i: number, word: string) => isWord(ts[i], word);
  if (w(0, 'FLUSH')) {
    if (ts.length > 1) throw syntaxErrorAt(ctx, 1);
    return { kind: 'Flush', ...base(ctx) };
  }
  if (w(0, 'SHOW')) {
    const objects: ShowObjectsKind | undefined = w(1, 'SOURCES')
      ? 'sources'
      : w(1, 'TABLES')
        ? 'tables'
        : w(1, 'SINKS')
          ? 'sinks'
          : w(1, 'VIEWS')
            ? 'views'
            : w(1, 'MATERIALIZED') && w(2, 'VIEWS')
              ? 'materialized views'
              : undefined;
    if (objects !== undefined) {
      const n = objects === 'materialized views' ? 3 : 2;
      if (ts.length > n) throw notSupportedAt(ctx, `SHOW ${objects.toUpperCase()} with a filter`, n);
      return { kind: 'ShowObjects', objects, ...base(ctx) };
    }
    if (w(1, 'CREATE')) throw notSupportedAt(ctx, 'SHOW CREATE', 0);
  }
  if (w(0, 'DESCRIBE') || w(0, 'DESC')) {
    const r = readName(ctx, 1);
    if (r.next !== ts.length) throw syntaxErrorAt(ctx, r.next);
    return { kind: 'Describe', name: r.name, ...base(ctx) };
  }
  if (w(0, 'EXPLAIN')) return parseExplain(ctx);
  if (w(0, 'ALTER')) refuseOtherAlter(ctx);
  if (w(0, 'CREATE')) {
    if (w(1, 'SOURCE')) return parseCreateSourceOrTable(ctx, 'source');
    if (w(1, 'TABLE')) return parseCreateSourceOrTable(ctx, 'table');
    if (w(1, 'MATERIALIZED') && w(2, 'VIEW')) return parseCreateMaterializedView(ctx);
    if (w(1, 'SINK')) return parseCreateSink(ctx);
    if (w(1, 'SUBSCRIPTION') || w(1, 'CONNECTION') || w(1, 'SECRET') || w(1, 'INDEX') || w(1, 'FUNCTION'))
      throw notSupportedAt(ctx, `CREATE ${ts[1]?.upper}`, 0);
  }
  if (w(0, 'DROP') && (w(1, 'SOURCE') || w(1, 'SINK') || w(1, 'SUBSCRIPTION'))) {
    const kind: ObjectKind = w(1, 'SOURCE') ? 'source' : w(1, 'SINK') ? 'sink' : 'subscription';
    const t1 = ts[1] as Token;
    const text = overwrite(ctx.slice.text, t1.start - ctx.slice.offset, kind === 'sink' ? 'VIEW' : 'TABLE ');
    const dropAst = pgParse(text, ctx.slice.offset);
    if (!('DropStmt' in dropAst)) throw syntaxErrorAt(ctx, 1);
    return convertDrop(ctx, dropAst.DropStmt, kind);
  }
  if (t0 === undefined) throw syntaxErrorAt(ctx, 0);
  return convertPg(ctx, pgParse(ctx.slice.text, ctx.slice.offset));
}

function parseExplain(ctx: Ctx): Explain {
  const ts = ctx.tokens;
  let i = 1;
  let verbose = false;
  let trace = false;
  if (isPunct(ts[i], '(')) {
    const close = matchParen(ctx, i);
    for (let j = i + 1; j < close; j++) {
      if (isWord(ts[j], 'VERBOSE')) verbose = true;
      if (isWord(ts[j], 'TRACE')) trace = true;
    }
    i = close + 1;
  }
  while (isWord(ts[i], 'VERBOSE') || isWord(ts[i], 'ANALYZE') || isWord(ts[i], 'ANALYSE')) {
    if (isWord(ts[i], 'VERBOSE')) verbose = true;
    else throw notSupportedAt(ctx, 'EXPLAIN ANALYZE', i);
    i++;
  }
  const first = ts[i];
  if (first === undefined) throw syntaxErrorAt(ctx, i);
  const innerTokens = ts.slice(i);
  const slice: StatementSlice = {
    offset: first.start,
    end: ctx.slice.end,
    text: ctx.script.slice(first.start, ctx.slice.end),
    tokens: innerTokens,
  };
  const inner = parseTokens({ script: ctx.script, tokens: innerTokens, slice });
  switch (inner.kind) {
    case 'CreateMaterializedView':
    case 'CreateView':
    case 'CreateSink':
    case 'Select':
      return { kind: 'Explain', verbose, trace, statement: Object.freeze(inner), ...base(ctx) };
    default:
      throw notSupportedAt(ctx, `EXPLAIN of ${statementName({ ...ctx, tokens: innerTokens })}`, i);
  }
}

// ---------------------------------------------------------------------------
// CREATE SOURCE / CREATE TABLE

function parseCreateSourceOrTable(ctx: Ctx, what: 'source' | 'table'): CreateSource | CreateTable {
  const ts = ctx.tokens;
  const ine = readIfNotExists(ctx, 2);
  const name = readName(ctx, ine.next);
  const i = name.next;
  if (what === 'table' && (isWord(ts[i], 'AS') || isWord(ts[i + 1], 'AS')))
    throw notSupportedAt(ctx, 'CREATE TABLE AS', 0);
  const cuts: [number, number][] = [];
  let watermark: Watermark | undefined;
  let close = i - 1;
  if (isPunct(ts[i], '(')) {
    close = matchParen(ctx, i);
    const elements = listElements(ctx, i, close);
    for (let e = 0; e < elements.length; e++) {
      const [a, b] = elements[e] as [number, number];
      if (!isWord(ts[a], 'WATERMARK')) continue;
      if (watermark !== undefined) throw notSupportedAt(ctx, 'more than one WATERMARK', a);
      watermark = readWatermark(ctx, a, b + 1);
      // Cut the element and one adjacent comma.
      const from = e > 0 ? a - 1 : a;
      const to = e > 0 || elements.length === 1 ? b + 1 : b + 2;
      cuts.push(tokenRange(ctx, from, to));
    }
  } else if (what === 'table') {
    throw syntaxErrorAt(ctx, i);
  }
  const trailing = readTrailingClauses(ctx, close + 1, ts.length, what === 'table');
  if (close + 1 < ts.length) cuts.push(tokenRange(ctx, close + 1, ts.length));
  let text = blank(ctx.slice.text, cuts);
  const t1 = ts[1] as Token;
  if (what === 'source') text = overwrite(text, t1.start - ctx.slice.offset, 'TABLE ');
  if (close < i) text = `${text.slice(0, (ts[i - 1] as Token).end - ctx.slice.offset)} ()`;
  const ast = pgParse(text, ctx.slice.offset);
  if (!('CreateStmt' in ast)) throw syntaxErrorAt(ctx, 0);
  const { columns, primaryKey } = convertColumns(ctx, ast.CreateStmt);
  if (watermark !== undefined) {
    const col = watermark.column;
    const wm = watermark;
    const def = columns.find((c) => c.name === col);
    if (def === undefined)
      throw new SqlError(
        SqlState.undefinedColumn,
        `column "${col}" named in WATERMARK does not exist`,
        wm.offset + 1,
      );
  }
  const common = {
    name: name.name,
    ifNotExists: ine.present,
    columns,
    primaryKey,
    watermark,
    includes: Object.freeze(trailing.includes),
    options: trailing.options,
    format: trailing.format,
    ...base(ctx),
  };
  if (what === 'source') return { kind: 'CreateSource', ...common };
  return { kind: 'CreateTable', appendOnly: trailing.appendOnly, ...common };
}

/** `WATERMARK FOR col AS expr` spanning tokens [a, b). */
function readWatermark(ctx: Ctx, a: number, b: number): Watermark {
  const ts = ctx.tokens;
  if (!isWord(ts[a + 1], 'FOR')) throw syntaxErrorAt(ctx, a + 1);
  const col = readName(ctx, a + 2);
  if (!isWord(ts[col.next], 'AS')) throw syntaxErrorAt(ctx, col.next);
  const exprFrom = col.next + 1;
  if (exprFrom >= b) throw syntaxErrorAt(ctx, exprFrom);
  const wmTok = ts[a] as Token;
  const val = parseExpression(ctx, a, exprFrom, b);
  const start = (ts[exprFrom] as Token).start;
  const end = (ts[b - 1] as Token).end;
  return Object.freeze({
    column: col.name,
    expr: exprAst(ctx.script, val, start, end),
    delay: watermarkDelay(val, col.name),
    offset: wmTok.start,
  });
}

/**
 * The expression in tokens [from, to) parsed alone: everything else blanked, "SELECT" written
 * over the token at `head` (a word of six letters or more before the expression).
 */
function parseExpression(ctx: Ctx, head: number, from: number, to: number): Node {
  const text = overwrite(
    keepOnly(ctx, from, to),
    (ctx.tokens[head] as Token).start - ctx.slice.offset,
    'SELECT',
  );
  const ast = pgParse(text, ctx.slice.offset);
  const target = 'SelectStmt' in ast ? ast.SelectStmt.targetList?.[0] : undefined;
  const val = target !== undefined && 'ResTarget' in target ? target.ResTarget.val : undefined;
  if (val === undefined) throw syntaxErrorAt(ctx, from);
  return val;
}

function watermarkDelay(n: Node, column: string) {
  if (!('A_Expr' in n)) return undefined;
  const e = n.A_Expr;
  const op = e.name?.[0];
  if (e.kind !== 'AEXPR_OP' || op === undefined || !('String' in op) || op.String.sval !== '-')
    return undefined;
  const l = e.lexpr;
  const r = e.rexpr;
  if (l === undefined || !('ColumnRef' in l)) return undefined;
  const f = l.ColumnRef.fields;
  const last = f?.[f.length - 1];
  if (last === undefined || !('String' in last) || last.String.sval !== column) return undefined;
  if (r === undefined || !('TypeCast' in r)) return undefined;
  const tn = r.TypeCast.typeName?.names;
  const tlast = tn?.[tn.length - 1];
  if (tlast === undefined || !('String' in tlast) || tlast.String.sval !== 'interval') return undefined;
  const arg = r.TypeCast.arg;
  if (arg === undefined || !('A_Const' in arg) || arg.A_Const.sval?.sval === undefined) return undefined;
  const mod = r.TypeCast.typeName?.typmods?.[0];
  const typmod = mod !== undefined && 'A_Const' in mod ? (mod.A_Const.ival?.ival ?? 0) : undefined;
  return parseInterval(arg.A_Const.sval.sval, typmod);
}

/** Converts a parse-tree type name to a SqlType (42704 for unknown types). */
export function convertTypeName(tn: PgTypeName | undefined, script: string): SqlType {
  const names = (tn?.names ?? []).map((n) => ('String' in n ? (n.String.sval ?? '') : ''));
  const last = names[names.length - 1] ?? '';
  const schema = names.length > 1 ? names[0] : undefined;
  let t = schema === undefined || schema === 'pg_catalog' ? lookupType(last) : undefined;
  if (t === undefined) {
    const loc = tn?.location ?? -1;
    throw new SqlError(
      SqlState.undefinedObject,
      `type "${names.join('.')}" does not exist`,
      loc >= 0 ? loc + 1 : undefined,
    );
  }
  if (tn?.setof === true) throw notSupported('SETOF type', { text: script, offset: tn.location ?? -1 });
  for (const _ of tn?.arrayBounds ?? []) t = arrayOf(t);
  return t;
}

/** A column's type: `numeric(p, s)` keeps its modifiers (other types' are not applied). */
function columnType(tn: PgTypeName | undefined, script: string): SqlType {
  const t = convertTypeName(tn, script);
  const mods = (tn?.typmods ?? []).map((m) => ('A_Const' in m ? (m.A_Const.ival?.ival ?? 0) : undefined));
  if (t.name !== 'numeric' || mods.length === 0) return t;
  const [p = 0, s = 0] = mods;
  const bad = (message: string): never => {
    throw new SqlError(SqlState.invalidParameterValue, message, (tn?.location ?? -1) + 1);
  };
  if (mods.length > 2 || mods.some((m) => m === undefined)) bad('invalid NUMERIC type modifier');
  if (p < 1 || p > 1000) bad(`NUMERIC precision ${p} must be between 1 and 1000`);
  if (s < -1000 || s > 1000) bad(`NUMERIC scale ${s} must be between -1000 and 1000`);
  return numericOf(p, s);
}

function convertColumns(ctx: Ctx, stmt: CreateStmt) {
  const columns: ColumnDef[] = [];
  let primaryKey: string[] = [];
  for (const el of stmt.tableElts ?? []) {
    if ('ColumnDef' in el) {
      const c = el.ColumnDef;
      let notNull = false;
      let pk = false;
      for (const k of c.constraints ?? []) {
        if (!('Constraint' in k)) continue;
        switch (k.Constraint.contype) {
          case 'CONSTR_NOTNULL':
            notNull = true;
            break;
          case 'CONSTR_PRIMARY':
            pk = true;
            notNull = true;
            break;
          case 'CONSTR_NULL':
            break;
          default:
            throw notSupported(`column constraint ${constraintName(k.Constraint.contype)}`, {
              text: ctx.script,
              offset: k.Constraint.location ?? -1,
            });
        }
      }
      const name = c.colname ?? '';
      if (columns.some((x) => x.name === name))
        throw new SqlError(
          SqlState.duplicateObject,
          `column "${name}" specified more than once`,
          (c.location ?? -1) + 1,
        );
      if (pk) primaryKey.push(name);
      columns.push(
        Object.freeze({
          name,
          type: columnType(c.typeName, ctx.script),
          notNull,
          primaryKey: pk,
          offset: c.location ?? -1,
        }),
      );
    } else if ('Constraint' in el && el.Constraint.contype === 'CONSTR_PRIMARY') {
      primaryKey = (el.Constraint.keys ?? []).map((k) => ('String' in k ? (k.String.sval ?? '') : ''));
      for (const k of primaryKey) {
        if (!columns.some((c) => c.name === k))
          throw new SqlError(
            SqlState.undefinedColumn,
            `column "${k}" named in key does not exist`,
            (el.Constraint.location ?? -1) + 1,
          );
      }
    } else {
      const loc = 'Constraint' in el ? (el.Constraint.location ?? -1) : ctx.slice.offset;
      throw notSupported('table constraint', { text: ctx.script, offset: loc });
    }
  }
  const pkSet = new Set(primaryKey);
  const cols = columns.map((c) =>
    pkSet.has(c.name) && !c.primaryKey ? Object.freeze({ ...c, primaryKey: true, notNull: true }) : c,
  );
  return { columns: Object.freeze(cols), primaryKey: Object.freeze(primaryKey) };
}

function constraintName(contype: string | undefined): string {
  return (contype ?? 'CONSTR_UNKNOWN').replace('CONSTR_', '').replace('ATTR_', '');
}

// ---------------------------------------------------------------------------
// CREATE MATERIALIZED VIEW / CREATE SINK

function parseCreateMaterializedView(ctx: Ctx): CreateMaterializedView {
  const ts = ctx.tokens;
  const ine = readIfNotExists(ctx, 3);
  const name = readName(ctx, ine.next);
  let i = name.next;
  const cuts: [number, number][] = [];
  let options: ReadonlyMap<string, string> = new Map();
  if (isPunct(ts[i], '(')) i = matchParen(ctx, i) + 1;
  if (isWord(ts[i], 'WITH') && isPunct(ts[i + 1], '(')) {
    const r = readOptions(ctx, i + 1);
    options = r.options;
    cuts.push(tokenRange(ctx, i, r.next));
    i = r.next;
  }
  if (!isWord(ts[i], 'AS')) throw syntaxErrorAt(ctx, i);
  const queryFrom = i + 1;
  let queryTo = ts.length;
  let emitOnWindowClose = false;
  const n = ts.length;
  if (
    isWord(ts[n - 4], 'EMIT') &&
    isWord(ts[n - 3], 'ON') &&
    isWord(ts[n - 2], 'WINDOW') &&
    isWord(ts[n - 1], 'CLOSE')
  ) {
    emitOnWindowClose = true;
    queryTo = n - 4;
    cuts.push(tokenRange(ctx, n - 4, n));
  }
  const ast = pgParse(blank(ctx.slice.text, cuts), ctx.slice.offset);
  if (!('CreateTableAsStmt' in ast)) throw syntaxErrorAt(ctx, 0);
  const stmt: CreateTableAsStmt = ast.CreateTableAsStmt;
  const q = stmt.query;
  if (q === undefined || !('SelectStmt' in q)) throw syntaxErrorAt(ctx, queryFrom);
  const colNames = stmt.into?.colNames?.map((c) => ('String' in c ? (c.String.sval ?? '') : ''));
  return {
    kind: 'CreateMaterializedView',
    name: name.name,
    ifNotExists: ine.present,
    columnNames: colNames === undefined ? undefined : Object.freeze(colNames),
    query: queryAst(ctx, q.SelectStmt, queryFrom, queryTo),
    emitOnWindowClose,
    options,
    ...base(ctx),
  };
}

function parseCreateSink(ctx: Ctx): CreateSink {
  const ts = ctx.tokens;
  const ine = readIfNotExists(ctx, 2);
  const name = readName(ctx, ine.next);
  let i = name.next;
  if (isWord(ts[i], 'INTO')) throw notSupportedAt(ctx, 'CREATE SINK INTO', i);
  let from: string | undefined;
  let query: QueryAst | undefined;
  if (isWord(ts[i], 'FROM')) {
    const r = readName(ctx, i + 1);
    from = r.name;
    i = r.next;
  } else if (isWord(ts[i], 'AS')) {
    const withAt = findSinkWith(ctx, i + 1);
    const ast = pgParse(keepOnly(ctx, i + 1, withAt), ctx.slice.offset);
    if (!('SelectStmt' in ast)) throw syntaxErrorAt(ctx, i + 1);
    query = queryAst(ctx, ast.SelectStmt, i + 1, withAt);
    i = withAt;
  } else {
    throw syntaxErrorAt(ctx, i);
  }
  const trailing = readTrailingClauses(ctx, i, ts.length, false);
  if (trailing.includes.length > 0) throw notSupportedAt(ctx, 'INCLUDE in CREATE SINK', i);
  return {
    kind: 'CreateSink',
    name: name.name,
    ifNotExists: ine.present,
    from,
    query,
    options: trailing.options,
    format: trailing.format,
    ...base(ctx),
  };
}

// ---------------------------------------------------------------------------
// Statements PostgreSQL parses by itself

function rangeName(rv: { schemaname?: string; relname?: string } | undefined): string {
  return rv?.schemaname === undefined ? (rv?.relname ?? '') : `${rv.schemaname}.${rv.relname ?? ''}`;
}

function nodeLocation(n: Node | undefined): number {
  if (n === undefined) return -1;
  const inner = Object.values(n)[0] as { location?: number } | undefined;
  return inner?.location ?? -1;
}

function convertPg(ctx: Ctx, ast: Node): Statement {
  const script = ctx.script;
  if ('SelectStmt' in ast) {
    if (ast.SelectStmt.intoClause !== undefined) throw notSupportedAt(ctx, 'SELECT INTO', 0);
    return { kind: 'Select', query: queryAst(ctx, ast.SelectStmt, 0, ctx.tokens.length), ...base(ctx) };
  }
  if ('InsertStmt' in ast) return convertInsert(ctx, ast.InsertStmt);
  if ('UpdateStmt' in ast) return convertUpdate(ctx, ast.UpdateStmt);
  if ('DeleteStmt' in ast) {
    const d = ast.DeleteStmt;
    if (d.usingClause !== undefined) throw notSupportedAt(ctx, 'DELETE … USING', 0);
    if (d.returningClause !== undefined) throw notSupportedAt(ctx, 'RETURNING', 0);
    if (d.withClause !== undefined) throw notSupportedAt(ctx, 'WITH in DELETE', 0);
    const where = d.whereClause;
    return {
      kind: 'Delete',
      table: rangeName(d.relation),
      alias: d.relation?.alias?.aliasname,
      where: where === undefined ? undefined : exprAst(script, where, nodeLocation(where), ctx.slice.end),
      ...base(ctx),
    };
  }
  if ('DropStmt' in ast) return convertDrop(ctx, ast.DropStmt, undefined);
  if ('VariableSetStmt' in ast) return convertSet(ctx, ast.VariableSetStmt);
  if ('VariableShowStmt' in ast)
    return { kind: 'ShowVariable', name: ast.VariableShowStmt.name ?? '', ...base(ctx) };
  if ('TransactionStmt' in ast) {
    switch (ast.TransactionStmt.kind) {
      case 'TRANS_STMT_BEGIN':
      case 'TRANS_STMT_START':
        return { kind: 'Transaction', action: 'begin', ...base(ctx) };
      case 'TRANS_STMT_COMMIT':
        return { kind: 'Transaction', action: 'commit', ...base(ctx) };
      case 'TRANS_STMT_ROLLBACK':
        return { kind: 'Transaction', action: 'rollback', ...base(ctx) };
      default:
        throw notSupportedAt(ctx, statementName(ctx), 0);
    }
  }
  if ('ViewStmt' in ast) return convertView(ctx, ast.ViewStmt);
  throw notSupportedAt(ctx, statementName(ctx) || 'statement', 0);
}

function valuesOf(ctx: Ctx, q: SelectStmt): ExprAst[][] | undefined {
  if (q.valuesLists === undefined || q.sortClause !== undefined || q.limitCount !== undefined)
    return undefined;
  return q.valuesLists.map((row) => {
    const items = 'List' in row ? (row.List.items ?? []) : [];
    return items.map((it) => {
      const loc = nodeLocation(it);
      return exprAst(ctx.script, it, loc, loc);
    });
  });
}

function convertInsert(ctx: Ctx, s: InsertStmt): Statement {
  if (s.onConflictClause !== undefined) throw notSupportedAt(ctx, 'ON CONFLICT', 0);
  if (s.returningClause !== undefined) throw notSupportedAt(ctx, 'RETURNING', 0);
  if (s.withClause !== undefined) throw notSupportedAt(ctx, 'WITH in INSERT', 0);
  const src = s.selectStmt;
  if (src === undefined || !('SelectStmt' in src)) throw notSupportedAt(ctx, 'INSERT … DEFAULT VALUES', 0);
  const columns = s.cols?.map((c) => ('ResTarget' in c ? (c.ResTarget.name ?? '') : ''));
  // The source query starts at the first token after the column list / table name.
  const relLoc = s.relation?.location ?? ctx.slice.offset;
  let from = ctx.tokens.findIndex(
    (t) =>
      t.start >= relLoc &&
      (isWord(t, 'VALUES') || isWord(t, 'SELECT') || isWord(t, 'WITH') || isPunct(t, '(')),
  );
  if (from >= 0 && isPunct(ctx.tokens[from], '(') && columns !== undefined) {
    from = matchParen(ctx, from) + 1;
  }
  const values = valuesOf(ctx, src.SelectStmt);
  return {
    kind: 'Insert',
    table: rangeName(s.relation),
    columns: columns === undefined ? undefined : Object.freeze(columns),
    values: values === undefined ? undefined : Object.freeze(values.map((r) => Object.freeze(r))),
    query: queryAst(ctx, src.SelectStmt, Math.max(from, 0), ctx.tokens.length),
    ...base(ctx),
  };
}

function convertUpdate(ctx: Ctx, s: UpdateStmt): Statement {
  if (s.fromClause !== undefined) throw notSupportedAt(ctx, 'UPDATE … FROM', 0);
  if (s.returningClause !== undefined) throw notSupportedAt(ctx, 'RETURNING', 0);
  if (s.withClause !== undefined) throw notSupportedAt(ctx, 'WITH in UPDATE', 0);
  const assignments = (s.targetList ?? []).map((n) => {
    if (!('ResTarget' in n) || n.ResTarget.val === undefined) throw syntaxErrorAt(ctx, 0);
    if (n.ResTarget.indirection !== undefined)
      throw notSupported('assignment to a field or element', {
        text: ctx.script,
        offset: n.ResTarget.location ?? -1,
      });
    const v = n.ResTarget.val;
    if ('MultiAssignRef' in v)
      throw notSupported('multiple-column UPDATE', { text: ctx.script, offset: n.ResTarget.location ?? -1 });
    const loc = nodeLocation(v);
    return Object.freeze({ column: n.ResTarget.name ?? '', value: exprAst(ctx.script, v, loc, loc) });
  });
  const where = s.whereClause;
  return {
    kind: 'Update',
    table: rangeName(s.relation),
    alias: s.relation?.alias?.aliasname,
    assignments: Object.freeze(assignments),
    where: where === undefined ? undefined : exprAst(ctx.script, where, nodeLocation(where), ctx.slice.end),
    ...base(ctx),
  };
}

function convertDrop(ctx: Ctx, s: DropStmt, forced: ObjectKind | undefined): Statement {
  let objectKind: ObjectKind;
  if (forced !== undefined) objectKind = forced;
  else {
    switch (s.removeType) {
      case 'OBJECT_TABLE':
        objectKind = 'table';
        break;
      case 'OBJECT_MATVIEW':
        objectKind = 'materialized view';
        break;
      case 'OBJECT_VIEW':
        objectKind = 'view';
        break;
      case 'OBJECT_INDEX':
        objectKind = 'index';
        break;
      default:
        throw notSupportedAt(ctx, statementName(ctx), 0);
    }
  }
  const names = (s.objects ?? []).map((o) => {
    const items = 'List' in o ? (o.List.items ?? []) : [];
    return items.map((i) => ('String' in i ? (i.String.sval ?? '') : '')).join('.');
  });
  return {
    kind: 'Drop',
    objectKind,
    names: Object.freeze(names),
    ifExists: s.missing_ok === true,
    cascade: s.behavior === 'DROP_CASCADE',
    ...base(ctx),
  };
}

function constText(n: Node): string {
  if ('A_Const' in n) {
    const c = n.A_Const;
    if (c.sval !== undefined) return c.sval.sval ?? '';
    if (c.ival !== undefined) return String(c.ival.ival ?? 0);
    if (c.fval !== undefined) return c.fval.fval ?? '';
    if (c.boolval !== undefined) return c.boolval.boolval === true ? 'on' : 'off';
    return '';
  }
  if ('TypeCast' in n && n.TypeCast.arg !== undefined) return constText(n.TypeCast.arg);
  if ('String' in n) return n.String.sval ?? '';
  return '';
}

function convertSet(ctx: Ctx, s: VariableSetStmt): Statement {
  const common = {
    kind: 'SetVariable' as const,
    name: s.name ?? '',
    local: s.is_local === true,
    ...base(ctx),
  };
  switch (s.kind) {
    case 'VAR_SET_VALUE':
      return { ...common, values: Object.freeze((s.args ?? []).map(constText)), reset: false };
    case 'VAR_SET_DEFAULT':
    case 'VAR_RESET':
      return { ...common, values: [], reset: true };
    case 'VAR_SET_MULTI':
      if (s.name === 'TRANSACTION' || s.name === 'SESSION CHARACTERISTICS')
        return { ...common, values: [], reset: false };
      throw notSupportedAt(ctx, `SET ${s.name ?? ''}`, 0);
    default:
      throw notSupportedAt(ctx, statementName(ctx), 0);
  }
}

function convertView(ctx: Ctx, v: ViewStmt): Statement {
  const q = v.query;
  if (q === undefined || !('SelectStmt' in q)) throw syntaxErrorAt(ctx, 0);
  const asAt = ctx.tokens.findIndex((t) => isWord(t, 'AS'));
  const cols = v.aliases?.map((a) => ('String' in a ? (a.String.sval ?? '') : ''));
  return {
    kind: 'CreateView',
    name: rangeName(v.view),
    orReplace: v.replace === true,
    columnNames: cols === undefined ? undefined : Object.freeze(cols),
    query: queryAst(ctx, q.SelectStmt, asAt + 1, ctx.tokens.length),
    ...base(ctx),
  };
}
