/**
 * One client connection from first byte to close: the startup phase (SSL/GSSENC negotiation,
 * CancelRequest, StartupMessage), authentication, the session's greeting, then its messages
 * strictly in arrival order. Whatever happens, `run` resolves: faults become a FATAL
 * ErrorResponse and a closed socket, never an exception.
 */
import type { Socket } from 'node:net';
import type { SecureContext } from 'node:tls';
import { SqlError, SqlState } from '../../sql/errors.ts';
import type { LoginThrottle } from '../login-throttle.ts';
import { type Authentication, authenticate } from './authenticate.ts';
import type { PgBackend, PgSession, PgStartup } from './backend.ts';
import {
  authenticationOk,
  backendKeyData,
  errorResponse,
  negotiateProtocolVersion,
  negotiationAnswer,
  parameterStatus,
  readyForQuery,
} from './backend-messages.ts';
import { statusAfterError } from './command-tag.ts';
import { errorFields, hasSqlState, PgFatalError, PgState, protocolViolation } from './errors.ts';
import { ExtendedQuery } from './extended-query.ts';
import {
  decodeMessage,
  decodeStartupPacket,
  type FrontendMessage,
  type StartupPacket,
} from './frontend-messages.ts';
import { failureOf, type QueryContext } from './query-context.ts';
import { simpleQuery } from './simple-query.ts';
import { ClientGone, Transport } from './transport.ts';

export interface ConnectionSettings {
  readonly backend: PgBackend;
  /** How a user is asked to authenticate. */
  readonly authentication: (user: string) => Authentication;
  readonly tls: SecureContext | undefined;
  readonly serverVersion: string;
  /** Whether a user's session is a superuser's (is_superuser). */
  readonly superuser: (user: string) => boolean;
  readonly maxMessageBytes: number;
  /** Longest SQL text a Query or Parse may carry, in bytes (longer: 54000, and the session goes on). */
  readonly maxStatementBytes: number;
  readonly authTimeoutMs: number;
  /** Whether another client may start a session now (false: 53300, as PostgreSQL's max_connections). */
  readonly admit: () => boolean;
  /** Failed logins slow their address down. */
  readonly logins: LoginThrottle;
  /** Told of every login attempt that got as far as its password (or trust), and how it ended. */
  readonly onLogin: (login: LoginEvent) => void;
}

/** A login attempt, for the audit trail. */
export interface LoginEvent {
  readonly user: string;
  readonly database: string;
  readonly address: string;
  readonly method: Authentication['method'];
  /** Why the session was not opened (a wrong password, a user who may not log in…); undefined when it was. */
  readonly refused?: { readonly sqlstate: string; readonly message: string };
}

/**
 * Refuses SQL text longer than the limit before anything parses it: a statement of megabytes
 * (a 700,000-item IN list) would otherwise cost the parser and the rewrite a gigabyte.
 */
function checkStatementSize(message: FrontendMessage, maxBytes: number): void {
  if (message.kind !== 'Query' && message.kind !== 'Parse') return;
  const bytes = Buffer.byteLength(message.sql);
  if (bytes > maxBytes)
    throw new SqlError(
      SqlState.programLimitExceeded,
      `statement is too long: ${bytes} bytes, the limit is ${maxBytes}`,
      undefined,
      { hint: 'Send less SQL at once (many rows: COPY FROM STDIN), or raise --max-statement-size.' },
    );
}

function wrongPassword(e: unknown): boolean {
  return e instanceof PgFatalError && e.sqlstate === PgState.invalidPassword;
}

/** The server's side of cancel keys: handing them out, and routing a CancelRequest. */
export interface CancelRegistry {
  register(connection: PgConnection): { readonly processId: number; readonly secretKey: number };
  unregister(processId: number): void;
  cancel(processId: number, secretKey: number): void;
}

type StartupMessage = Extract<StartupPacket, { kind: 'Startup' }>;

const SYNC = 0x53;
const TERMINATE = 0x58;
/** Message types of the extended protocol: an error in one skips everything up to Sync. */
const EXTENDED = new Set([0x50, 0x42, 0x44, 0x45, 0x43, 0x48]);

export class PgConnection {
  readonly #settings: ConnectionSettings;
  readonly #registry: CancelRegistry;
  readonly #transport: Transport;
  readonly #unexpected: (error: unknown) => void;
  readonly #address: string;
  #session: PgSession | undefined;
  #processId: number | undefined;
  #ctx: QueryContext | undefined;
  #running = false;

  constructor(
    socket: Socket,
    settings: ConnectionSettings,
    registry: CancelRegistry,
    unexpected: (error: unknown) => void,
  ) {
    this.#settings = settings;
    this.#registry = registry;
    this.#unexpected = unexpected;
    this.#address = socket.remoteAddress ?? 'unknown';
    this.#transport = new Transport(socket, settings.maxMessageBytes);
    // A client gone mid-query will never read the answer: stop the work for it.
    this.#transport.onGone(() => this.cancel());
  }

  /** Serves the connection until it ends. Never rejects. */
  async run(): Promise<void> {
    const timer = setTimeout(() => this.#transport.destroy(), this.#settings.authTimeoutMs);
    try {
      const startup = await this.#startup();
      if (startup === undefined) return;
      await this.#open(startup);
      clearTimeout(timer);
      await this.#serve();
    } catch (e) {
      this.#fail(e);
    } finally {
      clearTimeout(timer);
      this.#end();
    }
  }

  /** A CancelRequest with this connection's key: interrupt the running query, if any. */
  cancel(): void {
    if (!this.#running || this.#ctx === undefined) return;
    this.#ctx.canceled = true;
    try {
      this.#session?.cancel();
    } catch (e) {
      this.#unexpected(e);
    }
  }

  /** Server shutdown: tells the client, as PostgreSQL does, and hangs up. */
  close(): void {
    if (this.#transport.closed) return;
    this.cancel();
    this.#transport.queue(
      errorResponse({
        severity: 'FATAL',
        code: PgState.adminShutdown,
        message: 'terminating connection due to administrator command',
      }),
    );
    this.#transport.close();
  }

  #fail(e: unknown): void {
    if (e instanceof ClientGone) return;
    if (!hasSqlState(e)) this.#unexpected(e);
    const fields = errorFields(e);
    if (this.#transport.closed) return;
    this.#transport.queue(errorResponse({ ...fields, severity: 'FATAL' }));
  }

  #end(): void {
    if (this.#processId !== undefined) this.#registry.unregister(this.#processId);
    const session = this.#session;
    this.#session = undefined;
    try {
      session?.close();
    } catch (e) {
      this.#unexpected(e);
    }
    this.#transport.close();
  }

  /** Negotiation packets until the StartupMessage; undefined for a CancelRequest or a client gone. */
  async #startup(): Promise<StartupMessage | undefined> {
    const t = this.#transport;
    for (;;) {
      const frame = await t.nextFrame();
      if (frame === undefined) return undefined;
      const packet = decodeStartupPacket(frame);
      switch (packet.kind) {
        case 'SSLRequest':
          if (t.encrypted) throw protocolViolation('SSLRequest on a connection already encrypted');
          if (this.#settings.tls !== undefined) await t.startTls(this.#settings.tls);
          else {
            t.queue(negotiationAnswer(false));
            await t.flush();
          }
          break;
        case 'GSSENCRequest':
          t.queue(negotiationAnswer(false));
          await t.flush();
          break;
        case 'CancelRequest':
          this.#registry.cancel(packet.processId, packet.secretKey);
          return undefined;
        case 'Startup':
          if (!this.#settings.admit())
            throw new PgFatalError(PgState.tooManyConnections, 'sorry, too many clients already');
          t.expectTypedMessages();
          return packet;
        default: {
          const never: never = packet;
          throw new Error(`unknown startup packet ${String(never)}`);
        }
      }
    }
  }

  async #open(startup: StartupMessage): Promise<void> {
    const t = this.#transport;
    const parameters = startup.parameters;
    const unrecognized = [...parameters.keys()].filter((k) => k.startsWith('_pq_.'));
    if (startup.minorVersion > 0 || unrecognized.length > 0)
      t.queue(negotiateProtocolVersion(0, unrecognized));
    const user = parameters.get('user') ?? '';
    if (user === '')
      throw new PgFatalError(
        PgState.invalidAuthorization,
        'no PostgreSQL user name specified in startup packet',
      );
    const options: Record<string, string> = {};
    for (const [k, v] of parameters)
      if (k !== 'user' && k !== 'database' && !k.startsWith('_pq_.')) options[k] = v;
    const identity: PgStartup = {
      user,
      database: parameters.get('database') || user,
      address: this.#address,
      options,
    };
    const auth = this.#settings.authentication(user);
    const failure = await this.#settings.logins.attempt(
      this.#address,
      () =>
        authenticate(t, user, auth).then(
          () => undefined,
          (e: unknown) => e,
        ),
      (e) => !wrongPassword(e),
    );
    const report = (refused?: unknown) => {
      const fields = refused === undefined ? undefined : errorFields(refused);
      this.#settings.onLogin({
        user,
        database: identity.database,
        address: this.#address,
        method: auth.method,
        ...(fields === undefined ? {} : { refused: { sqlstate: fields.code, message: fields.message } }),
      });
    };
    if (failure !== undefined) {
      if (wrongPassword(failure)) report(failure);
      throw failure;
    }
    try {
      this.#session = await this.#settings.backend.open(identity);
    } catch (e) {
      if (hasSqlState(e)) report(e);
      throw e;
    }
    report();
    const key = this.#registry.register(this);
    this.#processId = key.processId;
    t.queue(authenticationOk());
    const status: [string, string][] = [
      ['application_name', options.application_name ?? ''],
      ['client_encoding', 'UTF8'],
      ['DateStyle', 'ISO, MDY'],
      ['default_transaction_read_only', 'off'],
      ['in_hot_standby', 'off'],
      ['integer_datetimes', 'on'],
      ['IntervalStyle', 'postgres'],
      ['is_superuser', this.#settings.superuser(user) ? 'on' : 'off'],
      ['server_encoding', 'UTF8'],
      ['server_version', this.#settings.serverVersion],
      ['session_authorization', user],
      ['standard_conforming_strings', 'on'],
      ['TimeZone', 'UTC'],
    ];
    for (const [name, value] of status) t.queue(parameterStatus(name, value));
    t.queue(backendKeyData(key.processId, key.secretKey));
    t.queue(readyForQuery('I'));
    await t.flush();
  }

  async #serve(): Promise<void> {
    const t = this.#transport;
    const ctx: QueryContext = {
      transport: t,
      session: this.#session as PgSession,
      status: 'I',
      canceled: false,
      timedOut: false,
      unexpected: this.#unexpected,
    };
    this.#ctx = ctx;
    const extended = new ExtendedQuery(ctx);
    let skipToSync = false;
    for (;;) {
      const frame = await t.nextFrame();
      if (frame === undefined) return;
      if (skipToSync && frame.type !== SYNC && frame.type !== TERMINATE) continue;
      let message: FrontendMessage;
      try {
        message = decodeMessage(frame);
        checkStatementSize(message, this.#settings.maxStatementBytes);
      } catch (e) {
        // Only text that is not UTF-8 fails a message without failing the connection.
        if (!(e instanceof SqlError)) throw e;
        t.queue(errorResponse(errorFields(e)));
        ctx.status = statusAfterError(ctx.status);
        if (EXTENDED.has(frame.type)) skipToSync = true;
        else {
          t.queue(readyForQuery(ctx.status));
          await t.flush();
        }
        continue;
      }
      switch (message.kind) {
        case 'Terminate':
          return;
        case 'Sync':
          skipToSync = false;
          extended.endOfTransactionStep();
          t.queue(readyForQuery(ctx.status));
          await t.flush();
          break;
        case 'Flush':
          await t.flush();
          break;
        case 'CopyOutsideCopy':
          break;
        case 'FunctionCall':
          t.queue(
            errorResponse(
              errorFields(
                new SqlError(PgState.featureNotSupported, 'the function call protocol is not supported'),
              ),
            ),
          );
          t.queue(readyForQuery(ctx.status));
          await t.flush();
          break;
        case 'Query':
          extended.dropUnnamed();
          await this.#whileRunning(() => simpleQuery(ctx, message.sql));
          extended.endOfTransactionStep();
          t.queue(readyForQuery(ctx.status));
          await t.flush();
          break;
        default:
          try {
            await this.#whileRunning(() => this.#extended(extended, message));
          } catch (e) {
            if (e instanceof ClientGone || e instanceof PgFatalError) throw e;
            if (!hasSqlState(e)) this.#unexpected(e);
            t.queue(errorResponse(errorFields(failureOf(ctx, e))));
            ctx.status = statusAfterError(ctx.status);
            skipToSync = true;
            // PostgreSQL sends an error at once, not at the next Sync: a client still sending
            // (COPY data) learns of it while it sends.
            await t.flush();
          }
      }
    }
  }

  async #whileRunning(work: () => Promise<void>): Promise<void> {
    const ctx = this.#ctx as QueryContext;
    ctx.canceled = false;
    ctx.timedOut = false;
    this.#running = true;
    const timeoutMs = this.#session?.statementTimeoutMs?.() ?? 0;
    const timer =
      timeoutMs > 0
        ? setTimeout(() => {
            ctx.timedOut = true;
            this.cancel();
          }, timeoutMs)
        : undefined;
    try {
      await work();
    } finally {
      clearTimeout(timer);
      this.#running = false;
    }
  }

  async #extended(extended: ExtendedQuery, m: FrontendMessage): Promise<void> {
    switch (m.kind) {
      case 'Parse':
        return extended.parse(m);
      case 'Bind':
        return extended.bind(m);
      case 'Describe':
        return extended.describe(m);
      case 'Execute':
        return extended.execute(m);
      case 'Close':
        return extended.close(m);
      default:
        throw new Error(`message ${m.kind} is not part of the extended protocol`);
    }
  }
}
