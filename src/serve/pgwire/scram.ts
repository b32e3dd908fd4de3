/**
 * The server side of SCRAM-SHA-256 (RFC 5802, RFC 7677) as PostgreSQL runs it: a stored
 * verifier (salt, iterations, StoredKey, ServerKey), then client-first → server-first and
 * client-final → server-final. Channel binding is not offered: the gs2 header may be `n`
 * or `y` (the client could bind but the server does not advertise SCRAM-SHA-256-PLUS);
 * `p=` is refused. The user name inside the SCRAM messages is ignored, as PostgreSQL does:
 * the startup packet names the user.
 */
import { createHash, createHmac, pbkdf2, randomBytes, timingSafeEqual } from 'node:crypto';
import { promisify } from 'node:util';
import { PgFatalError, PgState, protocolViolation } from './errors.ts';

export const SCRAM_SHA_256 = 'SCRAM-SHA-256';
const DEFAULT_ITERATIONS = 4096;

export interface ScramVerifier {
  readonly salt: Buffer;
  readonly iterations: number;
  readonly storedKey: Buffer;
  readonly serverKey: Buffer;
}

const pbkdf2Async = promisify(pbkdf2);

function hmac(key: Buffer, text: string): Buffer {
  return createHmac('sha256', key).update(text).digest();
}

function sha256(data: Buffer): Buffer {
  return createHash('sha256').update(data).digest();
}

/** What PostgreSQL stores in pg_authid for a SCRAM password. */
export async function scramVerifier(
  password: string,
  salt: Buffer = randomBytes(16),
  iterations = DEFAULT_ITERATIONS,
): Promise<ScramVerifier> {
  const salted = await pbkdf2Async(password, salt, iterations, 32, 'sha256');
  return {
    salt,
    iterations,
    storedKey: sha256(hmac(salted, 'Client Key')),
    serverKey: hmac(salted, 'Server Key'),
  };
}

function malformed(detail: string): PgFatalError {
  return protocolViolation('malformed SCRAM message', detail);
}

/** `k=value` attributes of a SCRAM message, in order. */
function attributes(text: string): { key: string; value: string }[] {
  return text.split(',').map((part) => {
    if (part.length < 2 || part[1] !== '=') throw malformed(`Attribute expected, but found "${part}".`);
    return { key: part[0] as string, value: part.slice(2) };
  });
}

const printable = /^[\x21-\x2b\x2d-\x7e]+$/;

/** One SCRAM exchange. */
export class ScramExchange {
  readonly #verifier: ScramVerifier;
  readonly #serverNonce: string;
  #gs2Header = '';
  #clientFirstBare = '';
  #serverFirst = '';
  #nonce = '';

  constructor(verifier: ScramVerifier, serverNonce: string = randomBytes(18).toString('base64')) {
    this.#verifier = verifier;
    this.#serverNonce = serverNonce;
  }

  /** client-first-message → server-first-message. Throws PgFatalError (08P01) when malformed or unsupported. */
  start(clientFirst: string): string {
    const flag = clientFirst[0];
    if (flag === 'p')
      throw new PgFatalError(
        PgState.featureNotSupported,
        'SCRAM channel binding (SCRAM-SHA-256-PLUS, tls-server-end-point) is not supported',
        'Connect without channel binding (channel_binding=disable or prefer).',
      );
    if ((flag !== 'n' && flag !== 'y') || clientFirst[1] !== ',')
      throw malformed('Unexpected channel-binding flag.');
    const authzEnd = clientFirst.indexOf(',', 2);
    if (authzEnd < 0) throw malformed('Comma expected after the authorization identity.');
    if (authzEnd !== 2)
      throw new PgFatalError(
        PgState.featureNotSupported,
        'client uses authorization identity, but it is not supported',
      );
    this.#gs2Header = clientFirst.slice(0, authzEnd + 1);
    this.#clientFirstBare = clientFirst.slice(authzEnd + 1);
    const attrs = attributes(this.#clientFirstBare);
    if (attrs[0]?.key === 'm') throw malformed('client requires an unsupported SCRAM extension');
    if (attrs[0]?.key !== 'n') throw malformed('The user name attribute (n) is missing.');
    const clientNonce = attrs[1]?.key === 'r' ? attrs[1].value : '';
    if (!printable.test(clientNonce)) throw malformed('The client nonce (r) is missing or not printable.');
    this.#nonce = clientNonce + this.#serverNonce;
    const v = this.#verifier;
    this.#serverFirst = `r=${this.#nonce},s=${v.salt.toString('base64')},i=${v.iterations}`;
    return this.#serverFirst;
  }

  /**
   * client-final-message → server-final-message (`v=<ServerSignature>`), or undefined when the
   * proof does not match the password. Throws PgFatalError when malformed.
   */
  finish(clientFinal: string): string | undefined {
    const proofAt = clientFinal.lastIndexOf(',p=');
    if (proofAt < 0) throw malformed('The client proof (p) is missing.');
    const withoutProof = clientFinal.slice(0, proofAt);
    const attrs = attributes(withoutProof);
    if (attrs[0]?.key !== 'c') throw malformed('The channel binding attribute (c) is missing.');
    if (attrs[0].value !== Buffer.from(this.#gs2Header).toString('base64'))
      throw malformed('SCRAM channel binding check failed.');
    if (attrs[1]?.key !== 'r' || attrs[1].value !== this.#nonce) throw malformed('Nonce does not match.');
    const proof = Buffer.from(clientFinal.slice(proofAt + 3), 'base64');
    if (proof.length !== 32) throw malformed('Malformed proof in client-final-message.');
    const authMessage = `${this.#clientFirstBare},${this.#serverFirst},${withoutProof}`;
    const v = this.#verifier;
    const signature = hmac(v.storedKey, authMessage);
    const clientKey = Buffer.alloc(32);
    for (let i = 0; i < 32; i++) clientKey[i] = (proof[i] as number) ^ (signature[i] as number);
    if (!timingSafeEqual(sha256(clientKey), v.storedKey)) return undefined;
    return `v=${hmac(v.serverKey, authMessage).toString('base64')}`;
  }
}
