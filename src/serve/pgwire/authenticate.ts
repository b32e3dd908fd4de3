/**
 * The authentication exchange after the startup packet: nothing for trust, a salted MD5
 * challenge, or a SCRAM-SHA-256 SASL conversation. A wrong password is FATAL 28P01.
 */
import { randomBytes } from 'node:crypto';
import {
  authenticationMd5,
  authenticationSasl,
  authenticationSaslContinue,
  authenticationSaslFinal,
} from './backend-messages.ts';
import { PgFatalError, PgState, protocolViolation } from './errors.ts';
import { FieldReader } from './field-reader.ts';
import { md5PasswordMatches } from './md5-password.ts';
import { SCRAM_SHA_256, ScramExchange, type ScramVerifier } from './scram.ts';
import { ClientGone, type Transport } from './transport.ts';

export type Authentication =
  | { readonly method: 'trust' }
  | { readonly method: 'md5'; readonly password: string }
  | { readonly method: 'scram-sha-256'; readonly verifier: () => Promise<ScramVerifier> };

const PASSWORD_MESSAGE = 0x70; // 'p'

async function passwordMessage(transport: Transport, expected: string): Promise<FieldReader> {
  await transport.flush();
  const frame = await transport.nextFrame();
  if (frame === undefined) throw new ClientGone();
  if (frame.type !== PASSWORD_MESSAGE)
    throw protocolViolation(`expected ${expected} response, got message type ${frame.type}`);
  return new FieldReader(frame.body);
}

function failed(user: string): PgFatalError {
  return new PgFatalError(PgState.invalidPassword, `password authentication failed for user "${user}"`);
}

async function md5(transport: Transport, user: string, password: string): Promise<void> {
  const salt = randomBytes(4);
  transport.queue(authenticationMd5(salt));
  const r = await passwordMessage(transport, 'password');
  const answer = r.cstring();
  r.end();
  if (!md5PasswordMatches(answer, user, password, salt)) throw failed(user);
}

async function scram(transport: Transport, user: string, verifier: ScramVerifier): Promise<void> {
  transport.queue(authenticationSasl([SCRAM_SHA_256]));
  const initial = await passwordMessage(transport, 'SASL');
  const mechanism = initial.cstring();
  if (mechanism !== SCRAM_SHA_256)
    throw protocolViolation('client selected an invalid SASL authentication mechanism');
  const length = initial.int32();
  const clientFirst = initial.bytes(length).toString('utf8');
  initial.end();
  const exchange = new ScramExchange(verifier);
  transport.queue(authenticationSaslContinue(exchange.start(clientFirst)));
  const response = await passwordMessage(transport, 'SASL');
  const serverFinal = exchange.finish(response.rest().toString('utf8'));
  if (serverFinal === undefined) throw failed(user);
  transport.queue(authenticationSaslFinal(serverFinal));
}

/** Runs the exchange `auth` asks for; returns once the client is authenticated (AuthenticationOk not sent). */
export async function authenticate(transport: Transport, user: string, auth: Authentication): Promise<void> {
  switch (auth.method) {
    case 'trust':
      return;
    case 'md5':
      return md5(transport, user, auth.password);
    case 'scram-sha-256':
      return scram(transport, user, await auth.verifier());
    default: {
      const never: never = auth;
      throw new Error(`unknown authentication ${String(never)}`);
    }
  }
}
