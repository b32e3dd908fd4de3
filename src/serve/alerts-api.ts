/**
 * `GET /api/alerts?limit=N`: the dashboard's alert feed — the messages sinks sent (firing and
 * resolved alerts, delivered or given up on), newest first, as the store keeps them
 * (store/sent-alerts.ts), and how each sink's delivery is doing now. Read-only, behind the
 * HTTP API's token like every `/api/` route; `limit` (1–500, default 100) is the only input,
 * and it is a bind parameter.
 */
import type { FastifyInstance } from 'fastify';
import type { SentAlert } from '../store/sent-alerts.ts';
import { HttpError, sendJson } from './http.ts';

/** How a sink's delivery is doing (the runtime's SinkStatus has these and more). */
export interface SinkDeliveryState {
  readonly name: string;
  readonly connector: string;
  readonly from: string;
  readonly state: string;
  readonly delivered: number;
  readonly pending: number;
  readonly retries: number;
  readonly deadLetters: number;
  readonly heldBack: number;
  readonly lastError?: string;
}

export interface AlertsApiDeps {
  /** The newest `limit` messages sinks settled, newest first. */
  readonly sent: (limit: number) => Promise<SentAlert[]>;
  /** The sinks running now. */
  readonly sinks: () => readonly SinkDeliveryState[];
}

const DEFAULT_LIMIT = 100;
const MAX_LIMIT = 500;

export function registerAlertsApi(app: FastifyInstance, deps: AlertsApiDeps): void {
  app.get('/api/alerts', async (request, reply) => {
    const limit = limitOf(new URL(request.url, 'http://localhost').searchParams.get('limit'));
    const sinks = deps.sinks();
    const connectorOf = new Map(sinks.map((s) => [s.name, s.connector]));
    const sent = await deps.sent(limit);
    return sendJson(reply, 200, {
      alerts: sent.map((a) => ({
        sink: a.sink,
        connector: connectorOf.get(a.sink) ?? null,
        dedup_key: a.dedupKey,
        epoch: a.epoch,
        seq: a.seq,
        op: a.op,
        status: a.status,
        committed_at: new Date(a.committedAt).toISOString(),
        settled_at: new Date(a.settledAt).toISOString(),
        outcome: a.outcome,
        reason: a.reason,
        held_back: a.heldBack,
        row: JSON.parse(a.row) as unknown,
      })),
      sinks: sinks.map((s) => ({
        name: s.name,
        connector: s.connector,
        from: s.from,
        state: s.state,
        delivered: s.delivered,
        pending: s.pending,
        retries: s.retries,
        dead_letters: s.deadLetters,
        held_back: s.heldBack,
        last_error: s.lastError ?? null,
      })),
    });
  });
}

function limitOf(text: string | null): number {
  if (text === null) return DEFAULT_LIMIT;
  const n = /^\d{1,4}$/.test(text) ? Number(text) : Number.NaN;
  if (!(n >= 1 && n <= MAX_LIMIT))
    throw new HttpError(400, `"limit" must be a whole number from 1 to ${MAX_LIMIT}`);
  return n;
}
