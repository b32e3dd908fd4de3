/**
 * The dashboard's HTTP API, beside the rest of http.ts:
 *
 * - `GET /api/dashboard`: the dashboard file (title and panels);
 * - `POST /api/panels/<id>/query` `{from, to, filters}`: the panel's rows for that range, its
 *   macros and filters bound as parameters (dashboard/macros.ts); a panel reading a relation
 *   that does not exist (a pipeline not applied) answers no rows and `absent`, why;
 * - `POST /api/query` `{sql, from?, to?}`: the page's SQL box, read-only — one SELECT, WITH,
 *   VALUES or TABLE on a store reader, anything else refused with a SQLSTATE; its time macros
 *   expanded for the range when one is given;
 * - `POST /api/panels` `{panel, from, to}`: saves a SQL box query as a panel (saved-panels.ts),
 *   once it is read-only, a panel as a file's are, and runs; `DELETE /api/panels/<id>` deletes
 *   a saved one;
 * - `GET /api/live`: Server-Sent Events, one per committed epoch (live-feed.ts).
 *
 * SQL errors answer 400 `{error, sqlstate}`, a refused statement 403 with SQLSTATE 25006.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { grafanaFault } from '../dashboard/grafana.ts';
import { expandPanelSql, MacroError, type TimeRange } from '../dashboard/macros.ts';
import {
  columnsRead,
  type Dashboard,
  DashboardError,
  isSqlPanel,
  type Panel,
  parsePanel,
  type SqlPanel,
} from '../dashboard/panels.ts';
import { SqlError } from '../sql/errors.ts';
import { scan } from '../sql/tokens.ts';
import type { SqlType, Value } from '../sql/types.ts';
import type { QueryOutput } from '../store/query/ad-hoc-session.ts';
import { HttpError, sendJson } from './http.ts';
import { jsonRows } from './json-rows.ts';
import type { LiveFeed } from './live-feed.ts';
import type { SavedPanels } from './saved-panels.ts';

/** A store reader that runs queries only (AdHocSession). */
export interface ReadOnlyQueries {
  query(sql: string, params?: readonly Value[], types?: readonly SqlType[]): Promise<QueryOutput>;
  interrupt(): void;
}

export interface DashboardApiDeps {
  /** The dashboard file's panels. */
  readonly dashboard: Dashboard;
  /** The panels saved from the SQL box, shown after the file's. */
  readonly saved: SavedPanels;
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
const NUMERIC_TYPES = /^(smallint|integer|bigint|numeric|real|double precision)$/;

export function registerDashboardApi(app: FastifyInstance, deps: DashboardApiDeps): void {
  const panels = (): Panel[] => [...deps.dashboard.panels, ...deps.saved.list()];

  app.get('/api/dashboard', async (_request, reply) =>
    sendJson(reply, 200, {
      ...deps.dashboard,
      panels: [...deps.dashboard.panels, ...deps.saved.list().map((p) => ({ ...p, saved: true }))],
    }),
  );

  app.post<{ Params: { id: string } }>('/api/panels/:id/query', async (request, reply) => {
    const panel = panels().find((p) => p.id === request.params.id);
    if (panel === undefined) throw new HttpError(404, `no panel "${request.params.id}"`);
    if (!isSqlPanel(panel))
      throw new HttpError(
        400,
        `panel "${panel.id}" reads ${panel.kind === 'health' ? '/api/status' : '/api/alerts'}, not SQL`,
      );
    const body = jsonBody(request);
    const expanded = expand(panel.sql, rangeOf(body), panel.variables, filtersOf(body.filters));
    const epoch = deps.committedEpoch();
    return answer(
      reply,
      () => deps.panels.query(expanded.sql, expanded.params, expanded.types),
      (out) => ({
        panel: panel.id,
        epoch,
        ...jsonRows(out.columns, out.rows),
      }),
      // A relation the panel reads is not there (its pipeline is not applied): the panel has no
      // rows to show, which the request did not get wrong.
      (e) =>
        e.sqlstate === '42P01'
          ? { panel: panel.id, epoch, columns: [], rows: [], absent: e.message }
          : undefined,
    );
  });

  app.post('/api/query', async (request, reply) => {
    const body = jsonBody(request);
    if (typeof body.sql !== 'string' || body.sql.trim() === '')
      throw new HttpError(400, 'give the query as {"sql": "SELECT …"}');
    const refusal = refuseUnlessQuery(body.sql);
    if (refusal !== undefined)
      return sendJson(reply, 403, { error: refusal.message, sqlstate: refusal.sqlstate });
    const expanded =
      body.from === undefined && body.to === undefined
        ? { sql: body.sql, params: [], types: [] }
        : expand(body.sql, rangeOf(body), []);
    return answer(
      reply,
      () => sqlBoxQuery(deps.sqlBox, expanded),
      (out) => ({
        ...jsonRows(out.columns, out.rows.slice(0, SQL_BOX_ROWS)),
        truncated: out.rows.length > SQL_BOX_ROWS,
      }),
    );
  });

  app.post('/api/panels', async (request, reply) => {
    const body = jsonBody(request);
    const given = body.panel;
    if (typeof given !== 'object' || given === null || Array.isArray(given))
      throw new HttpError(400, 'give the panel as {"panel": {"title", "kind", "sql", …}, "from", "to"}');
    const definition = given as Record<string, unknown>;
    if (typeof definition.sql === 'string') {
      const refusal = refuseUnlessQuery(definition.sql);
      if (refusal !== undefined)
        return sendJson(reply, 403, { error: refusal.message, sqlstate: refusal.sqlstate });
    }
    const checked = savedPanelOf(definition, 'saved-panel');
    const expanded = expand(checked.sql, rangeOf(body), checked.variables);
    let out: QueryOutput;
    try {
      out = await sqlBoxQuery(deps.sqlBox, expanded);
    } catch (e) {
      if (e instanceof SqlError) return sendJson(reply, 400, { error: e.message, sqlstate: e.sqlstate });
      throw e;
    }
    const fault = shapeFault(checked, jsonRows(out.columns, []).columns);
    if (fault !== undefined) throw new HttpError(400, fault);
    // Named after the query ran, with no await before it is saved: two saves never share an id.
    const panel = { ...checked, id: deps.saved.freeId(checked.title, ids(panels())) };
    deps.saved.add(panel);
    return sendJson(reply, 201, { ...panel, saved: true });
  });

  app.delete<{ Params: { id: string } }>('/api/panels/:id', async (request, reply) => {
    const id = request.params.id;
    if (deps.saved.remove(id)) return sendJson(reply, 200, { deleted: id });
    if (deps.dashboard.panels.some((p) => p.id === id))
      throw new HttpError(403, `panel "${id}" is of the dashboard file: only saved panels are deleted here`);
    throw new HttpError(404, `no saved panel "${id}"`);
  });

  app.get('/api/live', (_request, reply) => {
    reply.hijack();
    deps.live.attach(reply.raw, {});
  });
}

const ids = (panels: readonly Panel[]) => panels.map((p) => p.id);

/** A panel's SQL with its macros and variables as bind parameters; a fault in them is a 400. */
function expand(
  sql: string,
  range: TimeRange,
  variables: SqlPanel['variables'],
  filters: Record<string, string> = {},
): ReturnType<typeof expandPanelSql> {
  try {
    return expandPanelSql(sql, range, variables, filters);
  } catch (e) {
    if (e instanceof MacroError) throw new HttpError(400, e.message);
    throw e;
  }
}

/** A query of the SQL box (or one to save), interrupted when it runs too long. */
async function sqlBoxQuery(
  session: ReadOnlyQueries,
  expanded: ReturnType<typeof expandPanelSql>,
): Promise<QueryOutput> {
  const timer = setTimeout(() => session.interrupt(), SQL_BOX_TIMEOUT_MS);
  try {
    return await session.query(expanded.sql, expanded.params, expanded.types);
  } finally {
    clearTimeout(timer);
  }
}

/** A panel posted to be saved, checked as a dashboard file's panels are (400 naming the fault). */
function savedPanelOf(definition: Record<string, unknown>, id: string): SqlPanel {
  let panel: Panel;
  try {
    panel = parsePanel({ ...definition, id }, 'panel');
  } catch (e) {
    if (e instanceof DashboardError) throw new HttpError(400, e.message);
    throw e;
  }
  if (!isSqlPanel(panel))
    throw new HttpError(400, 'panel: kind: a saved panel is a table, timeseries or bars');
  if (panel.kind === 'table' && panel.selects !== undefined)
    throw new HttpError(400, 'panel: selects: a saved panel stands alone');
  if (panel.drilldown !== undefined) throw new HttpError(400, 'panel: drilldown: a saved panel stands alone');
  const fault = grafanaFault(panel);
  if (fault !== undefined) throw new HttpError(400, `panel: ${fault}`);
  return panel;
}

/** Why a panel cannot be drawn from a query's columns: one it names is missing or of the wrong type. */
function shapeFault(panel: SqlPanel, columns: readonly { name: string; type: string }[]): string | undefined {
  const typeOf = (name: string) => columns.find((c) => c.name === name)?.type;
  const names = columns.map((c) => c.name).join(', ');
  for (const name of columnsRead(panel))
    if (typeOf(name) === undefined) return `column "${name}" is not one of the query's columns (${names})`;
  const numeric = (name: string) =>
    NUMERIC_TYPES.test(typeOf(name) ?? '') ? undefined : `column "${name}" is ${typeOf(name)}, not a number`;
  if (panel.kind === 'timeseries') {
    if (!(typeOf(panel.time) ?? '').startsWith('timestamp'))
      return `column "${panel.time}" is ${typeOf(panel.time)}, not a timestamp`;
    for (const v of panel.values) {
      const fault = numeric(v);
      if (fault !== undefined) return fault;
    }
  }
  if (panel.kind === 'bars') return numeric(panel.value);
  return undefined;
}

/**
 * Runs a query and answers its rows, or its SQL error as 400 with the SQLSTATE — unless
 * `instead` makes that error an answer of its own.
 */
async function answer(
  reply: FastifyReply,
  run: () => Promise<QueryOutput>,
  shape: (out: QueryOutput) => unknown,
  instead: (e: SqlError) => unknown = () => undefined,
): Promise<FastifyReply> {
  let out: QueryOutput;
  try {
    out = await run();
  } catch (e) {
    if (!(e instanceof SqlError)) throw e;
    const other = instead(e);
    if (other !== undefined) return sendJson(reply, 200, other);
    return sendJson(reply, e.sqlstate === '57014' ? 408 : 400, { error: e.message, sqlstate: e.sqlstate });
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

function rangeOf(body: Record<string, unknown>): TimeRange {
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
