/**
 * `COPY table [(columns)] FROM STDIN`, as the PostgreSQL endpoint's sessions run it. Before
 * any data: the table, its columns, the options and the FORCE columns are checked, in
 * PostgreSQL 15's order and with its errors, and the relation must be a table (a view or a
 * source is refused as INSERT refuses it). Then the wire protocol hands over the client's
 * data; it is decoded (copy-decode.ts, copy-binary.ts) into typed rows (copy-rows.ts) as it
 * arrives, and only once all of it has arrived are the rows given to the table, at once: a
 * COPY that fails, is canceled, or whose client goes away applies nothing.
 */
import type { RelationInfo } from '../engine/engine.ts';
import type { CopyFromCommand } from '../sql/copy-statement.ts';
import { copyFromFormat } from '../sql/copy-statement.ts';
import { SqlError, SqlState } from '../sql/errors.ts';
import type { Row } from '../stream/value.ts';
import { CopyBinaryDecoder } from './copy-binary.ts';
import { CopyTextDecoder } from './copy-decode.ts';
import { CopyBinaryRows, type CopyColumn, type CopyTarget, CopyTextRows } from './copy-rows.ts';
import type { PgQueryResult } from './pgwire/backend.ts';
import { queryCanceled } from './pgwire/errors.ts';

/** A CancelRequest's message: such an error comes between lines, not while one is read. */
const CANCELED = queryCanceled().message;

export interface CopyFromDeps {
  /** The engine's sources, tables and views. */
  readonly relations: () => readonly RelationInfo[];
  /** Inserts full rows (the table's column order) as INSERT does; resolves with their number. */
  readonly insertRows: (table: string, rows: readonly Row[]) => Promise<number>;
}

/** A relation's name as the engine matches it: case folded, `public.` / `main.` dropped. */
function normalized(name: string): string {
  const n = name.toLowerCase();
  return n.startsWith('public.') ? n.slice(7) : n.startsWith('main.') ? n.slice(5) : n;
}

/** PostgreSQL's CopyGetAttnums: the columns named, each once, as indexes into `columns`. */
function columnIndexes(names: readonly string[], columns: readonly CopyColumn[], relation: string): number[] {
  const out: number[] = [];
  for (const name of names) {
    const i = columns.findIndex((c) => c.name === name);
    if (i < 0)
      throw new SqlError(
        SqlState.undefinedColumn,
        `column "${name}" of relation "${relation}" does not exist`,
      );
    if (out.includes(i)) throw new SqlError('42701', `column "${name}" specified more than once`);
    out.push(i);
  }
  return out;
}

/** Per field of a line: whether the FORCE option lists its column. Every column listed must be copied. */
function forceFlags(option: string, names: readonly string[], target: CopyTarget): readonly boolean[] {
  const listed = columnIndexes(names, target.columns, target.relation);
  for (const c of listed)
    if (!target.fields.includes(c))
      throw new SqlError(
        '42P10',
        `${option} column "${(target.columns[c] as CopyColumn).name}" not referenced by COPY`,
      );
  return target.fields.map((c) => listed.includes(c));
}

/**
 * The result that runs `copy`: checked now (throws SqlError), the data taken when the wire
 * protocol hands it over (PgQueryResult.copyIn).
 */
export function copyFrom(copy: CopyFromCommand, deps: CopyFromDeps): PgQueryResult {
  const wanted = normalized(copy.table);
  const rel = deps.relations().find((r) => normalized(r.name) === wanted);
  if (rel === undefined)
    throw new SqlError(SqlState.undefinedTable, `relation "${copy.table}" does not exist`);
  const columns = rel.columns;
  const fields =
    copy.columns === undefined ? columns.map((_, i) => i) : columnIndexes(copy.columns, columns, rel.name);
  const format = copyFromFormat(copy.options);
  const target: CopyTarget = { relation: rel.name, columns, fields };
  const forceNotNull = forceFlags('FORCE_NOT_NULL', format.forceNotNull, target);
  const forceNull = forceFlags('FORCE_NULL', format.forceNull, target);
  // As INSERT refuses it (the engine's words): only a table takes rows from a client.
  if (rel.kind !== 'table')
    throw new SqlError(SqlState.wrongObjectType, `cannot insert into ${rel.kind} "${rel.name}"`);
  const binary = format.format === 'binary';
  return {
    tag: 'COPY',
    copyIn: {
      format: binary ? 'binary' : 'text',
      columns: fields.length,
      async receive(data) {
        let rows: Row[];
        let decoder: CopyTextDecoder | CopyBinaryDecoder;
        if (binary) {
          const sink = new CopyBinaryRows(target);
          const names = fields.map((c) => (columns[c] as CopyColumn).name);
          decoder = new CopyBinaryDecoder(names, sink, rel.name);
          rows = sink.rows;
        } else {
          const csv = format.format === 'csv';
          const sink = new CopyTextRows(target, { csv, null: format.null, forceNotNull, forceNull });
          decoder = new CopyTextDecoder({ ...format, csv }, sink, rel.name);
          rows = sink.rows;
        }
        // Read to the end (CopyDone) before applying anything: a CopyFail may still come.
        try {
          for await (const chunk of data) decoder.write(chunk);
        } catch (e) {
          // The data stream's own errors (CopyFail, a cancel, a message out of place) get the
          // context PostgreSQL gives them: where reading had got to.
          if (!(e instanceof SqlError) || e.where !== undefined) throw e;
          const where = e.message === CANCELED ? decoder.currentContext() : decoder.readingContext();
          throw where === undefined
            ? e
            : new SqlError(e.sqlstate, e.message, undefined, { detail: e.detail, hint: e.hint, where });
        }
        decoder.end();
        return deps.insertRows(rel.name, rows);
      },
    },
  };
}
