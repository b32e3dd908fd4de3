/**
 * Compiles bound expressions (src/sql/expr.ts) into closures, once per plan node: the per-row
 * work is a chain of direct calls, with no switch on `kind`. Constant subtrees are folded at
 * compile time (unless folding raises: the error is then raised per row, so one bad constant
 * does not fail the whole plan, and a CASE branch never taken never raises). Common shapes
 * get dedicated closures: `col <op> literal`, `col IN (literals…)`, `CASE WHEN p THEN a ELSE
 * b END` with constant results.
 *
 * Semantics are PostgreSQL's: three-valued AND/OR/NOT; strict functions return NULL on a
 * NULL argument (after evaluating every argument, as PostgreSQL does); a predicate (WHERE,
 * CASE WHEN, JOIN ON) treats NULL as false. Errors are `SqlError`s thrown per row.
 */
import type { BoundExpr, Call, CaseWhen } from '../../sql/expr.ts';
import { isNumericValue, numericKey } from '../../sql/numeric.ts';
import type { SqlType, Value } from '../../sql/types.ts';
import { formatValue } from '../../sql/value-text.ts';
import { castFn } from './functions/casts.ts';
import { equalityFor } from './functions/comparison.ts';
import type { Kernel } from './functions/kernel.ts';
import { type EvalOptions, resolveKernel, VOLATILE } from './functions/registry.ts';

export type { EvalOptions };
export type Row = readonly Value[];
export type Compiled = (row: Row) => Value;
export type CompiledPredicate = (row: Row) => boolean;

/** Compiles `e` into a function of the input row. */
export function compileExpr(e: BoundExpr, options: EvalOptions = {}): Compiled {
  return new Compiler(options).value(e).fn;
}

/** Compiles a condition: true only when `e` is true (NULL and false are both false). */
export function compilePredicate(e: BoundExpr, options: EvalOptions = {}): CompiledPredicate {
  return new Compiler(options).predicate(e);
}

interface Node {
  readonly fn: Compiled;
  /** Set when the node is a compile-time constant. */
  readonly constant: boolean;
  readonly value?: Value;
}

function constant(value: Value): Node {
  return { fn: () => value, constant: true, value };
}

/** Column index and constant of a `col <op> literal` / `literal <op> col` comparison. */
function columnVsLiteral(e: Call): { index: number; value: Value; flipped: boolean } | undefined {
  const [a, b] = e.args;
  if (a === undefined || b === undefined || e.args.length !== 2) return undefined;
  if (a.kind === 'ColumnRef' && b.kind === 'Literal')
    return { index: a.index, value: b.value, flipped: false };
  if (a.kind === 'Literal' && b.kind === 'ColumnRef')
    return { index: b.index, value: a.value, flipped: true };
  return undefined;
}

const flipOp: Readonly<Record<string, string>> = {
  '<': '>',
  '<=': '>=',
  '>': '<',
  '>=': '<=',
  '=': '=',
  '<>': '<>',
};

/** Types whose values compare correctly with JS operators (no NaN, no surrogate issues). */
function plainOrdered(t: SqlType): boolean {
  switch (t.name) {
    case 'int2':
    case 'int4':
    case 'int8':
    case 'date':
    case 'time':
    case 'timestamp':
    case 'timestamptz':
      return true;
    default:
      return false;
  }
}

function plainEquality(t: SqlType): boolean {
  return plainOrdered(t) || t.name === 'text' || t.name === 'varchar' || t.name === 'boolean';
}

/** `row[i] <op> k` as a predicate (NULL → false), for plain types. */
function columnPredicate(op: string, i: number, k: Value): CompiledPredicate | undefined {
  const n = k as number;
  switch (op) {
    case '=':
      return (row) => row[i] === k;
    case '<>':
      return (row) => {
        const v = row[i];
        return v !== null && v !== k;
      };
    case '<':
      return (row) => {
        const v = row[i];
        return v !== null && (v as number) < n;
      };
    case '<=':
      return (row) => {
        const v = row[i];
        return v !== null && (v as number) <= n;
      };
    case '>':
      return (row) => {
        const v = row[i];
        return v !== null && (v as number) > n;
      };
    case '>=':
      return (row) => {
        const v = row[i];
        return v !== null && (v as number) >= n;
      };
    default:
      return undefined;
  }
}

/** `row[i] <op> k` as a value (NULL when the column is NULL). */
function columnComparison(op: string, i: number, k: Value): Compiled | undefined {
  const n = k as number;
  switch (op) {
    case '=':
      return (row) => {
        const v = row[i];
        return v === null ? null : v === k;
      };
    case '<>':
      return (row) => {
        const v = row[i];
        return v === null ? null : v !== k;
      };
    case '<':
      return (row) => {
        const v = row[i];
        return v === null ? null : (v as number) < n;
      };
    case '<=':
      return (row) => {
        const v = row[i];
        return v === null ? null : (v as number) <= n;
      };
    case '>':
      return (row) => {
        const v = row[i];
        return v === null ? null : (v as number) > n;
      };
    case '>=':
      return (row) => {
        const v = row[i];
        return v === null ? null : (v as number) >= n;
      };
    default:
      return undefined;
  }
}

const comparisonOps = new Set(['=', '<>', '<', '<=', '>', '>=']);

function callKernel(k: Kernel, fs: readonly Compiled[]): Compiled {
  if (k.variadic) {
    const f = k.fn as unknown as (args: readonly Value[]) => Value;
    const n = fs.length;
    return (row) => {
      const args = new Array<Value>(n);
      for (let i = 0; i < n; i++) args[i] = (fs[i] as Compiled)(row);
      return f(args);
    };
  }
  const strict = k.strict;
  switch (fs.length) {
    case 0: {
      const f = k.fn as unknown as () => Value;
      return () => f();
    }
    case 1: {
      const f = k.fn as unknown as (a: Value) => Value;
      const a = fs[0] as Compiled;
      if (!strict) return (row) => f(a(row));
      return (row) => {
        const x = a(row);
        return x === null ? null : f(x);
      };
    }
    case 2: {
      const f = k.fn as unknown as (a: Value, b: Value) => Value;
      const a = fs[0] as Compiled;
      const b = fs[1] as Compiled;
      if (!strict) return (row) => f(a(row), b(row));
      return (row) => {
        const x = a(row);
        const y = b(row);
        return x === null || y === null ? null : f(x, y);
      };
    }
    case 3: {
      const f = k.fn as unknown as (a: Value, b: Value, c: Value) => Value;
      const [a, b, c] = fs as [Compiled, Compiled, Compiled];
      if (!strict) return (row) => f(a(row), b(row), c(row));
      return (row) => {
        const x = a(row);
        const y = b(row);
        const z = c(row);
        return x === null || y === null || z === null ? null : f(x, y, z);
      };
    }
    default: {
      const f = k.fn as unknown as (...args: Value[]) => Value;
      const n = fs.length;
      return (row) => {
        const args = new Array<Value>(n);
        for (let i = 0; i < n; i++) {
          const v = (fs[i] as Compiled)(row);
          if (v === null && strict) return null;
          args[i] = v;
        }
        return f(...args);
      };
    }
  }
}

class Compiler {
  private readonly options: EvalOptions;

  constructor(options: EvalOptions) {
    this.options = options;
  }

  /** Folds `fn` to a constant when every child is constant and it does not raise. */
  private fold(fn: Compiled, children: readonly Node[], volatile = false): Node {
    if (!volatile && children.every((c) => c.constant)) {
      try {
        return constant(fn([]));
      } catch {
        return { fn, constant: false };
      }
    }
    return { fn, constant: false };
  }

  value(e: BoundExpr): Node {
    switch (e.kind) {
      case 'ColumnRef': {
        const i = e.index;
        return { fn: (row) => row[i] as Value, constant: false };
      }
      case 'Literal':
        return constant(e.value);
      case 'Call':
        return this.call(e);
      case 'Cast':
        return this.cast(e.arg, e.type);
      case 'Case':
        return this.caseExpr(e.whens, e.else);
      case 'And':
      case 'Or':
        return this.logic(e.kind, e.args);
      case 'Not': {
        const a = this.value(e.arg);
        const f = a.fn;
        return this.fold(
          (row) => {
            const v = f(row);
            return v === null ? null : !v;
          },
          [a],
        );
      }
      case 'IsNull': {
        const a = this.value(e.arg);
        const f = a.fn;
        return this.fold(e.negated ? (row) => f(row) !== null : (row) => f(row) === null, [a]);
      }
      case 'InList':
        return this.inList(e.arg, e.list, e.negated);
      case 'Coalesce': {
        const args = e.args.map((a) => this.value(a));
        const fs = args.map((a) => a.fn);
        if (fs.length === 2) {
          const [a, b] = fs as [Compiled, Compiled];
          return this.fold((row) => {
            const v = a(row);
            return v !== null ? v : b(row);
          }, args);
        }
        return this.fold((row) => {
          for (const f of fs) {
            const v = f(row);
            if (v !== null) return v;
          }
          return null;
        }, args);
      }
      case 'NullIf': {
        const l = this.value(e.left);
        const r = this.value(e.right);
        const eq = equalityFor(e.left.type);
        const lf = l.fn;
        const rf = r.fn;
        return this.fold(
          (row) => {
            const a = lf(row);
            const b = rf(row);
            if (a === null) return null;
            return b !== null && eq(a, b) ? null : a;
          },
          [l, r],
        );
      }
      default: {
        const never: never = e;
        return never;
      }
    }
  }

  predicate(e: BoundExpr): CompiledPredicate {
    if (e.kind === 'Literal') {
      const t = e.value === true;
      return () => t;
    }
    if (e.kind === 'Call' && comparisonOps.has(e.fn)) {
      const m = columnVsLiteral(e);
      const t = e.args[0]?.type;
      if (m !== undefined && m.value !== null && t !== undefined) {
        const op = m.flipped ? (flipOp[e.fn] as string) : e.fn;
        const ok = op === '=' || op === '<>' ? plainEquality(t) : plainOrdered(t);
        const p = ok ? columnPredicate(op, m.index, m.value) : undefined;
        if (p !== undefined) return p;
      }
    }
    if (e.kind === 'And') {
      const ps = e.args.map((a) => this.predicate(a));
      if (ps.length === 2) {
        const [a, b] = ps as [CompiledPredicate, CompiledPredicate];
        return (row) => a(row) && b(row);
      }
      return (row) => ps.every((p) => p(row));
    }
    if (e.kind === 'Or') {
      const ps = e.args.map((a) => this.predicate(a));
      if (ps.length === 2) {
        const [a, b] = ps as [CompiledPredicate, CompiledPredicate];
        return (row) => a(row) || b(row);
      }
      return (row) => ps.some((p) => p(row));
    }
    if (e.kind === 'IsNull') {
      const f = this.value(e.arg).fn;
      return e.negated ? (row) => f(row) !== null : (row) => f(row) === null;
    }
    const n = this.value(e);
    if (n.constant) {
      const t = n.value === true;
      return () => t;
    }
    const f = n.fn;
    return (row) => f(row) === true;
  }

  private call(e: Call): Node {
    if (comparisonOps.has(e.fn)) {
      const m = columnVsLiteral(e);
      const t = e.args[0]?.type;
      if (m !== undefined && m.value !== null && t !== undefined) {
        const op = m.flipped ? (flipOp[e.fn] as string) : e.fn;
        const ok = op === '=' || op === '<>' ? plainEquality(t) : plainOrdered(t);
        const f = ok ? columnComparison(op, m.index, m.value) : undefined;
        if (f !== undefined) return { fn: f, constant: false };
      }
    }
    // concat()/concat_ws() print their arguments with the output function (true → 't'),
    // where the binder wrote a cast to text (true::text → 'true').
    const outputArgs = e.fn === 'concat' || e.fn === 'concat_ws';
    const args = e.args.map((a) =>
      outputArgs && a.kind === 'Cast' && a.arg.type.name === 'boolean' ? this.output(a.arg) : this.value(a),
    );
    const k = resolveKernel(e, this.options);
    return this.fold(
      callKernel(
        k,
        args.map((a) => a.fn),
      ),
      args,
      VOLATILE.has(e.fn),
    );
  }

  /** A value printed as PostgreSQL's output function does. */
  private output(arg: BoundExpr): Node {
    const a = this.value(arg);
    const af = a.fn;
    const t = arg.type;
    return this.fold((row) => formatValue(af(row), t), [a]);
  }

  private cast(arg: BoundExpr, to: SqlType): Node {
    const a = this.value(arg);
    const af = a.fn;
    const f = castFn(arg.type, to);
    return this.fold(
      (row) => {
        const v = af(row);
        return v === null ? null : f(v);
      },
      [a],
    );
  }

  private caseExpr(whens: readonly CaseWhen[], otherwise: BoundExpr): Node {
    const conds = whens.map((w) => this.predicate(w.condition));
    const results = whens.map((w) => this.value(w.result));
    const other = this.value(otherwise);
    if (conds.length === 1) {
      const p = conds[0] as CompiledPredicate;
      const r = results[0] as Node;
      if (r.constant && other.constant) {
        const a = r.value as Value;
        const b = other.value as Value;
        return { fn: (row) => (p(row) ? a : b), constant: false };
      }
      const rf = r.fn;
      const of = other.fn;
      return { fn: (row) => (p(row) ? rf(row) : of(row)), constant: false };
    }
    const rfs = results.map((r) => r.fn);
    const of = other.fn;
    const n = conds.length;
    return {
      fn: (row) => {
        for (let i = 0; i < n; i++)
          if ((conds[i] as CompiledPredicate)(row)) return (rfs[i] as Compiled)(row);
        return of(row);
      },
      constant: false,
    };
  }

  private logic(kind: 'And' | 'Or', argExprs: readonly BoundExpr[]): Node {
    const args = argExprs.map((a) => this.value(a));
    const fs = args.map((a) => a.fn);
    // AND: false wins, then NULL; OR: true wins, then NULL.
    const decisive = kind === 'Or';
    if (fs.length === 2) {
      const [a, b] = fs as [Compiled, Compiled];
      return this.fold((row) => {
        const x = a(row);
        if (x === decisive) return decisive;
        const y = b(row);
        if (y === decisive) return decisive;
        return x === null || y === null ? null : !decisive;
      }, args);
    }
    return this.fold((row) => {
      let sawNull = false;
      for (const f of fs) {
        const v = f(row);
        if (v === decisive) return decisive;
        if (v === null) sawNull = true;
      }
      return sawNull ? null : !decisive;
    }, args);
  }

  private inList(argExpr: BoundExpr, listExprs: readonly BoundExpr[], negated: boolean): Node {
    const arg = this.value(argExpr);
    const items = listExprs.map((l) => this.value(l));
    const af = arg.fn;
    const t = argExpr.type;
    const hit = !negated;
    if (items.every((i) => i.constant) && (plainEquality(t) || t.name.startsWith('float'))) {
      const values = items.map((i) => i.value as Value);
      const anyNull = values.some((v) => v === null);
      const set = new Set(values.filter((v) => v !== null));
      const miss = anyNull ? null : negated;
      return this.fold(
        (row) => {
          const v = af(row);
          if (v === null) return null;
          return set.has(v) ? hit : miss;
        },
        [arg, ...items],
      );
    }
    if (items.every((i) => i.constant) && t.name === 'numeric') {
      // numerics by value: 1.5 IN (1.50) is true
      const values = items.map((i) => i.value as Value);
      const anyNull = values.some((v) => v === null);
      const set = new Set(values.flatMap((v) => (isNumericValue(v) ? [numericKey(v)] : [])));
      const miss = anyNull ? null : negated;
      return this.fold(
        (row) => {
          const v = af(row);
          if (v === null) return null;
          return set.has(numericKey(v as never)) ? hit : miss;
        },
        [arg, ...items],
      );
    }
    const eq = equalityFor(t);
    const fs = items.map((i) => i.fn);
    return this.fold(
      (row) => {
        const v = af(row);
        let sawNull = false;
        for (const f of fs) {
          const x = f(row);
          if (x === null || v === null) sawNull = true;
          else if (eq(v, x)) return hit;
        }
        return sawNull || v === null ? null : negated;
      },
      [arg, ...items],
    );
  }
}
