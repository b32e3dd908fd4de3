/**
 * What the ad-hoc query layer knows of tidewatch's relations: names, kinds, typed columns and
 * the defining SQL, as the engine's catalog has them. The store holds their rows (see
 * view-store.ts for tables and views; sources keep their retained raw events).
 */
import type { SqlType } from '../../sql/types.ts';

export type StoredRelationKind = 'table' | 'materialized view' | 'source';

export interface StoredColumn {
  readonly name: string;
  readonly type: SqlType;
}

/** Where a source's records come from and how they are written, as its CREATE SOURCE says. */
export interface StoredSource {
  /** Its `WITH (…)` options, names lower-case: `connector` among them, unless it takes what tidewatch is given. */
  readonly options: Readonly<Record<string, string>>;
  /** Its `FORMAT … ENCODE … (…)`, upper-case; undefined when it declares none. */
  readonly format?: {
    readonly format: string;
    readonly encode: string;
    readonly options: Readonly<Record<string, string>>;
  };
}

export interface StoredRelation {
  readonly name: string;
  readonly kind: StoredRelationKind;
  readonly columns: readonly StoredColumn[];
  /**
   * Its rows are unique (a view's group keys, a table's primary key): each is held once, so
   * it is read without repeating rows by multiplicity.
   */
  readonly unique?: boolean;
  /**
   * A source's retained raw events, each row with the epoch that committed it (`__tw_epoch`),
   * which may be written before that epoch commits: read as those of committed epochs.
   */
  readonly rawEvents?: boolean;
  /** The CREATE statement or the view's query, shown by pg_views, pg_matviews, information_schema.views. */
  readonly definition?: string;
  /** A source's connector and format (rw_sources). */
  readonly source?: StoredSource;
}

/** The schema, database and user every tidewatch relation belongs to. */
export const PUBLIC_SCHEMA = 'public';
export const DATABASE = 'dev';
export const USER = 'root';

/**
 * DuckDB columns of a stored relation that are not the relation's: tables and views end with
 * the row key and multiplicity (`__tw_key`, `__tw_count`), sources with the epoch of each
 * retained event (`__tw_epoch`).
 */
export const COUNT_COLUMN = '__tw_count';
