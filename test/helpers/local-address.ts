/** Connecting from another loopback address (127.0.0.x), so that a test plays several clients' machines. */
import { type IncomingHttpHeaders, request } from 'node:http';
import { Socket } from 'node:net';

/** A socket that connects from `localAddress` when node-postgres connects it to (port, host). */
export function fromAddress(localAddress: string): Socket {
  const socket = new Socket();
  const connect = socket.connect.bind(socket) as (options: {
    port: number;
    host: string;
    localAddress: string;
  }) => Socket;
  (socket as unknown as { connect: (port: number, host: string) => Socket }).connect = (port, host) =>
    connect({ port, host, localAddress });
  return socket;
}

/** An HTTP answer: its status, headers and body as text. */
export interface HttpAnswer {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

/**
 * An HTTP request sent from `localAddress`: a test's deliberately unauthorized requests come
 * from an address of their own, so that the credential throttle they provoke does not hold up
 * the test's other requests.
 */
export function httpFrom(
  localAddress: string,
  url: string,
  init: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      { method: init.method ?? 'GET', headers: init.headers ?? {}, localAddress, agent: false },
      (res) => {
        let body = '';
        res.setEncoding('utf8').on('data', (d: string) => {
          body += d;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      },
    );
    req.on('error', reject);
    req.end(init.body);
  });
}

/** The status of `httpFrom`'s request. */
export async function httpStatusFrom(
  localAddress: string,
  url: string,
  init: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<number> {
  return (await httpFrom(localAddress, url, init)).status;
}
