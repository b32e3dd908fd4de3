/**
 * Query results shared by all client sessions until the store changes. A view changes only
 * when an epoch commits, and dashboards ask the same queries again and again between commits
 * (every viewer, every refresh): the second asker gets the first one's rows. Keyed by the
 * store's version (it moves with every write transaction), the query text and its parameters.
 * Queries whose answer depends on more than the store — the clock, chance, the session, the
 * catalog or the sources' ingestion — are never kept.
 */
import { bigintReplacer, type SqlType, type Value } from '../sql/types.ts';
import type { PgColumn } from './pgwire/backend.ts';

export interface CachedResult {
  readonly columns: readonly PgColumn[];
  readonly rows: readonly (readonly Value[])[];
}

/** Functions and relations whose answers the store's contents alone do not decide. */
const UNCACHEABLE =
  /\b(now|current_timestamp|current_date|current_time|localtime|localtimestamp|clock_timestamp|statement_timestamp|transaction_timestamp|timeofday|random|setseed|gen_random_uuid|uuid|current_setting|current_user|session_user|user|current_role|current_schema|current_schemas|current_database|current_catalog|version|pg_\w+|information_schema|rw_\w+|tidewatch_source_ingestion|tidewatch_sinks|inet_\w+|txid_\w+)\b/i;

/** Answers that depend on who asks. */
const ASKER_DEPENDENT = /\bhas_\w+_privilege\b/i;

const MAX_ENTRIES = 512;
const MAX_ROWS = 200_000;

export class ResultCache {
  readonly #version: () => number;
  #at = -1;
  #rows = 0;
  readonly #entries = new Map<string, CachedResult>();

  /** `version`: a number that changes whenever what queries read may have changed. */
  constructor(version: () => number) {
    this.#version = version;
  }

  /** Whether a query's answer may be kept. */
  static cacheable(sql: string): boolean {
    return !UNCACHEABLE.test(sql) && !ASKER_DEPENDENT.test(sql);
  }

  /** The key of a query with its parameters, at the store's version of now. */
  key(sql: string, params: readonly Value[], types: readonly SqlType[]): string {
    return `${this.#version()}\u0000${sql}\u0000${JSON.stringify(params, bigintReplacer)}\u0000${JSON.stringify(types)}`;
  }

  get(key: string): CachedResult | undefined {
    this.#forgetOldVersions();
    const hit = this.#entries.get(key);
    if (hit !== undefined) {
      this.#entries.delete(key);
      this.#entries.set(key, hit); // most recently used last
    }
    return hit;
  }

  set(key: string, result: CachedResult): void {
    this.#forgetOldVersions();
    if (!key.startsWith(`${this.#at}\u0000`) || result.rows.length > MAX_ROWS / 4) return;
    this.#entries.set(key, result);
    this.#rows += result.rows.length;
    for (const [k, r] of this.#entries) {
      if (this.#entries.size <= MAX_ENTRIES && this.#rows <= MAX_ROWS) break;
      this.#entries.delete(k);
      this.#rows -= r.rows.length;
    }
  }

  #forgetOldVersions(): void {
    const now = this.#version();
    if (now === this.#at) return;
    this.#at = now;
    this.#entries.clear();
    this.#rows = 0;
  }
}
