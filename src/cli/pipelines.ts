import { readFileSync } from 'node:fs';
import type { Engine } from '../engine/engine.ts';
import { describePosition, SqlError } from '../sql/errors.ts';

/** Applies SQL files to the engine in order; a failing statement is reported with its file, line and column. */
export async function applyPipelines(engine: Engine, files: readonly string[]): Promise<void> {
  for (const file of files) {
    const sql = readFileSync(file, 'utf8');
    try {
      await engine.execute(sql);
    } catch (error) {
      if (!(error instanceof SqlError)) throw error;
      const where = error.position === undefined ? '' : `:${describePosition(sql, error.position)}`;
      throw new PipelineError(`${file}${where}: ${error.message} (SQLSTATE ${error.sqlstate})`);
    }
  }
}

export class PipelineError extends Error {
  override readonly name = 'PipelineError';
}
