/**
 * `COPY table [(columns)] FROM STDIN`, as the PostgreSQL endpoint's sessions run it. Before
 * any data: the table, its columns, the options and the FORCE columns are checked, in
 * PostgreSQL 15's order and with its errors, and the relation must be a table (a view or a
 * source is refused as INSERT refuses it). Then the wire protocol hands over the client's
 * data; it is decoded (copy-decode.ts, copy-binary.ts) into typed rows (copy-rows.ts) as it
 * arrives, and only once all of it has arrived are the rows given to the table, at once: a
 * COPY that fails, is canceled, or whose client goes away applies nothing.
 */
import type { CopyReader } from '../connectors/table-log.ts';
import type { RelationInfo, WrittenAs } from '../engine/engine.ts';
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
  /**
   * Inserts full rows (the table's column order) as INSERT does, with the COPY they were read
   * from; resolves with their number.
   */
  readonly insertRows: (table: string, rows: readonly Row[], writtenAs: WrittenAs) => Promise<number>;
  /**
   * Reads the data where the engine is instead (`tidewatch start`'s engine thread, which runs
   * this same `copyFrom` on its own relations): the chunks go there as they come, and its
   * answer (the rows, or the error with its context) is this COPY's. Without it, the data is
   * read here.
   */
  readonly readElsewhere?: (copy: CopyFromCommand, data: AsyncIterable<Buffer>) => Promise<number>;
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

/** A COPY checked against its table, ready to read data. */
interface PreparedCopy {
  readonly rel: RelationInfo;
  readonly columns: readonly CopyColumn[];
  readonly fields: readonly number[];
  readonly format: ReturnType<typeof copyFromFormat>;
  readonly target: CopyTarget;
  readonly forceNotNull: readonly boolean[];
  readonly forceNull: readonly boolean[];
}

/** Checks `copy` against the relations, in PostgreSQL 15's order and with its errors (throws SqlError). */
function prepare(copy: CopyFromCommand, relations: readonly RelationInfo[]): PreparedCopy {
  const wanted = normalized(copy.table);
  const rel = relations.find((r) => normalized(r.name) === wanted);
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
  return { rel, columns, fields, format, target, forceNotNull, forceNull };
}

/** A decoder of the COPY's data and the rows it gathers. */
function decoderOf(p: PreparedCopy): { decoder: CopyTextDecoder | CopyBinaryDecoder; rows: Row[] } {
  if (p.format.format === 'binary') {
    const sink = new CopyBinaryRows(p.target);
    const names = p.fields.map((c) => (p.columns[c] as CopyColumn).name);
    return { decoder: new CopyBinaryDecoder(names, sink, p.rel.name), rows: sink.rows };
  }
  const csv = p.format.format === 'csv';
  const sink = new CopyTextRows(p.target, {
    csv,
    null: p.format.null,
    forceNotNull: p.forceNotNull,
    forceNull: p.forceNull,
  });
  return { decoder: new CopyTextDecoder({ ...p.format, csv }, sink, p.rel.name), rows: sink.rows };
}

/** The rows a COPY read from `data` (the DML log's replay of it): what `receive` gave the table. */
export const readCopyRows: CopyReader = (copy, data, relations) => {
  const p = prepare(copy, relations);
  const { decoder, rows } = decoderOf(p);
  decoder.write(Buffer.from(data.buffer, data.byteOffset, data.byteLength));
  decoder.end();
  return { table: p.rel.name, rows };
};

/**
 * The result that runs `copy`: checked now (throws SqlError), the data taken when the wire
 * protocol hands it over (PgQueryResult.copyIn).
 */
export function copyFrom(copy: CopyFromCommand, deps: CopyFromDeps): PgQueryResult {
  const prepared = prepare(copy, deps.relations());
  return {
    tag: 'COPY',
    copyIn: {
      format: prepared.format.format === 'binary' ? 'binary' : 'text',
      columns: prepared.fields.length,
      async receive(data) {
        if (deps.readElsewhere !== undefined) return deps.readElsewhere(copy, data);
        const { decoder, rows } = decoderOf(prepared);
        const received: Buffer[] = [];
        // Read to the end (CopyDone) before applying anything: a CopyFail may still come.
        try {
          for await (const chunk of data) {
            decoder.write(chunk);
            received.push(chunk);
          }
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
        return deps.insertRows(prepared.rel.name, rows, { kind: 'copy', command: copy, data: received });
      },
    },
  };
}
