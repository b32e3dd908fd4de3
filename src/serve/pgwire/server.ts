/**
 * The PostgreSQL endpoint: a TCP listener speaking protocol 3.0 to psql, Grafana and drivers,
 * over a `PgBackend`. It refuses to listen beyond loopback without a password; with one it
 * asks SCRAM-SHA-256 (or MD5, for old clients); with a certificate it accepts TLS.
 */
import { randomInt } from 'node:crypto';
import { type AddressInfo, createServer, type Socket } from 'node:net';
import { createSecureContext } from 'node:tls';
import { unmatchableSecret } from '../../auth/scram-secret.ts';
import { LoginThrottle, type LoginThrottleOptions } from '../login-throttle.ts';
import type { Authentication } from './authenticate.ts';
import type { PgBackend } from './backend.ts';
import { type CancelRegistry, type ConnectionSettings, type LoginEvent, PgConnection } from './connection.ts';
import { type ScramVerifier, scramVerifier } from './scram.ts';

export interface PgServerOptions {
  readonly host: string;
  /** 0 picks a free port (see `PgServer.port`). */
  readonly port: number;
  /** Without one, clients are trusted, which is allowed on loopback addresses only. */
  readonly password?: string;
  /** How a password is asked for (default SCRAM-SHA-256; MD5 for clients that cannot do SCRAM). */
  readonly auth?: 'scram-sha-256' | 'md5';
  /** PEM certificate chain and key: SSLRequest is then accepted. */
  readonly tls?: { readonly cert: string | Buffer; readonly key: string | Buffer };
  /** Reported as server_version (default '13.14.0', as RisingWave reports). */
  readonly serverVersion?: string;
  /** Reported as is_superuser (default true: one user may do everything); `isSuperuser` asks per user. */
  readonly superuser?: boolean;
  readonly isSuperuser?: (user: string) => boolean;
  /**
   * The user `password` belongs to (default: every user). Any other user proves who it is with
   * its own password, by SCRAM-SHA-256 against `userSecret` (also when `auth` is md5, as
   * PostgreSQL does for a password stored as SCRAM); a user without one, or unknown, fails the
   * exchange as a wrong password would, so that a client cannot tell which names exist.
   */
  readonly passwordUser?: string;
  readonly userSecret?: (user: string) => ScramVerifier | undefined;
  /** Largest message body accepted (default 64 MiB); larger ones end the connection. */
  readonly maxMessageBytes?: number;
  /** Longest SQL text of a Query or Parse, in bytes (default 1 MiB); longer is 54000. */
  readonly maxStatementBytes?: number;
  /** Time a client has from connecting to being authenticated (default 60 s). */
  readonly authTimeoutMs?: number;
  /** Clients connected at once (default 100); one more is refused with 53300. */
  readonly maxConnections?: number;
  /** How failed logins slow their address down (default: see LoginThrottle). */
  readonly loginThrottle?: LoginThrottleOptions;
  /** Told of every login attempt that reached its password check, for the audit trail. */
  readonly onLogin?: (login: LoginEvent) => void;
  /** Called with errors that have no SQLSTATE (bugs in a backend or here); the client gets XX000. */
  readonly onUnexpectedError?: (error: unknown) => void;
}

export interface PgServer {
  readonly host: string;
  readonly port: number;
  /** Connections open now. */
  readonly connections: number;
  /** Stops listening and drops every connection. */
  close(): Promise<void>;
}

const DEFAULT_MAX_MESSAGE_BYTES = 64 * 1024 * 1024;
const DEFAULT_MAX_CONNECTIONS = 100;
export const DEFAULT_MAX_STATEMENT_BYTES = 1024 * 1024;

export function isLoopback(host: string): boolean {
  const h = host.toLowerCase().replace(/^\[|\]$/g, '');
  return h === 'localhost' || h === '::1' || /^(::ffff:)?127(\.\d{1,3}){3}$/.test(h);
}

/** How each user is asked to authenticate. */
function authentication(options: PgServerOptions): (user: string) => Authentication {
  const server = serverAuthentication(options);
  if (server.method === 'trust' || options.passwordUser === undefined) return () => server;
  return (user) => {
    if (user === options.passwordUser) return server;
    const own = options.userSecret?.(user);
    return { method: 'scram-sha-256', verifier: async () => own ?? unmatchableSecret() };
  };
}

function serverAuthentication(options: PgServerOptions): Authentication {
  const password = options.password;
  if (password === undefined || password === '') {
    if (options.auth !== undefined)
      throw new Error(`PostgreSQL endpoint: auth '${options.auth}' needs a password`);
    if (!isLoopback(options.host))
      throw new Error(
        `PostgreSQL endpoint: refusing to listen on ${options.host || 'all addresses'} without a password; set a password or listen on a loopback address (127.0.0.1)`,
      );
    return { method: 'trust' };
  }
  if (options.auth === 'md5') return { method: 'md5', password };
  let verifier: Promise<ScramVerifier> | undefined;
  return {
    method: 'scram-sha-256',
    verifier: () => {
      verifier ??= scramVerifier(password);
      return verifier;
    },
  };
}

class CancelKeys implements CancelRegistry {
  readonly #byProcess = new Map<number, { connection: PgConnection; secretKey: number }>();
  #nextProcessId = randomInt(1000, 30_000);

  register(connection: PgConnection): { processId: number; secretKey: number } {
    while (this.#byProcess.has(this.#nextProcessId)) this.#advance();
    const processId = this.#nextProcessId;
    this.#advance();
    const secretKey = randomInt(-0x8000_0000, 0x7fff_ffff);
    this.#byProcess.set(processId, { connection, secretKey });
    return { processId, secretKey };
  }

  #advance(): void {
    this.#nextProcessId = this.#nextProcessId >= 0x7fff_fffe ? 1000 : this.#nextProcessId + 1;
  }

  unregister(processId: number): void {
    this.#byProcess.delete(processId);
  }

  cancel(processId: number, secretKey: number): void {
    const entry = this.#byProcess.get(processId);
    if (entry !== undefined && entry.secretKey === secretKey) entry.connection.cancel();
  }
}

/** Starts the endpoint. Throws when the options are unsafe or the address cannot be bound. */
export async function listenPg(backend: PgBackend, options: PgServerOptions): Promise<PgServer> {
  const settings: ConnectionSettings = {
    backend,
    authentication: authentication(options),
    tls:
      options.tls === undefined
        ? undefined
        : createSecureContext({ cert: options.tls.cert, key: options.tls.key }),
    serverVersion: options.serverVersion ?? '13.14.0',
    superuser: options.isSuperuser ?? (() => options.superuser ?? true),
    maxMessageBytes: options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES,
    maxStatementBytes: options.maxStatementBytes ?? DEFAULT_MAX_STATEMENT_BYTES,
    authTimeoutMs: options.authTimeoutMs ?? 60_000,
    // The connection asking is one of those open.
    admit: () => open.size <= (options.maxConnections ?? DEFAULT_MAX_CONNECTIONS),
    logins: new LoginThrottle(options.loginThrottle),
    onLogin: (login) => {
      try {
        options.onLogin?.(login);
      } catch (error) {
        unexpected(error);
      }
    },
  };
  const unexpected = (error: unknown): void => {
    try {
      options.onUnexpectedError?.(error);
    } catch {
      // A failing logger must not take a connection down.
    }
  };
  const keys = new CancelKeys();
  const open = new Map<PgConnection, Promise<void>>();
  const server = createServer((socket: Socket) => {
    socket.setNoDelay(true);
    const connection = new PgConnection(socket, settings, keys, unexpected);
    open.set(
      connection,
      connection.run().finally(() => open.delete(connection)),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  // Accept failures (EMFILE…) are reported on the server; they must not crash the process.
  server.on('error', unexpected);
  const address = server.address() as AddressInfo;
  return {
    host: address.address,
    port: address.port,
    get connections() {
      return open.size;
    },
    close: async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const connection of open.keys()) connection.close();
      await Promise.all([closed, ...open.values()]);
    },
  };
}
