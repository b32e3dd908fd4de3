/**
 * The dashboard's HTTP API, beside the rest of http.ts:
 *
 * - `GET /api/dashboard`: the dashboard file (title and panels);
 * - `POST /api/panels/<id>/query` `{from, to, filters}`: the panel's rows for that range, its
 *   macros and filters bound as parameters (dashboard/macros.ts);
 * - `POST /api/query` `{sql}`: the page's SQL box, read-only — one SELECT, WITH, VALUES or TABLE
 *   on a store reader, anything else refused with a SQLSTATE;
 * - `GET /api/live`: Server-Sent Events, one per committed epoch (live-feed.ts).
 *
 * SQL errors answer 400 `{error, sqlstate}`, a refused statement 403 with SQLSTATE 25006.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { expandPanelSql, MacroError } from '../dashboard/macros.ts';
import type { Dashboard } from '../dashboard/panels.ts';
import { SqlError } from '../sql/errors.ts';
import { scan } from '../sql/tokens.ts';
import type { SqlType, Value } from '../sql/types.ts';
import type { QueryOutput } from '../store/query/ad-hoc-session.ts';
import { HttpError, sendJson } from './http.ts';
import { jsonRows } from './json-rows.ts';
import type { LiveFeed } from './live-feed.ts';

/** A store reader that runs queries only (AdHocSession). */
export interface ReadOnlyQueries {
  query(sql: string, params?: readonly Value[], types?: readonly SqlType[]): Promise<QueryOutput>;
  interrupt(): void;
}

export interface DashboardApiDeps {
  readonly dashboard: Dashboard;
  /** Where panels' queries run. */
  readonly panels: ReadOnlyQueries;
  /** Where the SQL box's queries run: apart, so that a slow one does not hold the panels up. */
  readonly sqlBox: ReadOnlyQueries;
  readonly live: LiveFeed;
  /** The last epoch committed to the store, which queries read. */
  readonly committedEpoch: () => number | null;
}

/** The longest range a panel is asked for. */
const MAX_RANGE_MS = 31 * 86_400_000;
/** The SQL box's limits: rows answered, and time before the query is interrupted. */
const SQL_BOX_ROWS = 1000;
const SQL_BOX_TIMEOUT_MS = 30_000;
const QUERY_WORDS = new Set(['SELECT', 'WITH', 'VALUES', 'TABLE', '(']);

export function registerDashboardApi(app: FastifyInstance, deps: DashboardApiDeps): void {
  app.get('/api/dashboard', async (_request, reply) => sendJson(reply, 200, deps.dashboard));

  app.post<{ Params: { id: string } }>('/api/panels/:id/query', async (request, reply) => {
    const panel = deps.dashboard.panels.find((p) => p.id === request.params.id);
    if (panel === undefined) throw new HttpError(404, `no panel "${request.params.id}"`);
    if (panel.kind === 'health') throw new HttpError(400, `panel "${panel.id}" reads /api/status, not SQL`);
    const body = jsonBody(request);
    const range = rangeOf(body);
    const filters = filtersOf(body.filters);
    let expanded: ReturnType<typeof expandPanelSql>;
    try {
      expanded = expandPanelSql(panel.sql, range, panel.variables, filters);
    } catch (e) {
      if (e instanceof MacroError) throw new HttpError(400, e.message);
      throw e;
    }
    const epoch = deps.committedEpoch();
    return answer(
      reply,
      () => deps.panels.query(expanded.sql, expanded.params, expanded.types),
      (out) => ({
        panel: panel.id,
        epoch,
        ...jsonRows(out.columns, out.rows),
      }),
    );
  });

  app.post('/api/query', async (request, reply) => {
    const body = jsonBody(request);
    if (typeof body.sql !== 'string' || body.sql.trim() === '')
      throw new HttpError(400, 'give the query as {"sql": "SELECT …"}');
    const sql = body.sql;
    const refusal = refuseUnlessQuery(sql);
    if (refusal !== undefined)
      return sendJson(reply, 403, { error: refusal.message, sqlstate: refusal.sqlstate });
    const timer = setTimeout(() => deps.sqlBox.interrupt(), SQL_BOX_TIMEOUT_MS);
    try {
      return await answer(
        reply,
        () => deps.sqlBox.query(sql),
        (out) => ({
          ...jsonRows(out.columns, out.rows.slice(0, SQL_BOX_ROWS)),
          truncated: out.rows.length > SQL_BOX_ROWS,
        }),
      );
    } finally {
      clearTimeout(timer);
    }
  });

  app.get('/api/live', (_request, reply) => {
    reply.hijack();
    deps.live.attach(reply.raw, {});
  });
}

/** Runs a query and answers its rows, or its SQL error as 400 with the SQLSTATE. */
async function answer(
  reply: FastifyReply,
  run: () => Promise<QueryOutput>,
  shape: (out: QueryOutput) => unknown,
): Promise<FastifyReply> {
  let out: QueryOutput;
  try {
    out = await run();
  } catch (e) {
    if (e instanceof SqlError)
      return sendJson(reply, e.sqlstate === '57014' ? 408 : 400, { error: e.message, sqlstate: e.sqlstate });
    throw e;
  }
  return sendJson(reply, 200, shape(out));
}

/** Why a text is not one query the SQL box runs, by its first word; the parser refuses the rest. */
export function refuseUnlessQuery(sql: string): SqlError | undefined {
  let first: string | undefined;
  try {
    first = scan(sql).find((t) => !(t.kind === 'punct' && t.text === ';'))?.upper;
  } catch (e) {
    return e instanceof SqlError ? e : new SqlError('42601', String(e));
  }
  if (first === undefined) return new SqlError('42601', 'empty query');
  if (QUERY_WORDS.has(first)) return undefined;
  return new SqlError(
    '25006',
    `cannot execute ${first} here: the dashboard's SQL is read-only (SELECT, WITH, VALUES or TABLE)`,
  );
}

function jsonBody(request: FastifyRequest): Record<string, unknown> {
  const raw = request.body;
  const text = Buffer.isBuffer(raw) ? raw.toString('utf8') : '';
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (e) {
    throw new HttpError(400, `the body is not JSON: ${(e as Error).message}`);
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    throw new HttpError(400, 'the body is not a JSON object');
  return body as Record<string, unknown>;
}

function rangeOf(body: Record<string, unknown>): { fromMicros: number; toMicros: number } {
  const time = (name: 'from' | 'to') => {
    const v = body[name];
    const ms = typeof v === 'string' ? Date.parse(v) : Number.NaN;
    if (Number.isNaN(ms)) throw new HttpError(400, `"${name}" must be an ISO 8601 time`);
    return ms;
  };
  const from = time('from');
  const to = time('to');
  if (!(from < to)) throw new HttpError(400, '"from" must be before "to"');
  if (to - from > MAX_RANGE_MS) throw new HttpError(400, 'a range is at most 31 days');
  return { fromMicros: from * 1000, toMicros: to * 1000 };
}

function filtersOf(v: unknown): Record<string, string> {
  if (v === undefined || v === null) return {};
  if (typeof v !== 'object' || Array.isArray(v)) throw new HttpError(400, '"filters" must be an object');
  const out: Record<string, string> = {};
  for (const [k, x] of Object.entries(v)) {
    if (typeof x === 'number' && Number.isFinite(x)) out[k] = String(x);
    else if (typeof x === 'string') out[k] = x;
    else throw new HttpError(400, `filter "${k}" must be a string or a number`);
  }
  return out;
}
