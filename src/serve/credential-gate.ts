/**
 * Requests refused for their credentials on the HTTP port — the HTTP API's bearer token, the
 * decisions API's `X-Api-Key` — are failed logins: each is reported (to the audit trail) and
 * counted against its client address by one `LoginThrottle`, so that guessing either slows that
 * address down for both. While an address waits, its requests are answered 429 with
 * `Retry-After` and their credentials are not looked at, the right ones neither; other
 * addresses are served as before.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { LoginThrottle, type LoginThrottleOptions } from './login-throttle.ts';

/** Which credential was refused: the bearer token or a bouncer's API key. */
export type CredentialScheme = 'bearer' | 'api-key';

/** A request refused for its credential. */
export interface CredentialRefusal {
  readonly scheme: CredentialScheme;
  readonly address: string;
  readonly method: string;
  /** The path asked for, without its query string (which may hold anything). */
  readonly path: string;
  /** No credential at all, rather than a wrong one. */
  readonly missing: boolean;
}

export interface CredentialGateOptions {
  /** How refused credentials slow their address down (default: LoginThrottle's). */
  readonly throttle?: LoginThrottleOptions;
  /** Told of every refused credential (not of requests refused while their address waits). */
  readonly onRefused?: (refusal: CredentialRefusal) => void;
}

/** The path of a request's URL, without its query string; undefined when it is not one. */
export function pathOf(url: string): string | undefined {
  try {
    return new URL(url, 'http://localhost').pathname;
  } catch {
    return undefined;
  }
}

export class CredentialGate {
  readonly #throttle: LoginThrottle;
  readonly #onRefused: ((refusal: CredentialRefusal) => void) | undefined;

  constructor(options: CredentialGateOptions = {}) {
    this.#throttle = new LoginThrottle(options.throttle);
    this.#onRefused = options.onRefused;
  }

  /**
   * When the request's address still waits, sets `Retry-After` on `reply` and returns what to
   * answer (with 429); undefined when its credential may be checked now.
   */
  holdBack(request: FastifyRequest, reply: FastifyReply): string | undefined {
    const wait = this.#throttle.waitLeftMs(request.ip);
    if (wait <= 0) return undefined;
    reply.header('retry-after', String(Math.ceil(wait / 1000)));
    return 'too many requests with wrong credentials from this address';
  }

  /** Counts a refused credential against the request's address and reports it. */
  refused(request: FastifyRequest, scheme: CredentialScheme, missing: boolean): void {
    this.#throttle.failed(request.ip);
    this.#onRefused?.({
      scheme,
      address: request.ip,
      method: request.method,
      path: pathOf(request.url) ?? '?',
      missing,
    });
  }
}
