import type { Engine } from '../engine/engine.ts';
import type { RecordOutput } from '../generator/drive.ts';
import type { LogRecord } from '../generator/record.ts';

/**
 * The built-in generator as a source: its records go into an engine relation (a source
 * declaring columns of the reference schema), with event time turned from milliseconds into the engine's
 * microseconds.
 */
export function generatorIntoEngine(engine: Engine, relation: string): RecordOutput {
  return {
    write(batch: readonly LogRecord[]) {
      engine.push(relation, batch.map(toSourceRecord));
    },
    close: async () => {},
  };
}

/**
 * A record as the engine takes it: by column name, so a source may declare the reference
 * columns in any order or a subset of them; event time in microseconds.
 */
export function toSourceRecord(r: LogRecord): Record<string, unknown> {
  return { ...r, request_timestamp: r.request_timestamp * 1000 };
}
