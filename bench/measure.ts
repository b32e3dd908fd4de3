/** Shared timing helpers for benchmarks: best-of-N throughput, printed with a same-run baseline. */

export interface Throughput {
  readonly perSecond: number;
  readonly seconds: number;
}

/** Runs `work` (which handles `n` items) `rounds` times after a warm-up and keeps the fastest round. */
export async function bestOf(rounds: number, n: number, work: () => unknown): Promise<Throughput> {
  await work();
  let best = Number.POSITIVE_INFINITY;
  for (let i = 0; i < rounds; i++) {
    const t0 = performance.now();
    await work();
    best = Math.min(best, performance.now() - t0);
  }
  return { perSecond: (n * 1000) / best, seconds: best / 1000 };
}

export function formatRate(perSecond: number): string {
  return `${Math.round(perSecond).toLocaleString('en-US')}/s`;
}

export function report(rows: readonly (readonly [string, string])[]): void {
  const width = Math.max(...rows.map(([k]) => k.length)) + 2;
  for (const [k, v] of rows) console.log(`  ${k.padEnd(width)}${v}`);
}

/** The `p`th percentile (0–100) of `xs`, nearest rank; NaN when there is none. */
export function percentile(xs: readonly number[], p: number): number {
  if (xs.length === 0) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] as number;
}
