import type { DriveOptions } from '../generator/drive.ts';
import { type AttackRequest, parseAttackList, SCENARIOS, type TrafficOptions } from '../generator/traffic.ts';

/** `--attack` values: scenario names with optional rates (`brute-force,scan:20`), or `all`/`none`. */
export function parseAttackItem(text: string): readonly string[] {
  if (text === '' || text === 'none' || text === 'all') return text === '' ? [] : [text];
  parseAttackList(text);
  return [text];
}

export function attacksFrom(items: readonly string[]): AttackRequest[] {
  if (items.includes('none')) return [];
  if (items.includes('all')) return SCENARIOS.map((scenario) => ({ scenario }));
  return parseAttackList(items.join(','));
}

export function parseSeed(text: string): string {
  if (!/^\d{1,15}$/.test(text)) throw new Error(`"${text}" is not a non-negative integer`);
  return text;
}

export function seedFrom(text: string): number {
  return text === '' ? Math.floor(Math.random() * 2 ** 32) : Number(text);
}

export function parseTime(text: string): string {
  if (!/^\d{4}-\d\d-\d\d([T ]\d\d:\d\d(:\d\d(\.\d+)?)?)?(Z|[+-]\d\d:?\d\d)?$/.test(text)) {
    throw new Error(`"${text}" is not an ISO 8601 time such as 2024-01-25T12:00:00Z`);
  }
  const zoned = /(Z|[+-]\d\d:?\d\d)$/.test(text) || text.length === 10 ? text : `${text}Z`;
  if (Number.isNaN(Date.parse(zoned))) throw new Error(`"${text}" is not a valid time`);
  return zoned;
}

/**
 * How the generator's clock runs, from `--rate` (N or max), `--start` ('' = the wall clock)
 * and `--speedup` (N or max). On the wall clock, `--rate max` is unpaced and each record
 * carries the time it is made at; in simulated time, max (either) is unpaced and records are
 * spaced at the default rate.
 */
export function generatorClock(
  rate: string,
  start: string,
  speedup: string,
): { traffic: Pick<TrafficOptions, 'rate' | 'startMs' | 'clock'>; speedup: DriveOptions['speedup'] } {
  const simulated = start !== '';
  const traffic = {
    rate: rate === 'max' ? 200 : Number(rate),
    startMs: simulated ? Date.parse(start) : Date.now(),
    ...(rate === 'max' && !simulated ? { clock: Date.now } : {}),
  };
  if (rate === 'max' || speedup === 'max') return { traffic, speedup: 'max' };
  return { traffic, speedup: simulated ? Number(speedup) : 1 };
}
