/**
 * The sinks of the engine's catalog: each names the table or materialized view whose changes it
 * delivers and how (`WITH (connector = …)`, `FORMAT … ENCODE …`). The engine computes nothing for
 * a sink — the store keeps its relation's changes for it and a runtime delivers them — but it
 * owns the names: a sink is a catalog object like a view (CREATE and DROP are in the catalog
 * history, so a restore has them again), and the relation it reads cannot be dropped under it.
 */
import { byName } from '../sql/catalog.ts';
import type { FormatSpec, Options } from '../sql/statement.ts';
import type { SqlType } from '../sql/types.ts';

/** A sink as its CREATE SINK defined it. */
export interface SinkSpec {
  readonly name: string;
  /** The table or materialized view whose changes it delivers. */
  readonly from: string;
  readonly columns: readonly { readonly name: string; readonly type: SqlType }[];
  /** Columns the relation's rows are unique on, when the engine knows them. */
  readonly key: readonly number[] | undefined;
  /** The relation only ever gets insertions (an APPEND ONLY table). */
  readonly appendOnly: boolean;
  /** `WITH (…)` options, names lower-case unless quoted. */
  readonly options: Options;
  readonly format: FormatSpec | undefined;
  /** The CREATE SINK statement. */
  readonly definition: string;
}

export class SinkCatalog {
  /** By lower-case name. */
  readonly #sinks = new Map<string, SinkSpec>();

  has(name: string): boolean {
    return this.#sinks.has(name.toLowerCase());
  }

  get(name: string): SinkSpec | undefined {
    return this.#sinks.get(name.toLowerCase());
  }

  add(sink: SinkSpec): void {
    this.#sinks.set(sink.name.toLowerCase(), sink);
  }

  /** Drops a sink; whether there was one. */
  delete(name: string): boolean {
    return this.#sinks.delete(name.toLowerCase());
  }

  /** The sinks reading `relation`. */
  readersOf(relation: string): SinkSpec[] {
    const r = relation.toLowerCase();
    return [...this.#sinks.values()].filter((s) => s.from.toLowerCase() === r);
  }

  /** Every sink, sorted by name. */
  list(): SinkSpec[] {
    return [...this.#sinks.values()].sort(byName);
  }
}
