/**
 * A user's password as PostgreSQL keeps it in pg_authid: never the text, only its SCRAM-SHA-256
 * secret `SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>` (base64), from which a
 * server can check a client's proof but nobody can log in. A password given in that form is
 * taken as it is, as PostgreSQL does.
 */
import { createHash, createHmac, pbkdf2Sync, randomBytes } from 'node:crypto';

/** The parts of a SCRAM secret the SCRAM exchange needs. */
export interface ScramSecret {
  readonly salt: Buffer;
  readonly iterations: number;
  readonly storedKey: Buffer;
  readonly serverKey: Buffer;
}

const ITERATIONS = 4096;
const SECRET = /^SCRAM-SHA-256\$(\d+):([A-Za-z0-9+/=]+)\$([A-Za-z0-9+/=]+):([A-Za-z0-9+/=]+)$/;

function hmac(key: Buffer, text: string): Buffer {
  return createHmac('sha256', key).update(text).digest();
}

/** The secret of `password` as text, with a fresh random salt (or the one given). */
export function scramSecretText(password: string, salt: Buffer = randomBytes(16)): string {
  const salted = pbkdf2Sync(password, salt, ITERATIONS, 32, 'sha256');
  const storedKey = createHash('sha256').update(hmac(salted, 'Client Key')).digest();
  const serverKey = hmac(salted, 'Server Key');
  return `SCRAM-SHA-256$${ITERATIONS}:${salt.toString('base64')}$${storedKey.toString('base64')}:${serverKey.toString('base64')}`;
}

/** Whether the text is a SCRAM secret already (a password given pre-hashed). */
export function isScramSecretText(text: string): boolean {
  return parseScramSecret(text) !== undefined;
}

/** The parts of a secret's text; undefined when it is not one. */
export function parseScramSecret(text: string): ScramSecret | undefined {
  const m = SECRET.exec(text);
  if (m === null) return undefined;
  const iterations = Number(m[1]);
  const storedKey = Buffer.from(m[3] as string, 'base64');
  const serverKey = Buffer.from(m[4] as string, 'base64');
  if (
    !Number.isSafeInteger(iterations) ||
    iterations < 1 ||
    storedKey.length !== 32 ||
    serverKey.length !== 32
  )
    return undefined;
  return { salt: Buffer.from(m[2] as string, 'base64'), iterations, storedKey, serverKey };
}

/**
 * A secret no password matches, for a user that does not exist or has no password: the
 * exchange runs as for any user, so a client cannot tell which names exist.
 */
export function unmatchableSecret(): ScramSecret {
  return {
    salt: randomBytes(16),
    iterations: ITERATIONS,
    storedKey: randomBytes(32),
    serverKey: randomBytes(32),
  };
}
