/**
 * Reads the fields of one message body (big-endian integers, NUL-terminated strings, byte
 * runs). Running past the end or a string without its NUL is a protocol violation; text that
 * is not UTF-8 is error 22021, as PostgreSQL's server-side encoding check reports it.
 */
import { SqlError } from '../../sql/errors.ts';
import { PgState, protocolViolation } from './errors.ts';

const utf8 = new TextDecoder('utf-8', { fatal: true });

export function decodeUtf8(bytes: Uint8Array): string {
  try {
    return utf8.decode(bytes);
  } catch {
    throw new SqlError(PgState.characterNotInRepertoire, 'invalid byte sequence for encoding "UTF8"');
  }
}

export class FieldReader {
  readonly #buf: Buffer;
  #at = 0;

  constructor(buf: Buffer) {
    this.#buf = buf;
  }

  get remaining(): number {
    return this.#buf.length - this.#at;
  }

  #need(n: number): void {
    if (this.remaining < n) throw protocolViolation('insufficient data left in message');
  }

  int8(): number {
    this.#need(1);
    return this.#buf.readUInt8(this.#at++);
  }

  int16(): number {
    this.#need(2);
    const v = this.#buf.readInt16BE(this.#at);
    this.#at += 2;
    return v;
  }

  int32(): number {
    this.#need(4);
    const v = this.#buf.readInt32BE(this.#at);
    this.#at += 4;
    return v;
  }

  /** A NUL-terminated UTF-8 string. */
  cstring(): string {
    const end = this.#buf.indexOf(0, this.#at);
    if (end < 0) throw protocolViolation('invalid string in message');
    const s = decodeUtf8(this.#buf.subarray(this.#at, end));
    this.#at = end + 1;
    return s;
  }

  bytes(n: number): Buffer {
    if (n < 0) throw protocolViolation('invalid message format');
    this.#need(n);
    const out = this.#buf.subarray(this.#at, this.#at + n);
    this.#at += n;
    return out;
  }

  rest(): Buffer {
    return this.bytes(this.remaining);
  }

  /** The message must have been read to its last byte. */
  end(): void {
    if (this.remaining !== 0) throw protocolViolation('invalid message format');
  }
}
