/**
 * MD5 password authentication (AuthenticationMD5Password), kept for old clients: the client
 * answers `"md5" + md5(md5(password + user) + salt)` in hex.
 */
import { createHash, timingSafeEqual } from 'node:crypto';

function md5Hex(data: Buffer | string): string {
  return createHash('md5').update(data).digest('hex');
}

/** What a client that knows `password` answers to `salt`. */
export function md5PasswordAnswer(user: string, password: string, salt: Uint8Array): string {
  const inner = md5Hex(password + user);
  return `md5${md5Hex(Buffer.concat([Buffer.from(inner), salt]))}`;
}

export function md5PasswordMatches(
  answer: string,
  user: string,
  password: string,
  salt: Uint8Array,
): boolean {
  const expected = Buffer.from(md5PasswordAnswer(user, password, salt));
  const given = Buffer.from(answer);
  return given.length === expected.length && timingSafeEqual(given, expected);
}
