/**
 * Encodes what the server sends: one function per backend message, each returning the whole
 * message (type byte, length, body) as a Buffer.
 */
import type { ErrorFields } from './errors.ts';

/** Grows a buffer while a message body is written; `finish` prepends type and length. */
class MessageBuilder {
  #buf: Buffer;
  #at = 5;

  constructor(capacity = 64) {
    this.#buf = Buffer.allocUnsafe(Math.max(capacity, 16));
  }

  #room(n: number): void {
    if (this.#at + n <= this.#buf.length) return;
    const bigger = Buffer.allocUnsafe(Math.max(this.#buf.length * 2, this.#at + n));
    this.#buf.copy(bigger, 0, 0, this.#at);
    this.#buf = bigger;
  }

  int8(v: number): this {
    this.#room(1);
    this.#buf.writeUInt8(v, this.#at);
    this.#at += 1;
    return this;
  }

  int16(v: number): this {
    this.#room(2);
    this.#buf.writeInt16BE(v, this.#at);
    this.#at += 2;
    return this;
  }

  int32(v: number): this {
    this.#room(4);
    this.#buf.writeInt32BE(v, this.#at);
    this.#at += 4;
    return this;
  }

  /** NUL ends a string on the wire, so a NUL inside one is dropped. */
  cstring(text: string): this {
    const s = text.includes('\0') ? text.replaceAll('\0', '') : text;
    const n = Buffer.byteLength(s);
    this.#room(n + 1);
    this.#buf.write(s, this.#at, 'utf8');
    this.#buf[this.#at + n] = 0;
    this.#at += n + 1;
    return this;
  }

  bytes(b: Uint8Array): this {
    this.#room(b.length);
    this.#buf.set(b, this.#at);
    this.#at += b.length;
    return this;
  }

  finish(type: string): Buffer {
    this.#buf.writeUInt8(type.charCodeAt(0), 0);
    this.#buf.writeInt32BE(this.#at - 1, 1);
    return this.#buf.subarray(0, this.#at);
  }
}

function empty(type: string): Buffer {
  return new MessageBuilder(5).finish(type);
}

const AUTH_OK = 0;
const AUTH_MD5 = 5;
const AUTH_SASL = 10;
const AUTH_SASL_CONTINUE = 11;
const AUTH_SASL_FINAL = 12;

export function authenticationOk(): Buffer {
  return new MessageBuilder().int32(AUTH_OK).finish('R');
}

export function authenticationMd5(salt: Uint8Array): Buffer {
  return new MessageBuilder().int32(AUTH_MD5).bytes(salt).finish('R');
}

export function authenticationSasl(mechanisms: readonly string[]): Buffer {
  const b = new MessageBuilder().int32(AUTH_SASL);
  for (const m of mechanisms) b.cstring(m);
  return b.int8(0).finish('R');
}

export function authenticationSaslContinue(data: string): Buffer {
  return new MessageBuilder().int32(AUTH_SASL_CONTINUE).bytes(Buffer.from(data)).finish('R');
}

export function authenticationSaslFinal(data: string): Buffer {
  return new MessageBuilder().int32(AUTH_SASL_FINAL).bytes(Buffer.from(data)).finish('R');
}

export function parameterStatus(name: string, value: string): Buffer {
  return new MessageBuilder().cstring(name).cstring(value).finish('S');
}

export function backendKeyData(processId: number, secretKey: number): Buffer {
  return new MessageBuilder().int32(processId).int32(secretKey).finish('K');
}

export function negotiateProtocolVersion(minor: number, unrecognized: readonly string[]): Buffer {
  const b = new MessageBuilder().int32((3 << 16) | minor).int32(unrecognized.length);
  for (const name of unrecognized) b.cstring(name);
  return b.finish('v');
}

/** Transaction status: idle, in a transaction block, in a failed transaction block. */
export type TransactionStatus = 'I' | 'T' | 'E';

export function readyForQuery(status: TransactionStatus): Buffer {
  return new MessageBuilder().int8(status.charCodeAt(0)).finish('Z');
}

export interface FieldDescription {
  readonly name: string;
  readonly typeOid: number;
  readonly typeLength: number;
  /** 0 text, 1 binary. */
  readonly format: number;
}

export function rowDescription(fields: readonly FieldDescription[]): Buffer {
  const b = new MessageBuilder(16 + fields.length * 32).int16(fields.length);
  for (const f of fields)
    b.cstring(f.name).int32(0).int16(0).int32(f.typeOid).int16(f.typeLength).int32(-1).int16(f.format);
  return b.finish('T');
}

export function parameterDescription(typeOids: readonly number[]): Buffer {
  const b = new MessageBuilder().int16(typeOids.length);
  for (const oid of typeOids) b.int32(oid);
  return b.finish('t');
}

/** A DataRow of encoded values (null: SQL NULL). */
export function dataRow(values: readonly (Uint8Array | null)[]): Buffer {
  let size = 2;
  for (const v of values) size += 4 + (v === null ? 0 : v.length);
  const b = new MessageBuilder(size + 5).int16(values.length);
  for (const v of values) {
    if (v === null) b.int32(-1);
    else b.int32(v.length).bytes(v);
  }
  return b.finish('D');
}

export function commandComplete(tag: string): Buffer {
  return new MessageBuilder().cstring(tag).finish('C');
}

/** CopyOutResponse: overall format 0 (textual: COPY text and csv), `columns` columns, each format 0. */
export function copyOutResponse(columns: number): Buffer {
  const b = new MessageBuilder(8 + 2 * columns).int8(0).int16(columns);
  for (let i = 0; i < columns; i++) b.int16(0);
  return b.finish('H');
}

/** CopyInResponse: overall format 0 (textual: COPY text and csv) or 1 (binary), `columns` columns, each in that format. */
export function copyInResponse(binary: boolean, columns: number): Buffer {
  const format = binary ? 1 : 0;
  const b = new MessageBuilder(8 + 2 * columns).int8(format).int16(columns);
  for (let i = 0; i < columns; i++) b.int16(format);
  return b.finish('G');
}

/** CopyData: one row (or the header line) of COPY output, its line end included. */
export function copyData(data: Uint8Array): Buffer {
  return new MessageBuilder(data.length + 5).bytes(data).finish('d');
}

export const copyDone = (): Buffer => empty('c');
export const emptyQueryResponse = (): Buffer => empty('I');
export const parseComplete = (): Buffer => empty('1');
export const bindComplete = (): Buffer => empty('2');
export const closeComplete = (): Buffer => empty('3');
export const noData = (): Buffer => empty('n');
export const portalSuspended = (): Buffer => empty('s');

function fields(type: string, f: ErrorFields): Buffer {
  const b = new MessageBuilder(128);
  b.int8(0x53).cstring(f.severity); // S: localized severity
  b.int8(0x56).cstring(f.severity); // V: severity, never localized
  b.int8(0x43).cstring(f.code);
  b.int8(0x4d).cstring(f.message);
  if (f.detail !== undefined) b.int8(0x44).cstring(f.detail);
  if (f.hint !== undefined) b.int8(0x48).cstring(f.hint);
  if (f.position !== undefined) b.int8(0x50).cstring(String(f.position));
  if (f.where !== undefined) b.int8(0x57).cstring(f.where); // W: context
  return b.int8(0).finish(type);
}

export function errorResponse(f: ErrorFields): Buffer {
  return fields('E', f);
}

export function noticeResponse(message: string): Buffer {
  return fields('N', { severity: 'NOTICE', code: '00000', message });
}

/** The single byte answering SSLRequest / GSSENCRequest: 'S' (go ahead) or 'N' (not supported). */
export function negotiationAnswer(accept: boolean): Buffer {
  return Buffer.from(accept ? 'S' : 'N');
}
