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
