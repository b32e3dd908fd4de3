import { timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { formatNumeric, isNumericValue } from '../sql/numeric.ts';

export type JsonHandler = (request: IncomingMessage) => unknown;

/** Thrown by a handler for a 4xx answer: the request, not the server, is wrong. */
export class HttpError extends Error {
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.status = status;
  }
}

export interface HttpApiOptions {
  readonly host: string;
  readonly port: number;
  /** When set, every request but `/healthz` must carry `Authorization: Bearer <token>`. */
  readonly token?: string;
  /** GET routes answering JSON, keyed by path. */
  readonly routes: Readonly<Record<string, JsonHandler>>;
}

export interface HttpApi {
  readonly url: string;
  readonly server: Server;
  close(): Promise<void>;
}

/** The HTTP API: health check and JSON routes; later issues add ingestion, live push and the dashboard. */
export async function startHttpApi(options: HttpApiOptions): Promise<HttpApi> {
  const server = createServer((request, response) => handle(options, request, response));
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    url: `http://${host}:${address.port}`,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function handle(options: HttpApiOptions, request: IncomingMessage, response: ServerResponse): void {
  const [status, body] = answer(options, request, response);
  send(response, status, body);
}

function answer(
  options: HttpApiOptions,
  request: IncomingMessage,
  response: ServerResponse,
): [number, unknown] {
  const path = new URL(request.url ?? '/', 'http://localhost').pathname;
  if (path === '/healthz') return [200, { status: 'ok' }];
  if (options.token !== undefined && !authorized(request, options.token)) {
    response.setHeader('www-authenticate', 'Bearer realm="tidewatch"');
    return [401, { error: 'a bearer token is required' }];
  }
  const route = options.routes[path];
  if (!route) return [404, { error: `no such path: ${path}` }];
  if (request.method !== 'GET' && request.method !== 'HEAD') {
    response.setHeader('allow', 'GET, HEAD');
    return [405, { error: `${request.method} is not allowed on ${path}` }];
  }
  try {
    return [200, route(request)];
  } catch (error) {
    if (error instanceof HttpError) return [error.status, { error: error.message }];
    return [500, { error: error instanceof Error ? error.message : String(error) }];
  }
}

function authorized(request: IncomingMessage, token: string): boolean {
  const header = request.headers.authorization ?? '';
  const given = Buffer.from(header.startsWith('Bearer ') ? header.slice(7) : '');
  const expected = Buffer.from(token);
  return given.length === expected.length && timingSafeEqual(given, expected);
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

function send(response: ServerResponse, status: number, body: unknown): void {
  const text = `${JSON.stringify(body, jsonValue)}\n`;
  response.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    'cache-control': 'no-store',
  });
  response.end(text);
}
