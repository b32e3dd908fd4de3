/**
 * The extended query protocol of one session: prepared statements (Parse, Close) and portals
 * (Bind, Execute with a row limit and PortalSuspended, Close), Describe of either; a COPY TO
 * STDOUT result goes out as COPY data, whole; a COPY FROM STDIN takes the client's. Errors are thrown as SqlError; the connection
 * answers them and skips to the next Sync.
 *
 * As in PostgreSQL, portals live until the transaction ends: at Sync outside a transaction
 * block (autocommit) they are all dropped; statements live until closed.
 */
import { SqlError } from '../../sql/errors.ts';
import type { SqlType, Value } from '../../sql/types.ts';
import type { PgColumn, PgQueryResult } from './backend.ts';
import {
  bindComplete,
  closeComplete,
  commandComplete,
  emptyQueryResponse,
  noData,
  parameterDescription,
  parseComplete,
  portalSuspended,
} from './backend-messages.ts';
import { completionTag, statusAfter } from './command-tag.ts';
import { receiveCopyIn } from './copy-in.ts';
import { sendCopyOut } from './copy-out.ts';
import { PgState } from './errors.ts';
import type { FrontendMessage } from './frontend-messages.ts';
import type { QueryContext } from './query-context.ts';
import { describeRows, queueNotices, sendRows } from './results.ts';
import { typeOfOid, typeOid } from './type-oids.ts';
import { decodeParam, expandFormats } from './value-codec.ts';

interface PreparedStatement {
  readonly sql: string;
  readonly paramTypes: readonly SqlType[];
  readonly columns: readonly PgColumn[] | undefined;
  readonly empty: boolean;
}

interface Portal {
  readonly name: string;
  readonly statement: PreparedStatement;
  readonly params: readonly Value[];
  readonly formats: readonly number[];
  result: PgQueryResult | undefined;
  /** Index of the next row to send. */
  next: number;
}

/** A parameter declared `unknown` is one the client leaves to the server, like OID 0. */
const UNKNOWN_OID = 705;

type Message<K extends FrontendMessage['kind']> = Extract<FrontendMessage, { kind: K }>;

function statementLabel(name: string): string {
  return name === '' ? 'unnamed prepared statement' : `prepared statement "${name}"`;
}

export class ExtendedQuery {
  readonly #ctx: QueryContext;
  readonly #statements = new Map<string, PreparedStatement>();
  readonly #portals = new Map<string, Portal>();

  constructor(ctx: QueryContext) {
    this.#ctx = ctx;
  }

  async parse(m: Message<'Parse'>): Promise<void> {
    if (m.statement !== '' && this.#statements.has(m.statement))
      throw new SqlError(
        PgState.duplicatePreparedStatement,
        `prepared statement "${m.statement}" already exists`,
      );
    const declared = m.paramTypeOids.map((oid): SqlType | undefined => {
      if (oid === 0 || oid === UNKNOWN_OID) return undefined;
      const t = typeOfOid(oid);
      if (t === undefined)
        throw new SqlError(PgState.featureNotSupported, `parameter type with OID ${oid} is not supported`);
      return t;
    });
    const info = await this.#ctx.session.describe(m.sql, declared);
    this.#statements.set(m.statement, {
      sql: m.sql,
      paramTypes: info.paramTypes,
      columns: info.columns,
      empty: info.empty === true,
    });
    this.#ctx.transport.queue(parseComplete());
  }

  bind(m: Message<'Bind'>): void {
    const statement = this.#statements.get(m.statement);
    if (statement === undefined)
      throw new SqlError(PgState.undefinedPreparedStatement, `${statementLabel(m.statement)} does not exist`);
    if (m.portal !== '' && this.#portals.has(m.portal))
      throw new SqlError(PgState.duplicateCursor, `cursor "${m.portal}" already exists`);
    const types = statement.paramTypes;
    if (m.params.length !== types.length)
      throw new SqlError(
        PgState.protocolViolation,
        `bind message supplies ${m.params.length} parameters, but prepared statement "${m.statement}" requires ${types.length}`,
      );
    const paramFormats = expandFormats(m.paramFormats, m.params.length, 'parameter');
    const params = m.params.map((bytes, i) =>
      decodeParam(bytes, types[i] as SqlType, paramFormats[i] as number, i),
    );
    const formats = expandFormats(m.resultFormats, statement.columns?.length ?? 0, 'result');
    this.#portals.set(m.portal, { name: m.portal, statement, params, formats, result: undefined, next: 0 });
    this.#ctx.transport.queue(bindComplete());
  }

  describe(m: Message<'Describe'>): void {
    const t = this.#ctx.transport;
    if (m.target === 'statement') {
      const statement = this.#statements.get(m.name);
      if (statement === undefined)
        throw new SqlError(PgState.undefinedPreparedStatement, `${statementLabel(m.name)} does not exist`);
      t.queue(parameterDescription(statement.paramTypes.map(typeOid)));
      t.queue(statement.columns === undefined ? noData() : describeRows(statement.columns, []));
      return;
    }
    const declared = this.#portals.has(m.name) ? undefined : this.#ctx.session.cursorColumns?.(m.name);
    if (declared !== undefined) {
      t.queue(describeRows(declared, []));
      return;
    }
    const portal = this.#portal(m.name);
    const columns = portal.statement.columns;
    t.queue(columns === undefined ? noData() : describeRows(columns, portal.formats));
  }

  async execute(m: Message<'Execute'>): Promise<void> {
    const ctx = this.#ctx;
    const portal = this.#portal(m.portal);
    const statement = portal.statement;
    if (statement.empty) {
      ctx.transport.queue(emptyQueryResponse());
      return;
    }
    let result = portal.result;
    if (result === undefined) {
      result = await ctx.session.execute(statement.sql, portal.params, statement.paramTypes);
      portal.result = result;
      // A COPY runs to completion whatever the row limit; its portal cannot be run again.
      if (result.copyOut !== undefined) {
        await sendCopyOut(ctx, result);
        return;
      }
      if (result.copyIn !== undefined) {
        await receiveCopyIn(ctx, result);
        return;
      }
      queueNotices(ctx, result);
      ctx.status = statusAfter(ctx.status, result.tag);
      if (result.columns === undefined) {
        ctx.transport.queue(commandComplete(completionTag(result)));
        return;
      }
    } else if (result.columns === undefined || result.copyOut !== undefined || result.copyIn !== undefined) {
      throw new SqlError(PgState.objectNotInPrerequisiteState, `portal "${portal.name}" cannot be run`);
    }
    const total = result.rows?.length ?? 0;
    const from = portal.next;
    const to = m.maxRows > 0 ? Math.min(total, from + m.maxRows) : total;
    await sendRows(ctx, result, portal.formats, from, to);
    portal.next = to;
    if (to < total) ctx.transport.queue(portalSuspended());
    else {
      const isSelect = result.tag.toUpperCase() === 'SELECT';
      ctx.transport.queue(commandComplete(completionTag(result, isSelect ? to - from : undefined)));
    }
  }

  close(m: Message<'Close'>): void {
    if (m.target === 'statement') this.#statements.delete(m.name);
    else this.#portals.delete(m.name);
    this.#ctx.transport.queue(closeComplete());
  }

  /** Sync, or the end of a simple query: outside a transaction block the transaction ended, and its portals with it. */
  endOfTransactionStep(): void {
    if (this.#ctx.status === 'I') this.#portals.clear();
  }

  /** A simple query replaces the unnamed statement and portal. */
  dropUnnamed(): void {
    this.#statements.delete('');
    this.#portals.delete('');
  }

  #portal(name: string): Portal {
    const portal = this.#portals.get(name);
    if (portal === undefined) throw new SqlError(PgState.undefinedCursor, `portal "${name}" does not exist`);
    return portal;
  }
}
