/**
 * What the binder needs to know about relations. The engine implements `Catalog`;
 * `MemoryCatalog` is a plain map for tests and tools.
 */
import type { SqlType } from './types.ts';

export type RelationKind = 'source' | 'table' | 'view';

/** Orders catalog objects by name, code point by code point (how lists of them are shown). */
export function byName(a: { readonly name: string }, b: { readonly name: string }): number {
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

export interface CatalogColumn {
  readonly name: string;
  readonly type: SqlType;
}

export interface CatalogRelation {
  readonly name: string;
  readonly kind: RelationKind;
  readonly columns: readonly CatalogColumn[];
  /** Index of the watermark column of a source/table, if it has one. */
  readonly watermarkColumn?: number;
}

export interface Catalog {
  /** Looks a relation up by its (lower-case, possibly schema-qualified) name. */
  getRelation(name: string): CatalogRelation | undefined;
}

export class MemoryCatalog implements Catalog {
  private readonly relations = new Map<string, CatalogRelation>();

  constructor(relations: Iterable<CatalogRelation> = []) {
    for (const r of relations) this.add(r);
  }

  add(relation: CatalogRelation): this {
    this.relations.set(relation.name, Object.freeze(relation));
    return this;
  }

  remove(name: string): boolean {
    return this.relations.delete(name);
  }

  getRelation(name: string): CatalogRelation | undefined {
    const r = this.relations.get(name);
    if (r !== undefined) return r;
    const dot = name.lastIndexOf('.');
    if (dot >= 0 && (name.startsWith('public.') || name.startsWith('main.')))
      return this.relations.get(name.slice(dot + 1));
    return undefined;
  }

  list(): CatalogRelation[] {
    return [...this.relations.values()];
  }
}
