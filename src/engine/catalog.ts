/**
 * The engine's catalog: every source, table and materialized view by name, each a
 * `Relation` of its own kind — a source is read as it arrives, a table keeps its content
 * (and its primary key's index), a view is a compiled plan ending in its content.
 */

import type { CatalogRelation } from '../sql/catalog.ts';
import type { Plan } from '../sql/plan.ts';
import { uniqueKey } from '../sql/plan-keys.ts';
import type { FormatSpec, Options } from '../sql/statement.ts';
import type { SqlType } from '../sql/types.ts';
import type { WeightedRow } from '../stream/chunk.ts';
import type { Operator } from '../stream/operator.ts';
import type { Materialize } from '../stream/operators/materialize.ts';
import type { Row } from '../stream/value.ts';
import type { CompiledQuery } from './compile-plan.ts';
import type { EventTime } from './event-time.ts';
import type { ObjectReader } from './pushed-rows.ts';
import { SOURCE_STATS, sourceStatsRelation } from './system-views.ts';

export type ObjectKind = 'source' | 'table' | 'materialized view';

export interface ResultColumn {
  readonly name: string;
  readonly type: SqlType;
}

export interface RelationInfo {
  readonly name: string;
  readonly kind: ObjectKind;
  readonly columns: readonly ResultColumn[];
  /** The statement that created it. */
  readonly definition: string;
  /**
   * Columns its rows are unique on, when known (a table's primary key, a view's group keys):
   * a change log pairs a retraction and an insertion of one key as an update.
   */
  readonly key: readonly number[] | undefined;
  /** An APPEND ONLY table: rows are only ever inserted. */
  readonly appendOnly: boolean;
  /** A source's `WITH (…)` options and `FORMAT … ENCODE …`; undefined for tables and views. */
  readonly source?: { readonly options: Options; readonly format: FormatSpec | undefined };
}

/** What every relation has, whatever its kind. */
interface RelationBase extends CatalogRelation {
  /** The statement text that created it. */
  readonly definition: string;
  /** The operator carrying its changes (dataflow source, or the view's Materialize). */
  readonly upstream: Operator;
  /** Columns that carry a watermark: a source's WATERMARK column, a view's derived ones. */
  readonly watermarkColumns: readonly number[];
}

/** What sources and tables have: rows are pushed into them. */
interface InputRelation extends RelationBase {
  /** Column indexes of the primary key. */
  readonly primaryKey: readonly number[];
  /** Dataflow source name. */
  readonly sourceName: string;
  /** Reads a pushed record given by column name. */
  readonly fromObject: ObjectReader;
  /** Brings pushed numbers of numeric and bigint columns to their exact form (undefined: none). */
  readonly exactNumbers: ((row: Row) => Row) | undefined;
  /** Rows admitted, late rows and the watermark. */
  readonly eventTime: EventTime;
}

export interface SourceRelation extends InputRelation {
  readonly objectKind: 'source';
  readonly options: Options;
  readonly format: FormatSpec | undefined;
}

export interface TableRelation extends InputRelation {
  readonly objectKind: 'table';
  readonly appendOnly: boolean;
  /** Current content, including the open epoch. */
  readonly store: Materialize;
  /** Tables with a primary key: pk → current row. */
  readonly pkIndex: Map<string, Row> | undefined;
}

export interface ViewRelation extends RelationBase {
  readonly objectKind: 'materialized view';
  /** Current content, including the open epoch (also its `upstream`). */
  readonly store: Materialize;
  /** The relations its plan reads. */
  readonly dependsOn: ReadonlySet<string>;
  readonly compiled: CompiledQuery;
  readonly plan: Plan;
}

export type Relation = SourceRelation | TableRelation | ViewRelation;

/** A catalog name as the catalog keys it: lower case, without `public.`/`main.`. */
export function normalizeName(name: string): string {
  const n = name.toLowerCase();
  return n.startsWith('public.') ? n.slice(7) : n.startsWith('main.') ? n.slice(5) : n;
}

/**
 * The columns a relation's rows are unique on, when known: a view's from its plan
 * (`uniqueKey`), a table's primary key. `known` keeps what was worked out, by name.
 */
export function relationKey(
  relations: { get(name: string): Relation | undefined },
  name: string,
  known = new Map<string, readonly number[] | undefined>(),
): readonly number[] | undefined {
  if (known.has(name)) return known.get(name);
  const r = relations.get(name);
  const key =
    r === undefined
      ? undefined
      : r.objectKind === 'materialized view'
        ? uniqueKey(r.plan, (n) => relationKey(relations, n, known))
        : r.primaryKey.length > 0
          ? [...r.primaryKey]
          : undefined;
  known.set(name, key);
  return key;
}

/** Content of a table or view as of the last barrier (nothing for a source). */
export function committed(rel: Relation): Iterable<WeightedRow> {
  return rel.objectKind === 'source' ? [] : rel.store.entries();
}

/** Whether rows of the relation are only ever inserted (APPEND ONLY tables). */
export function isAppendOnly(rel: Relation): boolean {
  return rel.objectKind === 'table' && rel.appendOnly;
}

/** The relations by name, and what is asked of them as a whole. */
export class RelationCatalog {
  readonly #relations = new Map<string, Relation>();
  /** `info()` as of the catalog version it was computed at. */
  #info: { at: number; list: readonly RelationInfo[] } | undefined;

  get size(): number {
    return this.#relations.size;
  }

  values(): IterableIterator<Relation> {
    return this.#relations.values();
  }

  /** The relation of a name (any spelling `normalizeName` takes). */
  get(name: string): Relation | undefined {
    return this.#relations.get(normalizeName(name));
  }

  has(name: string): boolean {
    return this.#relations.has(name);
  }

  add(rel: Relation): void {
    this.#relations.set(rel.name, rel);
  }

  delete(name: string): void {
    this.#relations.delete(name);
  }

  /** The binder's view of a relation, system views included. */
  getRelation(name: string): CatalogRelation | undefined {
    const n = normalizeName(name);
    return this.#relations.get(n) ?? (n === SOURCE_STATS ? sourceStatsRelation : undefined);
  }

  /** Names of the relations of a kind, sorted. */
  list(kind?: ObjectKind): string[] {
    return [...this.#relations.values()]
      .filter((r) => kind === undefined || r.objectKind === kind)
      .map((r) => r.name)
      .sort();
  }

  /** The views that read a relation. */
  dependents(name: string): ViewRelation[] {
    return [...this.#relations.values()].filter(
      (r): r is ViewRelation => r.objectKind === 'materialized view' && r.dependsOn.has(name),
    );
  }

  /** The relations named and the views reading them, in creation order (a view comes after its inputs). */
  withReaders(names: ReadonlySet<string>): Relation[] {
    const found = new Set(names);
    const out: Relation[] = [];
    for (const r of this.#relations.values()) {
      if (
        !found.has(r.name) &&
        r.objectKind === 'materialized view' &&
        [...r.dependsOn].some((d) => found.has(d))
      )
        found.add(r.name);
      if (found.has(r.name)) out.push(r);
    }
    return out;
  }

  /**
   * Every relation sorted by name: kind, typed columns, the statement that created it.
   * `version` changes with the catalog: the list is computed again only then.
   */
  info(version: number): readonly RelationInfo[] {
    if (this.#info?.at === version) return this.#info.list;
    const keys = new Map<string, readonly number[] | undefined>();
    const keyOf = (name: string) => relationKey(this, name, keys);
    const list = this.list().map((name) => {
      const r = this.get(name) as Relation;
      return {
        name: r.name,
        kind: r.objectKind,
        columns: r.columns.map((c) => ({ name: c.name, type: c.type })),
        definition: r.definition,
        key: keyOf(r.name),
        appendOnly: isAppendOnly(r),
        ...(r.objectKind === 'source' ? { source: { options: r.options, format: r.format } } : {}),
      };
    });
    this.#info = { at: version, list };
    return list;
  }
}

/** The event time of a source or table; undefined for a view (or no relation). */
export function eventTimeOf(rel: Relation | undefined): EventTime | undefined {
  return rel === undefined || rel.objectKind === 'materialized view' ? undefined : rel.eventTime;
}

/** Whether a name is a system view's (computed when read, never in the dataflow). */
export function isSystemView(name: string): boolean {
  return normalizeName(name) === SOURCE_STATS;
}
