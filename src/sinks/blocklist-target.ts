/**
 * The blocklist sink: detections made into an IP deny list. A firing alert blocks the address
 * in its IP column for `duration` from its commit (a later one extends the block); a resolved
 * alert unblocks it early only with `unblock_on_resolve`. Addresses the allow-list table allows
 * are never blocked, and unblocked when the allow-list comes to allow them.
 *
 * The list is kept in the data directory (`blocklists/<sink>.json`), written before a batch
 * counts as delivered: a crash before the store's acknowledgement delivers the batch again,
 * which changes nothing, as blocks are functions of the detections' commit times. A sink the
 * store has no progress of yet starts from an empty list (its whole queue is still there).
 * Each change, and every expiry (looked at every second), rewrites the files atomically.
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import { writeFileAtomically } from '../store/atomic-file.ts';
import { type Row, rowKey } from '../stream/value.ts';
import type { SinkMessage } from './alert-stream.ts';
import { readAllowlist } from './allowlist-table.ts';
import { type BlocklistFiles, writeBlocklistFiles } from './blocklist-files.ts';
import {
  alertResolved,
  type BlocklistState,
  block,
  countAllowed,
  countIgnored,
  EMPTY_BLOCKLIST,
  prune,
} from './blocklist-state.ts';
import type { Blocklists } from './blocklists.ts';
import { type AllowList, parseIp } from './ip-address.ts';
import type { BlocklistConfig } from './sink-options.ts';
import type { DeliveryResult, SinkTarget } from './target.ts';

/** How often blocks are looked at for expiry and the allow-list for changes. */
const EXPIRY_TICK_MS = 1000;

export interface BlocklistTargetOptions {
  readonly sink: string;
  readonly config: BlocklistConfig;
  /** Column indexes naming an alert (the sink's primary key). */
  readonly primaryKey: readonly number[];
  readonly dataDir: string;
  /** The store has acknowledged nothing of this sink yet. */
  readonly fresh: boolean;
  readonly connectReader: () => Promise<DuckDBConnection>;
  readonly registry: Blocklists | undefined;
  /** Reports a failure of the expiry timer (a delivery's failures are the delivery's). */
  readonly onError: (message: string) => void;
}

/** Where a sink's block list is kept in the data directory. */
export function blocklistStatePath(dataDir: string, sink: string): string {
  return join(dataDir, 'blocklists', `${encodeURIComponent(sink)}.json`);
}

export class BlocklistTarget implements SinkTarget {
  readonly #o: BlocklistTargetOptions;
  readonly #files: BlocklistFiles;
  readonly #statePath: string;
  #state: BlocklistState;
  #conn: DuckDBConnection | undefined;
  /** Deliveries and expiry ticks, one at a time. */
  #busy: Promise<unknown> = Promise.resolve();
  #timer: NodeJS.Timeout | undefined;
  /** The files were written from the current state. */
  #written = false;
  #lastTickError: string | undefined;

  constructor(options: BlocklistTargetOptions) {
    this.#o = options;
    const c = options.config;
    this.#files = {
      ...(c.nginxPath === undefined ? {} : { nginxPath: c.nginxPath }),
      ...(c.listPath === undefined ? {} : { listPath: c.listPath }),
      ...(c.ipsetPath === undefined ? {} : { ipsetPath: c.ipsetPath }),
      ipsetName: c.ipsetName,
      ipsetTimeout: Math.max(1, Math.ceil(c.durationMs / 1000)),
    };
    this.#statePath = blocklistStatePath(options.dataDir, options.sink);
    this.#state =
      !options.fresh && existsSync(this.#statePath)
        ? (JSON.parse(readFileSync(this.#statePath, 'utf8')) as BlocklistState)
        : EMPTY_BLOCKLIST;
    options.registry?.register(options.sink, () => this.#state.entries);
    this.#timer = setInterval(() => this.#tick(), EXPIRY_TICK_MS);
    this.#timer.unref();
    this.#tick();
  }

  stats(): Readonly<Record<string, number>> {
    return {
      blocked: this.#state.entries.length,
      ignored: this.#state.ignored,
      allowed: this.#state.allowed,
    };
  }

  deliver(messages: readonly SinkMessage[]): Promise<DeliveryResult> {
    return this.#exclusive(async () => {
      try {
        const allow = await this.#allowlist();
        let state = this.#state;
        for (const m of messages) state = this.#apply(state, m, allow);
        this.#commit(prune(state, Date.now(), allow));
        return { delivered: messages.length };
      } catch (e) {
        return { delivered: 0, failure: { retry: true, reason: (e as Error).message } };
      }
    });
  }

  async close(): Promise<void> {
    clearInterval(this.#timer);
    this.#timer = undefined;
    this.#o.registry?.unregister(this.#o.sink);
    await this.#busy;
    this.#conn?.closeSync();
    this.#conn = undefined;
  }

  #exclusive<T>(work: () => Promise<T>): Promise<T> {
    const run = this.#busy.then(work, work);
    this.#busy = run.catch(() => undefined);
    return run;
  }

  #apply(state: BlocklistState, m: SinkMessage, allow: AllowList | undefined): BlocklistState {
    const c = this.#o.config;
    const value = m.row[c.ipColumn];
    const ip = typeof value === 'string' ? parseIp(value) : undefined;
    if (ip === undefined) return countIgnored(state);
    const alert = c.unblockOnResolve
      ? rowKey(this.#o.primaryKey.map((i) => (m.row as Row)[i] ?? null))
      : undefined;
    if (m.status === 'resolved') return alert === undefined ? state : alertResolved(state, ip, alert);
    if (allow?.allows(ip) === true) return countAllowed(state);
    const named = c.scenarioColumn === undefined ? undefined : m.row[c.scenarioColumn];
    const scenario = typeof named === 'string' ? named : this.#o.sink;
    return block(state, this.#o.sink, { ip, scenario, alert, at: m.committedAt }, c.durationMs);
  }

  /** Keeps `state`: the list in the data directory first, then the files from it. */
  #commit(state: BlocklistState): void {
    if (state !== this.#state || !existsSync(this.#statePath)) {
      mkdirSync(join(this.#o.dataDir, 'blocklists'), { recursive: true });
      writeFileAtomically(this.#statePath, `${JSON.stringify(state)}\n`);
    }
    const changed = state.entries !== this.#state.entries;
    this.#state = state;
    if (changed || !this.#written) {
      this.#written = false;
      writeBlocklistFiles(this.#o.sink, this.#files, state.entries, Date.now());
      this.#written = true;
    }
  }

  async #allowlist(): Promise<AllowList | undefined> {
    const source = this.#o.config.allowlist;
    if (source === undefined) return undefined;
    this.#conn ??= await this.#o.connectReader();
    return readAllowlist(this.#conn, source);
  }

  /** Ends the blocks that ran out and those the allow-list allows now, and rewrites the files. */
  #tick(): void {
    void this.#exclusive(async () => {
      if (this.#timer === undefined) return;
      try {
        const now = Date.now();
        const state = this.#state;
        const due = state.entries.some((e) => e.until <= now);
        const allow = state.entries.length > 0 ? await this.#allowlist() : undefined;
        if (due || allow !== undefined || !this.#written) this.#commit(prune(state, now, allow));
        this.#lastTickError = undefined;
      } catch (e) {
        const message = (e as Error).message;
        if (message !== this.#lastTickError) this.#o.onError(message);
        this.#lastTickError = message;
      }
    });
  }
}
