import type { LogRecord } from '../generator/record.ts';

/**
 * A record as the engine takes it: by column name, so a source may declare the reference
 * columns in any order or a subset of them; event time in microseconds.
 */
export function toSourceRecord(r: LogRecord): Record<string, unknown> {
  return { ...r, request_timestamp: r.request_timestamp * 1000 };
}
