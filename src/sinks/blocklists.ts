/**
 * The blocklist sinks running in this process, for the decisions API: each registers how to
 * read its blocks, and the API reads all of them.
 */
import type { BlockEntry } from './blocklist-state.ts';

export interface SinkBlock {
  readonly sink: string;
  readonly entry: BlockEntry;
}

export class Blocklists {
  readonly #sinks = new Map<string, () => readonly BlockEntry[]>();

  register(sink: string, entries: () => readonly BlockEntry[]): void {
    this.#sinks.set(sink, entries);
  }

  unregister(sink: string): void {
    this.#sinks.delete(sink);
  }

  /** Every block of every blocklist sink not ended by `now`. */
  active(now: number): SinkBlock[] {
    const out: SinkBlock[] = [];
    for (const [sink, entries] of this.#sinks)
      for (const entry of entries()) if (entry.until > now) out.push({ sink, entry });
    return out;
  }
}
