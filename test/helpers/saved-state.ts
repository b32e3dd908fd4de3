/**
 * The state a stopped tidewatch committed (`tidewatch_state`: the catalog history, the dataflow's
 * header and operators' names; `tidewatch_operator_state`: their states by operator index), read
 * and written back as an older tidewatch would have left it: a view defined otherwise, a binder
 * that built a view's operators otherwise, no record of what the pipelines made.
 */
import { join } from 'node:path';
import { deserialize, serialize } from 'node:v8';
import { DuckDBBlobValue, DuckDBInstance } from '@duckdb/node-api';
import type { SavedState } from '../../src/runtime/saved-state.ts';

/** Rewrites the committed state; `removeOperator`: the index of an operator to take out, its records too. */
export async function editSavedState(
  dataDir: string,
  edit: (state: SavedState) => SavedState,
  removeOperator?: (names: readonly string[]) => number,
): Promise<void> {
  const instance = await DuckDBInstance.create(join(dataDir, 'tidewatch.duckdb'));
  const conn = await instance.connect();
  try {
    const row = (await conn.runAndReadAll('SELECT epoch, state FROM tidewatch_state')).getRows()[0];
    const blob = row?.[1] as DuckDBBlobValue;
    let state = edit(deserialize(blob.bytes) as SavedState);
    if (removeOperator !== undefined) {
      const ops = [...(state.engine.dataflow as { name: string }[])];
      const at = removeOperator(ops.slice(1).map((op) => op.name));
      ops.splice(at + 1, 1);
      const header = ops[0] as unknown as { operators: number };
      ops[0] = { ...header, operators: header.operators - 1 } as never;
      state = { ...state, engine: { ...state.engine, dataflow: ops } };
      await conn.run('DELETE FROM tidewatch_operator_state WHERE operator = $1', [at]);
      await conn.run('UPDATE tidewatch_operator_state SET operator = operator - 1 WHERE operator > $1', [at]);
    }
    await conn.run('UPDATE tidewatch_state SET state = $1', [new DuckDBBlobValue(serialize(state))]);
  } finally {
    conn.closeSync();
    instance.closeSync();
  }
}

/** The committed catalog history with the CREATE MATERIALIZED VIEW `name` is defined by now replaced by `edit` of it. */
export function withDefinition(state: SavedState, name: string, edit: (text: string) => string): SavedState {
  const create = new RegExp(`^CREATE MATERIALIZED VIEW (IF NOT EXISTS )?${name} AS`);
  const at = state.engine.catalog.findLastIndex((sql) => create.test(sql));
  if (at < 0) throw new Error(`no CREATE of ${name} in the catalog history`);
  const catalog = state.engine.catalog.map((sql, i) => (i === at ? edit(sql) : sql));
  return { ...state, engine: { ...state.engine, catalog } };
}

/** The state as a tidewatch that did not record which relations its pipelines made wrote it. */
export function withoutOrigins(state: SavedState): SavedState {
  const { pipelines: _, ...rest } = state;
  return rest;
}
