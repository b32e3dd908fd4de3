/**
 * DML: INSERT, UPDATE and DELETE on tables, the fast path of a bulk INSERT of literals, and
 * table writes as data (`TableWrite`) — reported to the listeners (the DML log) before they
 * are applied, or, deferred, applied at the next `applyDeferred`, in the order they were
 * logged.
 */

import { bindDelete, bindInsert, bindUpdate } from '../sql/binder.ts';
import type { Catalog } from '../sql/catalog.ts';
import type { CopyFromCommand } from '../sql/copy-statement.ts';
import { SqlError, SqlState, undefinedTable } from '../sql/errors.ts';
import type { BindParams } from '../sql/params.ts';
import type { Plan } from '../sql/plan.ts';
import type { Delete, Insert, Update } from '../sql/statement.ts';
import { chunk, type WeightedRow } from '../stream/chunk.ts';
import type { Dataflow } from '../stream/graph.ts';
import { type Row, rowKey, type Value } from '../stream/value.ts';
import type { RelationCatalog, SourceRelation, TableRelation } from './catalog.ts';
import { compileExpr, compilePredicate } from './eval/compile.ts';
import { type ConvertedInsertValues, readInsertRows, tableShape } from './insert-values-rows.ts';
import { CHUNK_ROWS } from './pushed-rows.ts';
import type { StatementResult } from './statement-result.ts';

/**
 * One statement's change to a table, as data: what a durable log of DML keeps so that
 * `applyTableWrite` can do it again after a crash. `insert`: rows as INSERT gives them (upsert
 * on the primary key, late rows dropped — both decided again when applied, against the same
 * state); `change`: retractions and insertions as UPDATE and DELETE computed them.
 */
export type TableWrite =
  | {
      readonly kind: 'insert';
      readonly table: string;
      readonly rows: readonly Row[];
      /** How the client sent the rows, when they can be read from it again (a log keeps that instead). */
      readonly writtenAs?: WrittenAs;
    }
  | {
      readonly kind: 'change';
      readonly table: string;
      readonly rows: readonly Row[];
      readonly weights: readonly number[];
    };

/**
 * Rows as their client sent them: a bulk INSERT's statement (`Engine.rowsOfInsertValues` reads
 * it again), a COPY's command and data (as the endpoint's COPY reads them).
 */
export type WrittenAs =
  | { readonly kind: 'insert-values'; readonly text: string }
  | { readonly kind: 'copy'; readonly command: CopyFromCommand; readonly data: readonly Uint8Array[] };

/** What DML reads and changes of the engine. */
export interface DmlContext {
  readonly graph: Dataflow;
  readonly relations: RelationCatalog;
  /** The catalog the binder resolves names in (the engine's, system views included). */
  readonly binder: Catalog;
  readonly now: () => number;
  /** Called with every change a statement makes to a table, before it is applied. */
  readonly writeListeners: readonly ((write: TableWrite) => void)[];
  /** Rows went into the dataflow in this epoch. */
  readonly inputArrived: () => void;
  /** After a statement's write: ends the epoch when RW_IMPLICIT_FLUSH is on. */
  readonly afterWrite: () => void;
  /** Runs a query over the committed snapshot (an INSERT's rows). */
  readonly query: (plan: Plan) => Row[];
}

/** Writes to tables, and the writes logged but not applied yet. */
export class Dml {
  readonly #ctx: DmlContext;
  /** Table writes reported to the listeners (logged) whose rows have not reached the dataflow yet. */
  readonly #unapplied: { readonly rel: TableRelation; readonly write: TableWrite }[] = [];

  constructor(ctx: DmlContext) {
    this.#ctx = ctx;
  }

  table(name: string, verb: string): TableRelation {
    const rel = this.#ctx.relations.get(name);
    if (rel === undefined) throw undefinedTable(name);
    if (rel.objectKind !== 'table')
      throw new SqlError(SqlState.wrongObjectType, `cannot ${verb} ${rel.objectKind} "${rel.name}"`);
    return rel;
  }

  insertStatement(s: Insert, params: BindParams): StatementResult {
    const rel = this.table(s.table, 'insert into');
    const bound = bindInsert(s, this.#ctx.binder, params);
    const rows = this.#ctx.query(bound.plan);
    this.#write(rel, { kind: 'insert', table: rel.name, rows });
    this.#ctx.afterWrite();
    return { tag: 'INSERT', rowCount: rows.length };
  }

  /**
   * Inserts typed rows (values in the table's column order) into a table, as INSERT does:
   * upsert on the primary key, late rows dropped. COPY FROM and the fast INSERT path use it.
   * Returns how many rows were given. With `deferApply` the rows are reported to the
   * `onTableWrite` listeners now and reach the dataflow at the next `applyDeferred`, which every
   * other method calls first: a caller answers its client once the write is logged, and the
   * views' work overlaps the client's next request.
   */
  insert(table: string, rows: readonly Row[], writtenAs?: WrittenAs, deferApply = false): number {
    const rel = this.table(table, 'insert into');
    for (const row of rows)
      if (row.length !== rel.columns.length)
        throw new SqlError(
          SqlState.syntaxError,
          `a row of ${row.length} values for table "${rel.name}" of ${rel.columns.length} columns`,
        );
    this.#write(rel, { kind: 'insert', table: rel.name, rows, writtenAs }, deferApply);
    this.#ctx.afterWrite();
    return rows.length;
  }

  /**
   * Runs a bulk-load INSERT: its statement, read here (`rowsOfInsertValues`), or its rows
   * converted already (`ConvertedInsertValues`) for a table of the columns this table has.
   * Undefined when the statement needs the general path: not of the bulk form, a literal not
   * converted here, a wrong number of values, an unknown table or column, a value that fails to
   * convert (the general path reports it with its position), or rows converted for columns the
   * table no longer has. `deferApply` as for `insert`.
   */
  insertValues(bulk: string | ConvertedInsertValues, deferApply = false): StatementResult | undefined {
    const read = typeof bulk === 'string' ? this.rowsOfInsertValues(bulk) : bulk;
    const rel = read === undefined ? undefined : this.#ctx.relations.get(read.table);
    if (read === undefined || rel === undefined || rel.objectKind !== 'table') return undefined;
    if (typeof bulk !== 'string' && tableShape(rel.columns) !== bulk.shape) return undefined;
    const text = typeof bulk === 'string' ? bulk : bulk.text;
    this.#write(
      rel,
      { kind: 'insert', table: rel.name, rows: read.rows, writtenAs: { kind: 'insert-values', text } },
      deferApply,
    );
    this.#ctx.afterWrite();
    return { tag: 'INSERT', rowCount: read.rows.length };
  }

  /**
   * A bulk-load INSERT's table and rows, each literal converted as the INSERT's assignment to
   * its column would; undefined when `insertValues` leaves the statement to the general path.
   */
  rowsOfInsertValues(text: string): { readonly table: string; readonly rows: readonly Row[] } | undefined {
    return readInsertRows(text, (name) => {
      const rel = this.#ctx.relations.get(name);
      return rel?.objectKind === 'table' ? rel.columns : undefined;
    });
  }

  /** Reports a statement's change to the listeners, then applies it (or leaves it to `applyDeferred`). */
  #write(rel: TableRelation, write: TableWrite, deferApply = false): void {
    if (write.rows.length === 0) return;
    for (const l of this.#ctx.writeListeners) l(write);
    if (deferApply) this.#unapplied.push({ rel, write });
    else {
      this.applyDeferred();
      this.#applyWrite(rel, write);
    }
  }

  /** Applies a change `onTableWrite` reported, after the writes left for later. */
  applyTableWrite(write: TableWrite): void {
    this.applyDeferred();
    this.#applyWrite(this.table(write.table, 'insert into'), write);
  }

  /** Applies the writes `insert` and `insertValues` left for later, in the order they were logged. */
  applyDeferred(): void {
    for (let next = this.#unapplied.shift(); next !== undefined; next = this.#unapplied.shift())
      this.#applyWrite(next.rel, next.write);
  }

  #applyWrite(rel: TableRelation, write: TableWrite): void {
    this.#ctx.inputArrived();
    if (write.kind === 'insert') {
      for (let start = 0; start < write.rows.length; start += CHUNK_ROWS)
        this.insertRows(rel, write.rows.slice(start, start + CHUNK_ROWS));
      return;
    }
    const index = rel.pkIndex;
    if (index !== undefined) {
      const key = (r: Row) => rowKey(rel.primaryKey.map((i) => r[i] ?? null));
      write.rows.forEach((r, i) => {
        if ((write.weights[i] as number) < 0) index.delete(key(r));
      });
      write.rows.forEach((r, i) => {
        if ((write.weights[i] as number) > 0) index.set(key(r), r);
      });
    }
    this.#ctx.graph.push(rel.sourceName, chunk([...write.rows], [...write.weights]));
  }

  /** The rows on time for the relation's watermark (late ones are counted and dropped). */
  admit(rel: SourceRelation | TableRelation, rows: readonly Row[], split?: string): readonly Row[] {
    return rel.eventTime.admit(rows, this.#ctx.now(), split);
  }

  insertRows(rel: TableRelation, input: readonly Row[]): void {
    const rows = this.admit(rel, input);
    const index = rel.pkIndex;
    if (index === undefined) {
      this.#ctx.graph.push(rel.sourceName, rows);
      return;
    }
    const out: Row[] = [];
    const weights: number[] = [];
    for (const row of rows) {
      const k = rowKey(rel.primaryKey.map((i) => row[i] ?? null));
      const old = index.get(k);
      if (old !== undefined) {
        out.push(old);
        weights.push(-1);
      }
      index.set(k, row);
      out.push(row);
      weights.push(1);
    }
    this.#ctx.graph.push(rel.sourceName, chunk(out, weights));
  }

  #modifiable(name: string, verb: string): TableRelation {
    const rel = this.table(name, verb);
    if (rel.appendOnly)
      throw new SqlError(SqlState.featureNotSupported, `cannot ${verb} append-only table "${rel.name}"`);
    return rel;
  }

  /** Current rows of a table matching `where` (each distinct row with its multiplicity). */
  #matching(rel: TableRelation, where: Parameters<typeof compilePredicate>[0] | undefined): WeightedRow[] {
    const pred = where === undefined ? undefined : compilePredicate(where);
    const out: WeightedRow[] = [];
    for (const e of rel.store.current()) {
      if (e.weight <= 0) continue;
      if (pred === undefined || pred(e.row) === true) out.push({ row: e.row, weight: e.weight });
    }
    return out;
  }

  update(s: Update, params: BindParams): StatementResult {
    const rel = this.#modifiable(s.table, 'update');
    const bound = bindUpdate(s, this.#ctx.binder, params);
    const sets = bound.assignments.map((a) => ({ column: a.column, value: compileExpr(a.value) }));
    const hit = this.#matching(rel, bound.where);
    const out: Row[] = [];
    const weights: number[] = [];
    let n = 0;
    for (const e of hit) {
      const next = [...e.row];
      for (const a of sets) next[a.column] = a.value(e.row) as Value;
      out.push(e.row, next);
      weights.push(-e.weight, e.weight);
      n += e.weight;
    }
    this.#write(rel, { kind: 'change', table: rel.name, rows: out, weights });
    this.#ctx.afterWrite();
    return { tag: 'UPDATE', rowCount: n };
  }

  delete(s: Delete, params: BindParams): StatementResult {
    const rel = this.#modifiable(s.table, 'delete from');
    const bound = bindDelete(s, this.#ctx.binder, params);
    const hit = this.#matching(rel, bound.where);
    let n = 0;
    for (const e of hit) n += e.weight;
    this.#write(rel, {
      kind: 'change',
      table: rel.name,
      rows: hit.map((e) => e.row),
      weights: hit.map((e) => -e.weight),
    });
    this.#ctx.afterWrite();
    return { tag: 'DELETE', rowCount: n };
  }
}
