import type { LogRecord } from '../generator/record.ts';

/**
 * A record as the engine takes it: by column name, so a source may declare the reference
 * columns in any order or a subset of them; event time in microseconds.
 */
export function toSourceRecord(r: LogRecord): Record<string, unknown> {
  return { ...r, request_timestamp: r.request_timestamp * 1000 };
}

/** A generator record as logged (one JSON line) back as the engine takes it. */
export function fromJsonLine(line: string): Record<string, unknown> {
  const o = JSON.parse(line) as Record<string, unknown>;
  const t = o.request_timestamp;
  return { ...o, request_timestamp: typeof t === 'string' ? Date.parse(t) * 1000 : null };
}
