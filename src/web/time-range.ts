/** The page's time range: the last N minutes following the clock, or a fixed custom range. */

export interface RangeChoice {
  /** `last-5m`…, or `custom`. */
  readonly id: string;
  readonly from?: string;
  readonly to?: string;
}

export const PRESETS: readonly { id: string; label: string; ms: number }[] = [
  { id: 'last-5m', label: 'Last 5 minutes', ms: 5 * 60_000 },
  { id: 'last-15m', label: 'Last 15 minutes', ms: 15 * 60_000 },
  { id: 'last-1h', label: 'Last hour', ms: 3_600_000 },
  { id: 'last-6h', label: 'Last 6 hours', ms: 6 * 3_600_000 },
  { id: 'last-24h', label: 'Last 24 hours', ms: 24 * 3_600_000 },
];

/** The range's ends now, as ISO 8601 (a preset follows the clock; a minute ahead catches open windows). */
export function resolveRange(choice: RangeChoice, now: number): { from: string; to: string } {
  if (choice.id === 'custom' && choice.from !== undefined && choice.to !== undefined)
    return { from: choice.from, to: choice.to };
  const preset = PRESETS.find((p) => p.id === choice.id) ?? (PRESETS[2] as (typeof PRESETS)[number]);
  return { from: new Date(now - preset.ms).toISOString(), to: new Date(now + 60_000).toISOString() };
}

/** Reads `#token=…&from=…&to=…&range=…` of the page's URL. */
export function readFragment(hash: string): { token?: string; range?: RangeChoice } {
  const params = new URLSearchParams(hash.replace(/^#/, ''));
  const token = params.get('token') ?? undefined;
  const from = params.get('from');
  const to = params.get('to');
  const valid = (s: string | null) => s !== null && !Number.isNaN(Date.parse(s));
  const range: RangeChoice | undefined =
    valid(from) && valid(to)
      ? {
          id: 'custom',
          from: new Date(from as string).toISOString(),
          to: new Date(to as string).toISOString(),
        }
      : params.get('range') !== null
        ? { id: params.get('range') as string }
        : undefined;
  return { ...(token === undefined ? {} : { token }), ...(range === undefined ? {} : { range }) };
}

/** Whether a panel's SQL reads one of the relations an epoch changed. */
export function readsAny(sql: string, changed: readonly string[]): boolean {
  return changed.some((name) => new RegExp(`\\b${name.replace(/[^a-z0-9_]/gi, '')}\\b`, 'i').test(sql));
}
