/** Numbers and times as people read them: 1.2k, 35 ms, 1.4 s, 73.6 %. */

export type Unit = 'ms' | 'percent' | 'count' | 'severity' | 'none';

const compact = new Intl.NumberFormat('en', { notation: 'compact', maximumFractionDigits: 1 });
const plain = new Intl.NumberFormat('en', { maximumFractionDigits: 2 });

/** A count: exact below 10,000, then compact (12.3k, 4.5M). */
export function formatCount(n: number): string {
  return Math.abs(n) < 10_000 ? plain.format(n) : compact.format(n).replace('K', 'k');
}

/** A duration in milliseconds: 35 ms, 1.4 s, 2.5 min. */
export function formatMs(ms: number): string {
  if (Math.abs(ms) < 1000) return `${plain.format(Math.round(ms * 10) / 10)} ms`;
  if (Math.abs(ms) < 60_000) return `${plain.format(Math.round(ms / 100) / 10)} s`;
  return `${plain.format(Math.round(ms / 6000) / 10)} min`;
}

export function formatValue(v: unknown, unit: Unit = 'none'): string {
  if (v === null || v === undefined) return '—';
  if (typeof v === 'number') {
    if (unit === 'ms') return formatMs(v);
    if (unit === 'percent') return `${plain.format(Math.round(v * 10) / 10)} %`;
    if (unit === 'count') return formatCount(v);
    return plain.format(v);
  }
  return String(v);
}

/** A timestamp column's ISO text (UTC, no zone) as a short local-free label: 12:03:45. */
export function formatTime(iso: string, withDate = false): string {
  const t = iso.replace('T', ' ');
  return withDate ? t.slice(0, 19) : t.slice(11, 19);
}

/** Milliseconds since 1970 of an ISO 8601 time the API wrote; one without a zone (a timestamp column's) is UTC. */
export function isoMillis(iso: string): number {
  return Date.parse(/T[^Z+-]*$/.test(iso) ? `${iso}Z` : iso);
}

/** How long ago, in words: 3 s ago, 2 min ago. */
export function formatAge(ms: number): string {
  if (ms < 1000) return 'just now';
  if (ms < 60_000) return `${Math.round(ms / 1000)} s ago`;
  if (ms < 3_600_000) return `${Math.round(ms / 60_000)} min ago`;
  return `${Math.round(ms / 3_600_000)} h ago`;
}
