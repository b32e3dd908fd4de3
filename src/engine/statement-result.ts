import type { PlanColumn } from '../sql/plan.ts';
import type { Row } from '../stream/value.ts';
import type { ResultColumn } from './catalog.ts';

/** What a statement returns: a command tag, and columns + rows for queries. */
export interface StatementResult {
  /** `CREATE_MATERIALIZED_VIEW`, `INSERT`, `SELECT`, `SHOW`, … */
  readonly tag: string;
  /** Rows affected (DML) or returned (queries). */
  readonly rowCount?: number;
  readonly columns?: readonly ResultColumn[];
  readonly rows?: readonly Row[];
  /** E.g. "relation … already exists, skipping". */
  readonly notice?: string;
}

/** A plan's output columns as a result's. */
export function resultColumns(cols: readonly PlanColumn[]): ResultColumn[] {
  return cols.map((c) => ({ name: c.name, type: c.type }));
}
