/**
 * How long callbacks waited for the event loop — the thread that runs the engine, the commits'
 * preparation and every client's requests — in the last whole minute (the current one until
 * the first minute ends): what an endpoint query waits behind an epoch's work.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';

const MINUTE_MS = 60_000;

export interface EventLoopDelayFigures {
  readonly p50_ms: number | null;
  readonly p99_ms: number | null;
  readonly max_ms: number | null;
}

export class EventLoopDelay {
  readonly #histogram = monitorEventLoopDelay({ resolution: 10 });
  #last: EventLoopDelayFigures | undefined;
  readonly #timer: NodeJS.Timeout;

  constructor() {
    this.#histogram.enable();
    this.#timer = setInterval(() => {
      this.#last = this.#read();
      this.#histogram.reset();
    }, MINUTE_MS);
    this.#timer.unref();
  }

  figures(): EventLoopDelayFigures {
    return this.#last ?? this.#read();
  }

  close(): void {
    clearInterval(this.#timer);
    this.#histogram.disable();
  }

  #read(): EventLoopDelayFigures {
    const h = this.#histogram;
    if (h.count === 0) return { p50_ms: null, p99_ms: null, max_ms: null };
    const ms = (ns: number) => Math.round(ns / 1e5) / 10;
    return { p50_ms: ms(h.percentile(50)), p99_ms: ms(h.percentile(99)), max_ms: ms(h.max) };
  }
}
