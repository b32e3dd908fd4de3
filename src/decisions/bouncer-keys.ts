/**
 * The API keys of CrowdSec bouncers reading the decisions API, as `cscli bouncers add` makes
 * them: 32 random bytes in hex, shown once, kept only as their SHA-512 in the data directory
 * (`bouncers.json`). The file is read at every request, so that a key added or deleted by
 * `tidewatch bouncer` while tidewatch runs counts at once.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomically } from '../store/atomic-file.ts';

export const BOUNCERS_FILE = 'bouncers.json';

export interface Bouncer {
  readonly name: string;
  /** SHA-512 of the key, hex. */
  readonly keyHash: string;
  readonly createdAt: string;
}

export class BouncerError extends Error {}

const NAME = /^[A-Za-z0-9_.@-]{1,64}$/;

function hashKey(key: string): string {
  return createHash('sha512').update(key).digest('hex');
}

export function readBouncers(dataDir: string): Bouncer[] {
  const file = join(dataDir, BOUNCERS_FILE);
  if (!existsSync(file)) return [];
  return (JSON.parse(readFileSync(file, 'utf8')) as { bouncers: Bouncer[] }).bouncers;
}

function writeBouncers(dataDir: string, bouncers: readonly Bouncer[]): void {
  writeFileAtomically(join(dataDir, BOUNCERS_FILE), `${JSON.stringify({ bouncers }, null, 2)}\n`);
}

/** Adds a bouncer and returns its key (the only time it is seen). */
export function addBouncer(dataDir: string, name: string, now = new Date()): string {
  if (!NAME.test(name))
    throw new BouncerError(`bouncer name "${name}": 1 to 64 letters, digits, '_', '.', '@' or '-'`);
  const bouncers = readBouncers(dataDir);
  if (bouncers.some((b) => b.name === name)) throw new BouncerError(`bouncer "${name}" exists already`);
  const key = randomBytes(32).toString('hex');
  writeBouncers(dataDir, [...bouncers, { name, keyHash: hashKey(key), createdAt: now.toISOString() }]);
  return key;
}

/** Deletes a bouncer; false when there was none of that name. */
export function deleteBouncer(dataDir: string, name: string): boolean {
  const bouncers = readBouncers(dataDir);
  const rest = bouncers.filter((b) => b.name !== name);
  if (rest.length === bouncers.length) return false;
  writeBouncers(dataDir, rest);
  return true;
}

/** The bouncer whose key `key` is; undefined for none. */
export function bouncerOfKey(dataDir: string, key: string): string | undefined {
  const hash = Buffer.from(hashKey(key));
  for (const b of readBouncers(dataDir)) {
    const known = Buffer.from(b.keyHash);
    if (known.length === hash.length && timingSafeEqual(known, hash)) return b.name;
  }
  return undefined;
}
