/**
 * The sinks' deliveries, each run from the moment its CREATE is committed until it is dropped,
 * woken by every commit of the store they read from.
 */

import type { SinkSpec } from '../engine/sink-catalog.ts';
import { byName } from '../sql/catalog.ts';
import type { ViewStore } from '../store/view-store.ts';
import type { RunningSink, SinkStatus } from './sink.ts';

/** A sink's definition, and which CREATE made it. */
export interface IdentifiedSink extends SinkSpec {
  readonly id: number;
}

export class SinkDeliveries {
  readonly #store: ViewStore;
  readonly #open: (sink: SinkSpec, store: ViewStore) => RunningSink;
  /** Deliveries by sink, each for the CREATE it was opened for. */
  readonly #running = new Map<string, { readonly id: number; readonly sink: RunningSink }>();
  #reconciled: Promise<void> = Promise.resolve();

  constructor(store: ViewStore, open: (sink: SinkSpec, store: ViewStore) => RunningSink) {
    this.#store = store;
    this.#open = open;
    store.onCommitted(() => {
      for (const r of this.#running.values()) r.sink.wake();
    });
  }

  /**
   * Brings the deliveries to the committed catalog's sinks: dropped sinks' stop, new ones'
   * start. `id` tells one CREATE from another of the same name.
   */
  reconcile(specs: readonly IdentifiedSink[]): Promise<void> {
    this.#reconciled = this.#reconciled.then(() => this.#reconcile(specs));
    return this.#reconciled;
  }

  async #reconcile(specs: readonly IdentifiedSink[]): Promise<void> {
    const byNameNow = new Map(specs.map((s) => [s.name, s]));
    for (const [name, r] of this.#running) {
      if (byNameNow.get(name)?.id === r.id) continue;
      this.#running.delete(name);
      await r.sink.stop();
    }
    for (const [name, spec] of byNameNow) {
      if (this.#running.has(name)) continue;
      const sink = this.#open(spec, this.#store);
      this.#running.set(name, { id: spec.id, sink });
      sink.start();
    }
  }

  /** How each sink's delivery is doing, sorted by name. */
  statuses(): SinkStatus[] {
    return [...this.#running.values()].map((r) => r.sink.status()).sort(byName);
  }

  async stop(): Promise<void> {
    await this.#reconciled;
    const now = [...this.#running.values()];
    this.#running.clear();
    await Promise.allSettled(now.map((r) => r.sink.stop()));
  }
}
