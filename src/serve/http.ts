/**
 * The HTTP API, on Fastify: `/healthz`, JSON routes (`/api/…`), and `POST /ingest/<source>`
 * for log shippers. With a token, every request but `/healthz` must carry
 * `Authorization: Bearer <token>`; one without it, or with another, is a failed login of its
 * client address (`CredentialGate`: reported, and after a few such failures the address is
 * answered 429 for a wait doubling with each, as the PostgreSQL endpoint's failed logins wait,
 * without its token being looked at). Errors are JSON `{ "error": … }` with a 4xx for what the
 * request got wrong; values of rows keep their exactness (`jsonValue`).
 */
import { timingSafeEqual } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import compress from '@fastify/compress';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { formatNumeric, isNumericValue } from '../sql/numeric.ts';
import { CredentialGate, pathOf } from './credential-gate.ts';
import { HttpError } from './http-error.ts';

export { HttpError };

/** A GET route's answer from the request's query string. */
export type JsonHandler = (query: URLSearchParams) => unknown | Promise<unknown>;

/**
 * Takes a batch of units posted to a source (lines of NDJSON or of a log, or the elements of a
 * JSON array, each as its JSON text); resolves with how many once they are durable. Throws
 * HttpError 404 for an unknown source, 429 while the source cannot keep up.
 */
export type IngestHandler = (source: string, units: readonly string[]) => Promise<number>;

export interface HttpApiOptions {
  readonly host: string;
  readonly port: number;
  /** When set, every request but `/healthz` must carry `Authorization: Bearer <token>`. */
  readonly token?: string;
  /** GET routes answering JSON, keyed by path. */
  readonly routes: Readonly<Record<string, JsonHandler>>;
  /** `POST /ingest/<source>`; without it the path answers 404. */
  readonly ingest?: IngestHandler;
  /** The largest request body taken, after decompression (default 16 MiB): beyond it 413. */
  readonly bodyLimit?: number;
  /** Adds routes of other modules (the dashboard's API and page) before the server listens. */
  readonly extend?: (app: FastifyInstance) => Promise<void> | void;
  /** Paths served without the token: files holding no data (the page, its script and styles). */
  readonly isPublic?: (path: string) => boolean;
  /**
   * Counts and reports requests refused for their token, and holds back their addresses
   * (default: a gate of its own, reporting nothing); the decisions API shares it.
   */
  readonly credentials?: CredentialGate;
}

/**
 * What a page served here may load and run: its own files only, no inline scripts or styles,
 * nothing from the network, and not framed by other sites.
 */
export const CONTENT_SECURITY_POLICY =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
  "font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

export interface HttpApi {
  readonly url: string;
  readonly server: Server;
  close(): Promise<void>;
}

const DEFAULT_BODY_LIMIT = 16 << 20;

export async function startHttpApi(options: HttpApiOptions): Promise<HttpApi> {
  const limit = options.bodyLimit ?? DEFAULT_BODY_LIMIT;
  const app = Fastify({
    logger: false,
    keepAliveTimeout: 5_000,
    forceCloseConnections: true,
    bodyLimit: limit,
  });
  // Bodies are taken as bytes: ingest splits and decodes them itself (gzip, NDJSON, arrays, lines).
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: limit }, (_request, body, done) =>
    done(null, body),
  );
  // Replies are compressed when the client takes it; posted bodies are left to ingest (gzip).
  await app.register(compress, { globalDecompression: false, threshold: 1024 });
  app.addHook('onSend', async (_request, reply, payload) => {
    reply.header('content-security-policy', CONTENT_SECURITY_POLICY);
    reply.header('x-content-type-options', 'nosniff');
    reply.header('referrer-policy', 'no-referrer');
    return payload;
  });
  const credentials = options.credentials ?? new CredentialGate();
  app.addHook('onRequest', async (request, reply) => {
    const token = options.token;
    if (token === undefined || request.url === '/healthz') return;
    const path = pathOf(request.url);
    if (path !== undefined && options.isPublic?.(path) === true) return;
    const held = credentials.holdBack(request, reply);
    if (held !== undefined) {
      await sendJson(reply, 429, { error: held });
      return;
    }
    const given = bearerToken(request);
    // A right token does not forget the failures: a dashboard polling every second from the
    // address a guesser shares (a NAT) would otherwise give the guesser free tries again and again.
    if (given !== undefined && sameSecret(given, token)) return;
    credentials.refused(request, 'bearer', given === undefined);
    reply.header('www-authenticate', 'Bearer realm="tidewatch"');
    await sendJson(reply, 401, { error: 'a bearer token is required' });
  });
  app.setNotFoundHandler(async (request, reply) =>
    sendJson(reply, 404, { error: `no such path: ${new URL(request.url, 'http://localhost').pathname}` }),
  );
  app.setErrorHandler(async (error: Error & { statusCode?: number }, _request, reply) => {
    if (error instanceof HttpError) {
      for (const [k, v] of Object.entries(error.headers)) reply.header(k, v);
      return sendJson(reply, error.status, { error: error.message });
    }
    if (error.statusCode === 413)
      return sendJson(reply, 413, { error: `the request body is larger than ${limit} bytes` });
    const status = error.statusCode !== undefined && error.statusCode < 500 ? error.statusCode : 500;
    return sendJson(reply, status, { error: error.message });
  });

  app.get('/healthz', async (_request, reply) => sendJson(reply, 200, { status: 'ok' }));
  for (const [path, handler] of Object.entries(options.routes)) {
    app.get(path, async (request, reply) => {
      const query = new URL(request.url, 'http://localhost').searchParams;
      return sendJson(reply, 200, await handler(query));
    });
    app.route({
      method: ['POST', 'PUT', 'DELETE', 'PATCH'],
      url: path,
      handler: async (request, reply) => {
        reply.header('allow', 'GET, HEAD');
        return sendJson(reply, 405, { error: `${request.method} is not allowed on ${path}` });
      },
    });
  }
  const ingest = options.ingest;
  if (ingest !== undefined)
    app.post<{ Params: { source: string } }>('/ingest/:source', async (request, reply) => {
      const units = splitUnits(request, limit);
      const accepted = await ingest(request.params.source, units);
      return sendJson(reply, 200, { accepted });
    });

  await options.extend?.(app);
  await app.listen({ port: options.port, host: options.host });
  const address = app.server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return { url: `http://${host}:${address.port}`, server: app.server, close: () => app.close() };
}

/** A posted body's units: its NDJSON or log lines, or the elements of a JSON array. */
function splitUnits(request: FastifyRequest, limit: number): string[] {
  let body = (request.body as Buffer | undefined) ?? Buffer.alloc(0);
  const encoding = String(request.headers['content-encoding'] ?? 'identity').toLowerCase();
  if (encoding === 'gzip' || encoding === 'x-gzip') {
    try {
      body = gunzipSync(body, { maxOutputLength: limit });
    } catch (e) {
      if ((e as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE')
        throw new HttpError(413, `the request body is larger than ${limit} bytes once decompressed`);
      throw new HttpError(400, `the body is not gzip: ${(e as Error).message}`);
    }
  } else if (encoding !== 'identity')
    throw new HttpError(415, `content-encoding ${encoding} is not taken (gzip is)`);
  const text = body.toString('utf8');
  const type = String(request.headers['content-type'] ?? '').toLowerCase();
  if (type.startsWith('application/json') && text.trimStart().startsWith('[')) {
    let items: unknown;
    try {
      items = JSON.parse(text);
    } catch (e) {
      throw new HttpError(400, `the body is not a JSON array: ${(e as Error).message}`);
    }
    if (!Array.isArray(items)) throw new HttpError(400, 'the body is not a JSON array');
    return items.map((item) => JSON.stringify(item));
  }
  return text.split('\n').flatMap((line) => {
    const unit = line.endsWith('\r') ? line.slice(0, -1) : line;
    return unit.trim() === '' ? [] : [unit];
  });
}

/** The request's bearer token; undefined without one. */
function bearerToken(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  return header?.startsWith('Bearer ') === true ? header.slice(7) : undefined;
}

function sameSecret(given: string, token: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

const rawJSON = (JSON as unknown as { rawJSON(text: string): unknown }).rawJSON;

/**
 * Values of rows as JSON: a bigint beyond 2^53 and a numeric as JSON numbers with their exact
 * digits (`325.0000000000000000`), numeric NaN and ±Infinity as strings.
 */
function jsonValue(_key: string, v: unknown): unknown {
  if (typeof v === 'bigint') return rawJSON(String(v));
  if (isNumericValue(v)) return v.special === undefined ? rawJSON(formatNumeric(v)) : v.special;
  return v;
}

/** Answers `body` as JSON (values of rows exact, see `jsonValue`), never cached. */
export function sendJson(reply: FastifyReply, status: number, body: unknown): FastifyReply {
  return reply
    .code(status)
    .header('content-type', 'application/json; charset=utf-8')
    .header('cache-control', 'no-store')
    .send(`${JSON.stringify(body, jsonValue)}\n`);
}
