/** Connecting from another loopback address (127.0.0.x), so that a test plays several clients' machines. */
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
