/**
 * CrowdSec's local API for bouncers, on tidewatch's HTTP port: `GET /v1/decisions` and
 * `GET /v1/decisions/stream`, as CrowdSec answers them, so that an unchanged CrowdSec bouncer
 * (firewall, nginx, or a library's client) enforces the blocks of tidewatch's blocklist sinks.
 * A request carries `X-Api-Key` (a key of `tidewatch bouncer add`), else it is answered 403
 * `{"message":"access forbidden"}` and counts as a failed login of its address (`CredentialGate`:
 * audited, and after a few the address is answered 429 with `Retry-After` for a doubling wait,
 * its key not looked at — a bouncer retries after it); an empty list is JSON `null`, as CrowdSec sends it. HEAD of
 * either path checks the key only (a HEAD of the stream does not count as a pull).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { CredentialGate } from '../serve/credential-gate.ts';
import type { Blocklists } from '../sinks/blocklists.ts';
import { bouncerOfKey } from './bouncer-keys.ts';
import {
  type Decision,
  decisionOf,
  decisionsFilter,
  FilterError,
  goDuration,
  streamFilter,
} from './crowdsec-decisions.ts';
import { DecisionStreams } from './decision-streams.ts';

export interface DecisionsApiOptions {
  readonly blocklists: Blocklists;
  readonly dataDir: string;
  /**
   * Counts and reports requests refused for their key, and holds back their addresses (the
   * HTTP API's, so that guessing keys and tokens add up; default: a gate of its own).
   */
  readonly credentials?: CredentialGate;
}

/** Paths of this API: they take `X-Api-Key`, not the HTTP API's bearer token. */
export function isDecisionsApiPath(path: string): boolean {
  return path === '/v1/decisions' || path === '/v1/decisions/stream';
}

function send(reply: FastifyReply, status: number, body: unknown): FastifyReply {
  return reply
    .code(status)
    .header('content-type', 'application/json; charset=utf-8')
    .header('cache-control', 'no-store')
    .send(JSON.stringify(body));
}

/** A list as CrowdSec's JSON has it: `null` when empty. */
function listOrNull(decisions: readonly Decision[]): readonly Decision[] | null {
  return decisions.length === 0 ? null : decisions;
}

export function registerDecisionsApi(app: FastifyInstance, options: DecisionsApiOptions): void {
  const streams = new DecisionStreams(options.dataDir);
  const credentials = options.credentials ?? new CredentialGate();

  /** The bouncer the request's key names, or undefined once it was answered 429 or 403. */
  const bouncer = (request: FastifyRequest, reply: FastifyReply): string | undefined => {
    const held = credentials.holdBack(request, reply);
    if (held !== undefined) {
      send(reply, 429, { message: held });
      return undefined;
    }
    const key = request.headers['x-api-key'];
    const name = typeof key === 'string' ? bouncerOfKey(options.dataDir, key) : undefined;
    if (name === undefined) {
      credentials.refused(request, 'api-key', typeof key !== 'string' || key === '');
      send(reply, 403, { message: 'access forbidden' });
    }
    return name;
  };
  const active = (now: number) => options.blocklists.active(now).map((b) => decisionOf(b, now));
  const query = (request: FastifyRequest) => new URL(request.url, 'http://localhost').searchParams;

  app.route({
    method: 'GET',
    url: '/v1/decisions',
    exposeHeadRoute: false,
    handler: async (request, reply) => {
      if (bouncer(request, reply) === undefined) return reply;
      let keep: (d: Decision) => boolean;
      try {
        keep = decisionsFilter(query(request));
      } catch (e) {
        if (e instanceof FilterError) return send(reply, 400, { message: e.message });
        throw e;
      }
      return send(reply, 200, listOrNull(active(Date.now()).filter(keep)));
    },
  });

  app.route({
    method: 'GET',
    url: '/v1/decisions/stream',
    exposeHeadRoute: false,
    handler: async (request, reply) => {
      const name = bouncer(request, reply);
      if (name === undefined) return reply;
      const q = query(request);
      const keep = streamFilter(q);
      const now = Date.now();
      const answer = streams.pull(name, active(now).filter(keep), q.get('startup') === 'true');
      const deleted = answer.deleted.map((d) => ({ ...d, duration: goDuration(Date.parse(d.until) - now) }));
      return send(reply, 200, { new: listOrNull(answer.new), deleted: listOrNull(deleted) });
    },
  });

  for (const url of ['/v1/decisions', '/v1/decisions/stream'])
    app.head(url, async (request, reply) => {
      if (bouncer(request, reply) === undefined) return reply;
      return reply.code(200).send();
    });
}
