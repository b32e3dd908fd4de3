import type { LabelOutput, RecordOutput } from '../../src/generator/drive.ts';
import type { LogRecord } from '../../src/generator/record.ts';
import { type AttackLabel, TrafficGenerator, type TrafficOptions } from '../../src/generator/traffic.ts';

export const START = Date.parse('2024-01-25T12:00:00.000Z');

/** The first `count` records of a generator, and the labels of every episode they touched. */
export function generate(
  options: TrafficOptions,
  count: number,
): { records: LogRecord[]; labels: AttackLabel[] } {
  const generator = new TrafficGenerator(options);
  const records: LogRecord[] = [];
  for (let i = 0; i < count; i++) records.push(generator.next());
  return { records, labels: [...generator.takeLabels(), ...generator.finish()] };
}

/** Records of a generator until event time reaches `startMs + seconds`, with all labels. */
export function generateFor(
  options: TrafficOptions,
  seconds: number,
): { records: LogRecord[]; labels: AttackLabel[] } {
  const generator = new TrafficGenerator(options);
  const end = options.startMs + seconds * 1000;
  const records: LogRecord[] = [];
  while (generator.peekTime() < end) records.push(generator.next());
  return { records, labels: [...generator.takeLabels(), ...generator.finish()] };
}

export class MemoryOutput implements RecordOutput {
  readonly batches: LogRecord[][] = [];
  /** Wall-clock time (ms) at which each batch arrived. */
  readonly arrivals: number[] = [];
  closed = false;
  write(batch: readonly LogRecord[]): void {
    this.batches.push([...batch]);
    this.arrivals.push(Date.now());
  }
  async close(): Promise<void> {
    this.closed = true;
  }
  get records(): LogRecord[] {
    return this.batches.flat();
  }
}

export class MemoryLabels implements LabelOutput {
  readonly labels: AttackLabel[] = [];
  closed = false;
  write(labels: readonly AttackLabel[]): void {
    this.labels.push(...labels);
  }
  async close(): Promise<void> {
    this.closed = true;
  }
}

export function within(record: LogRecord, label: AttackLabel): boolean {
  return (
    record.request_timestamp >= Date.parse(label.start) && record.request_timestamp <= Date.parse(label.end)
  );
}

export function share<T>(items: readonly T[], predicate: (item: T) => boolean): number {
  let hits = 0;
  for (const item of items) if (predicate(item)) hits += 1;
  return hits / items.length;
}

export function quantile(sorted: readonly number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] as number;
}
