/** Connecting from another loopback address (127.0.0.x), so that a test plays several clients' machines. */
import { request } from 'node:http';
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

/**
 * The status of an HTTP request sent from `localAddress`: a test's deliberately unauthorized
 * requests come from an address of their own, so that the token throttle they provoke does
 * not hold up the test's other requests.
 */
export function httpStatusFrom(
  localAddress: string,
  url: string,
  init: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      { method: init.method ?? 'GET', headers: init.headers ?? {}, localAddress, agent: false },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', reject);
    req.end(init.body);
  });
}
