/**
 * The views of the main thread's engine and those other threads computed (their rows handed
 * over at the end), read as one: a view is the engine's unless a thread's contents name it.
 */
import type { SqlType } from '../sql/types.ts';
import type { Row } from '../stream/value.ts';
import type { Views } from './report.ts';

/** A view's columns and rows, as a thread hands them over (plain data). */
export interface ViewContents {
  readonly columns: readonly { readonly name: string; readonly type: SqlType }[];
  /** Sorted, as `Engine.rows` gives them. */
  readonly rows: Row[];
}

export class CombinedViews implements Views {
  readonly #main: Views;
  readonly #others: ReadonlyMap<string, ViewContents>;

  constructor(main: Views, others: readonly Readonly<Record<string, ViewContents>>[]) {
    this.#main = main;
    this.#others = new Map(others.flatMap((views) => Object.entries(views)));
  }

  getRelation(name: string): { readonly columns: readonly { name: string; type: SqlType }[] } | undefined {
    return this.#others.get(name) ?? this.#main.getRelation(name);
  }

  rows(name: string): Row[] {
    const other = this.#others.get(name);
    return other === undefined ? this.#main.rows(name) : [...other.rows];
  }
}
