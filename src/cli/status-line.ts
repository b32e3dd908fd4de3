/** Counts events and tells the rate over the last few seconds. */
export class RateMeter {
  private readonly samples: { at: number; total: number }[] = [];
  private readonly windowMs: number;
  private readonly now: () => number;
  total = 0;

  constructor(windowMs = 3000, now: () => number = () => performance.now()) {
    this.windowMs = windowMs;
    this.now = now;
    this.samples.push({ at: now(), total: 0 });
  }

  add(n: number): void {
    this.total += n;
  }

  /** Events per second over the window, sampled at each call. */
  perSecond(): number {
    const at = this.now();
    this.samples.push({ at, total: this.total });
    while (this.samples.length > 2 && at - (this.samples[1] as { at: number }).at >= this.windowMs) {
      this.samples.shift();
    }
    const first = this.samples[0] as { at: number; total: number };
    const seconds = (at - first.at) / 1000;
    return seconds > 0 ? (this.total - first.total) / seconds : 0;
  }
}

/**
 * Events admitted into sources by this process, whatever fed them (the generator, files,
 * stdin, Kafka, HTTP posts), from running totals per source that may include what a start
 * restored: only their growth counts, and a dropped source takes nothing back.
 */
export class IntakeCounter {
  readonly meter = new RateMeter();
  readonly #seen = new Map<string, number>();

  constructor(totals: Iterable<readonly [string, number]>) {
    for (const [source, total] of totals) this.#seen.set(source, total);
  }

  /** Takes the sources' current totals; returns the events admitted since the start. */
  update(totals: Iterable<readonly [string, number]>): number {
    const present = new Set<string>();
    for (const [source, total] of totals) {
      present.add(source);
      const before = this.#seen.get(source) ?? 0;
      if (total > before) this.meter.add(total - before);
      this.#seen.set(source, total);
    }
    for (const source of this.#seen.keys()) if (!present.has(source)) this.#seen.delete(source);
    return this.meter.total;
  }
}

const grouped = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });

export function formatCount(n: number): string {
  return grouped.format(n);
}

export function formatUptime(ms: number): string {
  const s = Math.floor(ms / 1000);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${pad(Math.floor(s / 3600))}:${pad(Math.floor(s / 60) % 60)}:${pad(s % 60)}`;
}

/**
 * Writes a status line: on a terminal it rewrites one line in place; elsewhere (a log file,
 * a pipe) it appends a line each time.
 */
export class StatusLine {
  private shown = false;
  private readonly stream: NodeJS.WriteStream;

  constructor(stream: NodeJS.WriteStream) {
    this.stream = stream;
  }

  get interactive(): boolean {
    return this.stream.isTTY === true;
  }

  show(text: string): void {
    if (this.interactive) {
      const width = this.stream.columns ?? 120;
      this.stream.write(`\r${text.slice(0, width - 1)}\x1b[K`);
      this.shown = true;
    } else {
      this.stream.write(`${text}\n`);
    }
  }

  /** Ends the rewritten line so that what is printed next starts on its own line. */
  done(): void {
    if (this.shown) this.stream.write('\n');
    this.shown = false;
  }
}
