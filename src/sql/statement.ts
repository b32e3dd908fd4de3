/**
 * The typed statement model: what the parser hands to the rest of tidewatch. Kind-tagged,
 * readonly, frozen. Queries and expressions stay as PostgreSQL parse trees (`QueryAst`,
 * `ExprAst`) that only `binder.ts` reads; everything else is plain data.
 *
 * Locations are 0-based string indexes into the script given to `parseScript` (the
 * binder turns them into 1-based PostgreSQL positions).
 */
import type { Node, SelectStmt } from 'libpg-query';
import type { Interval, SqlType } from './types.ts';

/** A query (SELECT / VALUES / set operation) as parsed; bind it with `bindQuery`. */
export interface QueryAst {
  readonly kind: 'QueryAst';
  readonly ast: SelectStmt;
  /** The query's own text, and where it starts in the script. */
  readonly text: string;
  readonly offset: number;
  /** The whole script the locations refer to. */
  readonly script: string;
  /**
   * RisingWave's `SESSION WITH GAP g` frames, cut out of the text PostgreSQL's parser saw: the
   * gap's parse tree by the location of its window definition's `(`.
   */
  readonly sessionGaps?: ReadonlyMap<number, Node>;
}

/** A scalar expression as parsed; bind it with `bindExpression`. */
export interface ExprAst {
  readonly kind: 'ExprAst';
  readonly ast: Node;
  readonly text: string;
  readonly offset: number;
  readonly script: string;
}

export interface ColumnDef {
  readonly name: string;
  readonly type: SqlType;
  readonly notNull: boolean;
  readonly primaryKey: boolean;
  readonly offset: number;
}

export interface Watermark {
  readonly column: string;
  /** The watermark expression, e.g. `request_timestamp - INTERVAL '5 SECONDS'`. */
  readonly expr: ExprAst;
  /** For the common `col - INTERVAL '…'` form: the delay; undefined for other expressions. */
  readonly delay: Interval | undefined;
  readonly offset: number;
}

/** `WITH (k = 'v', …)`: keys lower-cased unless quoted, dotted keys kept whole. */
export type Options = ReadonlyMap<string, string>;

export interface FormatSpec {
  /** Upper-cased: `PLAIN`, `UPSERT`, `DEBEZIUM`, … */
  readonly format: string;
  /** Upper-cased: `JSON`, `CSV`, `AVRO`, `BYTES`, … */
  readonly encode: string;
  readonly options: Options;
}

/** `INCLUDE key [AS name]`, `INCLUDE timestamp`, … */
export interface IncludeClause {
  readonly what: string;
  readonly inner: string | undefined;
  readonly alias: string | undefined;
}

interface Base {
  /** 0-based index of the statement's first token in the script. */
  readonly offset: number;
  /** The statement text (without the terminating semicolon). */
  readonly text: string;
  /** The script the offsets refer to. */
  readonly script: string;
}

export interface CreateSource extends Base {
  readonly kind: 'CreateSource';
  readonly name: string;
  readonly ifNotExists: boolean;
  readonly columns: readonly ColumnDef[];
  readonly primaryKey: readonly string[];
  readonly watermark: Watermark | undefined;
  readonly includes: readonly IncludeClause[];
  readonly options: Options;
  readonly format: FormatSpec | undefined;
}

export interface CreateTable extends Base {
  readonly kind: 'CreateTable';
  readonly name: string;
  readonly ifNotExists: boolean;
  readonly columns: readonly ColumnDef[];
  readonly primaryKey: readonly string[];
  readonly appendOnly: boolean;
  readonly watermark: Watermark | undefined;
  readonly includes: readonly IncludeClause[];
  readonly options: Options;
  readonly format: FormatSpec | undefined;
}

export interface CreateMaterializedView extends Base {
  readonly kind: 'CreateMaterializedView';
  readonly name: string;
  readonly ifNotExists: boolean;
  /** Column names given as `CREATE MATERIALIZED VIEW v (a, b) AS …`. */
  readonly columnNames: readonly string[] | undefined;
  readonly query: QueryAst;
  readonly emitOnWindowClose: boolean;
  readonly options: Options;
}

export interface CreateView extends Base {
  readonly kind: 'CreateView';
  readonly name: string;
  readonly orReplace: boolean;
  readonly columnNames: readonly string[] | undefined;
  readonly query: QueryAst;
}

export interface CreateSink extends Base {
  readonly kind: 'CreateSink';
  readonly name: string;
  readonly ifNotExists: boolean;
  /** `FROM relation` … */
  readonly from: string | undefined;
  /** … or `AS query`. */
  readonly query: QueryAst | undefined;
  readonly options: Options;
  readonly format: FormatSpec | undefined;
}

export interface Insert extends Base {
  readonly kind: 'Insert';
  readonly table: string;
  readonly columns: readonly string[] | undefined;
  /** `VALUES (…), (…)` rows, when the source is a plain VALUES list. */
  readonly values: readonly (readonly ExprAst[])[] | undefined;
  /** The source as a query (VALUES lists included). */
  readonly query: QueryAst;
}

export interface Assignment {
  readonly column: string;
  readonly value: ExprAst;
}

export interface Update extends Base {
  readonly kind: 'Update';
  readonly table: string;
  readonly alias: string | undefined;
  readonly assignments: readonly Assignment[];
  readonly where: ExprAst | undefined;
}

export interface Delete extends Base {
  readonly kind: 'Delete';
  readonly table: string;
  readonly alias: string | undefined;
  readonly where: ExprAst | undefined;
}

export type ObjectKind =
  | 'source'
  | 'table'
  | 'materialized view'
  | 'view'
  | 'sink'
  | 'index'
  | 'subscription';

export interface Drop extends Base {
  readonly kind: 'Drop';
  readonly objectKind: ObjectKind;
  readonly names: readonly string[];
  readonly ifExists: boolean;
  readonly cascade: boolean;
}

export type ShowObjectsKind = 'sources' | 'tables' | 'materialized views' | 'views' | 'sinks';

export interface ShowObjects extends Base {
  readonly kind: 'ShowObjects';
  readonly objects: ShowObjectsKind;
}

export interface Describe extends Base {
  readonly kind: 'Describe';
  readonly name: string;
}

export interface Explain extends Base {
  readonly kind: 'Explain';
  readonly verbose: boolean;
  /** `EXPLAIN (TRACE)`: the plan as bound, then after each optimizer rule. */
  readonly trace: boolean;
  readonly statement: CreateMaterializedView | CreateView | CreateSink | Select;
}

export interface Flush extends Base {
  readonly kind: 'Flush';
}

export interface SetVariable extends Base {
  readonly kind: 'SetVariable';
  readonly name: string;
  /** Values as text; empty for `SET x TO DEFAULT` / `RESET x`. */
  readonly values: readonly string[];
  readonly local: boolean;
  readonly reset: boolean;
}

export interface ShowVariable extends Base {
  readonly kind: 'ShowVariable';
  readonly name: string;
}

export interface Transaction extends Base {
  readonly kind: 'Transaction';
  readonly action: 'begin' | 'commit' | 'rollback';
}

/** An ad-hoc query: kept as parse tree and text (it runs in DuckDB after a rewrite). */
export interface Select extends Base {
  readonly kind: 'Select';
  readonly query: QueryAst;
}

export type Statement =
  | CreateSource
  | CreateTable
  | CreateMaterializedView
  | CreateView
  | CreateSink
  | Insert
  | Update
  | Delete
  | Drop
  | ShowObjects
  | Describe
  | Explain
  | Flush
  | SetVariable
  | ShowVariable
  | Transaction
  | Select;

export type StatementKind = Statement['kind'];
