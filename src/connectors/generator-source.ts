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
      // By column name, so a source may declare the reference columns in any order or a subset of them.
      const rows = batch.map((r) => ({ ...r, request_timestamp: r.request_timestamp * 1000 }));
      engine.push(relation, rows);
    },
    close: async () => {},
  };
}
