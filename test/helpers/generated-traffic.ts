/** The `tidewatch start` flags of the tests that feed it a seeded, finite run of the generator. */

export interface GeneratedTraffic {
  readonly seed: number;
  /** Events per second of simulated time, or `max`. */
  readonly rate: number | 'max';
  /** Where simulated time starts. */
  readonly start: Date;
  /** The generator stops after this many events. */
  readonly count: number;
  /** `--generator-attacks`; the generator's default when absent. */
  readonly attacks?: string;
}

/** Those flags, with no idle watermark (the test decides when input ends) and a quiet status line. */
export function generatedTraffic(t: GeneratedTraffic): string[] {
  return [
    '--generator-seed',
    String(t.seed),
    '--generator-rate',
    String(t.rate),
    '--generator-start',
    t.start.toISOString(),
    '--generator-count',
    String(t.count),
    ...(t.attacks === undefined ? [] : ['--generator-attacks', t.attacks]),
    '--idle-timeout',
    '0',
    '--status-interval',
    '600',
  ];
}

/** Where a test's simulated time starts: ten minutes ago, on a whole minute, so "last hour" holds it. */
export function tenMinutesAgo(): Date {
  return new Date(Math.floor((Date.now() - 10 * 60_000) / 60_000) * 60_000);
}
