/** The page's calls to tidewatch's HTTP API, with the bearer token when one is set. */
import type { Unit } from './format.ts';

export interface PanelVariable {
  readonly name: string;
  readonly label: string;
  readonly type: 'text' | 'integer';
  readonly default: string;
}

export interface Panel {
  readonly id: string;
  readonly title: string;
  readonly kind: 'table' | 'timeseries' | 'bars' | 'health' | 'alerts';
  readonly description?: string;
  readonly sql?: string;
  readonly variables: readonly PanelVariable[];
  readonly units: Readonly<Record<string, Unit>>;
  readonly time?: string;
  readonly values?: readonly string[];
  readonly keys?: string;
  readonly category?: string;
  readonly value?: string;
  readonly line?: string;
  readonly selects?: { readonly column: string; readonly panel: string; readonly variable: string };
  readonly drilldown?: Drilldown;
  /** Saved from the SQL box (in the data directory), not of the dashboard file: it can be deleted. */
  readonly saved?: boolean;
}

/**
 * A click on a point, bar or table row: `panel` shown with `variable` (or, for a row, the
 * variable its `variableColumn` names) set to the key (see src/dashboard/panels.ts).
 */
export interface Drilldown {
  readonly panel: string;
  readonly variable?: string;
  readonly column?: string;
  readonly fromVariable?: string;
  /** A time series' bucket, `1m`, `30s`, `1h`. */
  readonly window?: string;
  /** A row's column naming the variable to set. */
  readonly variableColumn?: string;
  /** The variable to set by a row's column's value: `values[value]`, else `otherwise`. */
  readonly variableFrom?: {
    readonly column: string;
    readonly values: Readonly<Record<string, string>>;
    readonly otherwise?: string;
  };
  /** A row's window: the columns of its start and (exclusive) end. */
  readonly from?: string;
  readonly to?: string;
}

export interface Dashboard {
  readonly title: string;
  readonly panels: readonly Panel[];
}

export interface Rows {
  readonly columns: readonly { name: string; type: string }[];
  readonly rows: readonly (readonly unknown[])[];
  readonly epoch?: number | null;
  readonly truncated?: boolean;
  /** Why a panel has no rows to show: a relation it reads does not exist here. */
  readonly absent?: string;
}

export interface CommitEvent {
  readonly epoch: number;
  readonly committedAt: string;
  readonly changed: readonly string[];
}

/** An answer other than 2xx: its message, SQLSTATE and status. */
export class ApiError extends Error {
  readonly status: number;
  readonly sqlstate: string | undefined;
  constructor(status: number, message: string, sqlstate?: string) {
    super(message);
    this.status = status;
    this.sqlstate = sqlstate;
  }
}

/** An error as the page says it: the server's message and SQLSTATE. */
export function errorText(e: unknown): string {
  return e instanceof ApiError && e.sqlstate !== undefined
    ? `${e.message} (SQLSTATE ${e.sqlstate})`
    : String((e as Error).message);
}

let token = '';

export function setToken(t: string): void {
  token = t;
}

function headers(json: boolean): Record<string, string> {
  return {
    ...(json ? { 'content-type': 'application/json' } : {}),
    ...(token === '' ? {} : { authorization: `Bearer ${token}` }),
  };
}

async function call<T>(path: string, body?: unknown, signal?: AbortSignal, method?: 'DELETE'): Promise<T> {
  const response = await fetch(path, {
    method: method ?? (body === undefined ? 'GET' : 'POST'),
    headers: headers(body !== undefined),
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    ...(signal === undefined ? {} : { signal }),
  });
  const answer = (await response.json()) as T & { error?: string; sqlstate?: string };
  if (!response.ok) throw new ApiError(response.status, answer.error ?? response.statusText, answer.sqlstate);
  return answer;
}

export const getDashboard = () => call<Dashboard>('/api/dashboard');
export const getAlerts = () => call<AlertFeed>('/api/alerts');
export const getStatus = () => call<Status>('/api/status');
export const queryPanel = (
  id: string,
  range: { from: string; to: string },
  filters: Readonly<Record<string, string>>,
  signal?: AbortSignal,
) => call<Rows>(`/api/panels/${encodeURIComponent(id)}/query`, { ...range, filters }, signal);
/** The SQL box's query; its time macros ($__timeFilter…) take `range`. */
export const runSql = (sql: string, range: { from: string; to: string }) =>
  call<Rows>('/api/query', { sql, ...range });

/** A panel to save: a SQL box query, a title, a kind and the columns it draws. */
export interface PanelDraft {
  readonly title: string;
  readonly kind: 'table' | 'timeseries' | 'bars';
  readonly sql: string;
  readonly time?: string;
  readonly keys?: string;
  readonly values?: readonly string[];
  readonly category?: string;
  readonly value?: string;
}

export const savePanel = (panel: PanelDraft, range: { from: string; to: string }) =>
  call<Panel>('/api/panels', { panel, ...range });
export const deletePanel = (id: string) =>
  call<{ deleted: string }>(`/api/panels/${encodeURIComponent(id)}`, undefined, undefined, 'DELETE');

/** One message a sink sent (`/api/alerts`), times as ISO 8601. */
export interface SentAlert {
  readonly sink: string;
  readonly connector: string | null;
  readonly dedup_key: string;
  readonly epoch: number;
  readonly seq: number;
  readonly op: 'insert' | 'update' | 'delete';
  readonly status: 'firing' | 'resolved';
  readonly committed_at: string;
  readonly settled_at: string;
  readonly outcome: 'delivered' | 'dead-letter';
  readonly reason: string | null;
  readonly held_back: number;
  readonly row: Readonly<Record<string, unknown>>;
}

/** How a sink's delivery is doing. */
export interface SinkState {
  readonly name: string;
  readonly connector: string;
  readonly from: string;
  readonly state: string;
  readonly delivered: number;
  readonly pending: number;
  readonly retries: number;
  readonly dead_letters: number;
  readonly held_back: number;
  readonly last_error: string | null;
}

export interface AlertFeed {
  readonly alerts: readonly SentAlert[];
  readonly sinks: readonly SinkState[];
}

export interface Status {
  readonly events_total: number;
  readonly events_per_second: number;
  readonly epoch: number;
  readonly committed_epoch: number | null;
  readonly sources: readonly {
    name: string;
    rows: number;
    lateRows: number;
    /** ISO 8601: without a zone for a timestamp column (UTC), with `Z` for a timestamptz one. */
    maxEventTime: string | null;
    watermark: string | null;
    idle: boolean;
    ingestion?: readonly { state: string; lag?: number; rejected?: number; kind?: string }[];
  }[];
  readonly views: readonly { name: string; rows: number; errors: number }[];
}

/**
 * Follows `/api/live` (Server-Sent Events) by fetch, which, unlike EventSource, sends the
 * token; reconnects after a second when the stream ends. Resolves when `signal` aborts.
 */
export async function followCommits(
  onCommit: (e: CommitEvent) => void,
  onState: (connected: boolean) => void,
  signal: AbortSignal,
): Promise<void> {
  while (!signal.aborted) {
    try {
      const response = await fetch('/api/live', { headers: headers(false), signal });
      if (!response.ok || response.body === null) throw new ApiError(response.status, response.statusText);
      onState(true);
      const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
      let buffer = '';
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += value;
        let end = buffer.indexOf('\n\n');
        while (end >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const data = block
            .split('\n')
            .filter((l) => l.startsWith('data: '))
            .map((l) => l.slice(6))
            .join('\n');
          if (data !== '') onCommit(JSON.parse(data) as CommitEvent);
          end = buffer.indexOf('\n\n');
        }
      }
    } catch (e) {
      if (signal.aborted) return;
      if (e instanceof ApiError && e.status === 401) {
        onState(false);
        return;
      }
    }
    onState(false);
    await new Promise((r) => setTimeout(r, 1000));
  }
}
