/**
 * PostgreSQL's binary format of values (typsend / typreceive), both ways: timestamps as µs
 * and dates as days since 2000-01-01, numeric as base-10000 digits with weight, sign and
 * display scale, arrays with their dimensions and element OID, jsonb as version 1 + text.
 */

import { SqlError } from '../../sql/errors.ts';
import { type Int8, int8 } from '../../sql/int8.ts';
import { parseJsonb } from '../../sql/jsonb-value.ts';
import { fromBinaryNumeric, type Numeric, toBinaryNumeric } from '../../sql/numeric.ts';
import { type Interval, type SqlType, T, type Value } from '../../sql/types.ts';
import { formatJsonb } from '../../sql/value-text.ts';
import { PgState } from './errors.ts';
import { decodeUtf8 } from './field-reader.ts';
import { typeOid } from './type-oids.ts';

/** µs and days from 1970-01-01 to PostgreSQL's epoch 2000-01-01. */
const PG_EPOCH_MICROS = 946_684_800_000_000n;
const PG_EPOCH_DAYS = 10_957;
const INT64_MAX = 0x7fff_ffff_ffff_ffffn;
const INT64_MIN = -0x8000_0000_0000_0000n;
const INT32_MAX = 0x7fff_ffff;
const INT32_MIN = -0x8000_0000;

/** PostgreSQL's MAXDIM. */
const MAX_DIMENSIONS = 6;

function badBinary(message = 'incorrect binary data format'): SqlError {
  return new SqlError(PgState.invalidBinaryRepresentation, message);
}

// ---------------------------------------------------------------------------
// encoding

function int64(v: bigint): Buffer {
  const b = Buffer.allocUnsafe(8);
  b.writeBigInt64BE(v);
  return b;
}

function int32(v: number): Buffer {
  const b = Buffer.allocUnsafe(4);
  b.writeInt32BE(v);
  return b;
}

function timestampMicros(v: number): bigint {
  if (v === Number.POSITIVE_INFINITY) return INT64_MAX;
  if (v === Number.NEGATIVE_INFINITY) return INT64_MIN;
  return BigInt(Math.round(v)) - PG_EPOCH_MICROS;
}

/** numeric_send: ndigits, weight, sign, dscale, then the base-10000 digits. */
function encodeNumeric(v: Numeric): Buffer {
  const { digits, weight, sign, dscale } = toBinaryNumeric(v);
  const b = Buffer.allocUnsafe(8 + 2 * digits.length);
  b.writeInt16BE(digits.length, 0);
  b.writeInt16BE(weight, 2);
  b.writeUInt16BE(sign, 4);
  b.writeInt16BE(dscale, 6);
  digits.forEach((d, i) => {
    b.writeInt16BE(d, 8 + 2 * i);
  });
  return b;
}

function encodeInterval(iv: Interval): Buffer {
  const b = Buffer.allocUnsafe(16);
  b.writeBigInt64BE(BigInt(Math.round(iv.micros)), 0);
  b.writeInt32BE(iv.days, 8);
  b.writeInt32BE(iv.months, 12);
  return b;
}

function arrayDepth(t: SqlType): { depth: number; scalar: SqlType } {
  let depth = 0;
  let s: SqlType = t;
  while (s.name === 'array') {
    depth++;
    s = s.element ?? T.text;
  }
  return { depth, scalar: s };
}

function encodeArray(v: readonly Value[], t: SqlType): Buffer {
  const { depth, scalar } = arrayDepth(t);
  const dims: number[] = [];
  let level: readonly Value[] = v;
  for (let d = 0; d < depth; d++) {
    dims.push(level.length);
    const first = level[0];
    if (d + 1 < depth) level = Array.isArray(first) ? (first as readonly Value[]) : [];
  }
  const elements: Value[] = [];
  const flatten = (a: readonly Value[], d: number): void => {
    if (a.length !== dims[d])
      throw new SqlError(
        PgState.arraySubscriptError,
        'multidimensional arrays must have array expressions with matching dimensions',
      );
    for (const e of a) {
      if (d + 1 === depth) elements.push(e);
      else if (Array.isArray(e)) flatten(e as readonly Value[], d + 1);
      else
        throw new SqlError(
          PgState.arraySubscriptError,
          'multidimensional arrays must have array expressions with matching dimensions',
        );
    }
  };
  const isEmpty = dims.includes(0);
  if (!isEmpty) flatten(v, 0);
  const ndim = isEmpty ? 0 : depth;
  const parts: Buffer[] = [int32(ndim), int32(elements.includes(null) ? 1 : 0), int32(typeOid(scalar))];
  for (let d = 0; d < ndim; d++) parts.push(int32(dims[d] as number), int32(1));
  for (const e of elements) {
    if (e === null) parts.push(int32(-1));
    else {
      const bytes = encodeBinary(e, scalar);
      parts.push(int32(bytes.length), Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
    }
  }
  return Buffer.concat(parts);
}

/** The binary format of a non-null value of `type`. */
export function encodeBinary(v: Exclude<Value, null>, type: SqlType): Uint8Array {
  switch (type.name) {
    case 'boolean':
      return Buffer.from([v === true ? 1 : 0]);
    case 'int2': {
      const b = Buffer.allocUnsafe(2);
      b.writeInt16BE(v as number);
      return b;
    }
    case 'int4':
      return int32(v as number);
    case 'int8':
      return int64(BigInt(v as Int8));
    case 'float4': {
      const b = Buffer.allocUnsafe(4);
      b.writeFloatBE(v as number);
      return b;
    }
    case 'float8': {
      const b = Buffer.allocUnsafe(8);
      b.writeDoubleBE(v as number);
      return b;
    }
    case 'numeric':
      return encodeNumeric(v as Numeric);
    case 'varchar':
    case 'text':
    case 'unknown':
      return Buffer.from(String(v), 'utf8');
    case 'bytea':
      return v as Uint8Array;
    case 'timestamp':
    case 'timestamptz':
      return int64(timestampMicros(v as number));
    case 'date': {
      const days = v as number;
      return int32(days === Infinity ? INT32_MAX : days === -Infinity ? INT32_MIN : days - PG_EPOCH_DAYS);
    }
    case 'time':
      return int64(BigInt(Math.round(v as number)));
    case 'interval':
      return encodeInterval(v as Interval);
    case 'jsonb':
      return Buffer.concat([Buffer.from([1]), Buffer.from(formatJsonb(v), 'utf8')]);
    case 'array':
      return encodeArray(v as readonly Value[], type);
    default: {
      const never: never = type.name;
      return never;
    }
  }
}

// ---------------------------------------------------------------------------
// decoding

class BinaryCursor {
  readonly #b: Buffer;
  #at = 0;

  constructor(b: Buffer) {
    this.#b = b;
  }

  get remaining(): number {
    return this.#b.length - this.#at;
  }

  #need(n: number): number {
    if (n < 0 || this.remaining < n) throw badBinary('insufficient data left in message');
    const at = this.#at;
    this.#at += n;
    return at;
  }

  int16(): number {
    return this.#b.readInt16BE(this.#need(2));
  }

  uint16(): number {
    return this.#b.readUInt16BE(this.#need(2));
  }

  int32(): number {
    return this.#b.readInt32BE(this.#need(4));
  }

  int64(): bigint {
    return this.#b.readBigInt64BE(this.#need(8));
  }

  bytes(n: number): Buffer {
    const at = this.#need(n);
    return this.#b.subarray(at, at + n);
  }

  end(): void {
    if (this.remaining !== 0) throw badBinary();
  }
}

function safeNumber(v: bigint, typeName: string): number {
  if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < BigInt(Number.MIN_SAFE_INTEGER))
    throw new SqlError(PgState.numericValueOutOfRange, `${typeName} out of range`);
  return Number(v);
}

function decodeTimestamp(c: BinaryCursor): number {
  const raw = c.int64();
  if (raw === INT64_MAX) return Number.POSITIVE_INFINITY;
  if (raw === INT64_MIN) return Number.NEGATIVE_INFINITY;
  return safeNumber(raw + PG_EPOCH_MICROS, 'timestamp');
}

function decodeNumeric(c: BinaryCursor): Numeric {
  const ndigits = c.int16();
  const weight = c.int16();
  const sign = c.uint16();
  const dscale = c.int16();
  if (ndigits < 0 || dscale < 0) throw badBinary('invalid length in external "numeric" value');
  const digits: number[] = [];
  for (let i = 0; i < ndigits; i++) {
    const d = c.int16();
    if (d < 0 || d > 9999) throw badBinary('invalid digit in external "numeric" value');
    digits.push(d);
  }
  const v = fromBinaryNumeric({ digits, weight, sign, dscale });
  if (v === undefined) throw badBinary('invalid sign in external "numeric" value');
  return v;
}

function decodeArray(c: BinaryCursor, type: SqlType): Value[] {
  const { scalar } = arrayDepth(type);
  const ndim = c.int32();
  if (ndim < 0 || ndim > MAX_DIMENSIONS) throw badBinary(`invalid number of dimensions: ${ndim}`);
  const flags = c.int32();
  if (flags !== 0 && flags !== 1) throw badBinary('invalid array flags');
  const elementOid = c.int32() >>> 0;
  if (elementOid !== typeOid(scalar))
    throw new SqlError(
      PgState.datatypeMismatch,
      `binary data has array element type ${elementOid} instead of expected ${typeOid(scalar)}`,
    );
  const dims: number[] = [];
  let total = ndim === 0 ? 0 : 1;
  for (let d = 0; d < ndim; d++) {
    const size = c.int32();
    c.int32(); // lower bound: tidewatch arrays start at 1
    if (size < 0) throw badBinary('array size exceeds the maximum allowed');
    dims.push(size);
    total *= size;
  }
  if (total === 0) return [];
  // Every element takes at least its 4-byte length: a count the bytes cannot hold is a lie.
  if (total * 4 > c.remaining) throw badBinary('insufficient data left in message');
  const flat: Value[] = [];
  for (let i = 0; i < total; i++) {
    const length = c.int32();
    flat.push(length === -1 ? null : decodeBinary(c.bytes(length), scalar));
  }
  const nest = (d: number, from: number): { value: Value[]; next: number } => {
    const out: Value[] = [];
    let at = from;
    for (let i = 0; i < (dims[d] as number); i++) {
      if (d + 1 === ndim) out.push(flat[at++] as Value);
      else {
        const inner = nest(d + 1, at);
        out.push(inner.value);
        at = inner.next;
      }
    }
    return { value: out, next: at };
  };
  return nest(0, 0).value;
}

function fixed(bytes: Buffer, n: number): BinaryCursor {
  if (bytes.length !== n) throw badBinary();
  return new BinaryCursor(bytes);
}

/** A value of `type` from its binary format. Throws SqlError 22P03 (or 22003, 22021, 42804). */
export function decodeBinary(bytes: Buffer, type: SqlType): Value {
  switch (type.name) {
    case 'boolean':
      if (bytes.length !== 1) throw badBinary();
      return bytes[0] !== 0;
    case 'int2':
      return fixed(bytes, 2).int16();
    case 'int4':
      return fixed(bytes, 4).int32();
    case 'int8':
      return int8(fixed(bytes, 8).int64());
    case 'float4':
      if (bytes.length !== 4) throw badBinary();
      return bytes.readFloatBE(0);
    case 'float8':
      if (bytes.length !== 8) throw badBinary();
      return bytes.readDoubleBE(0);
    case 'numeric': {
      const c = new BinaryCursor(bytes);
      const v = decodeNumeric(c);
      c.end();
      return v;
    }
    case 'varchar':
    case 'text':
    case 'unknown':
      return decodeUtf8(bytes);
    case 'bytea':
      return new Uint8Array(bytes);
    case 'timestamp':
    case 'timestamptz':
      return decodeTimestamp(fixed(bytes, 8));
    case 'date': {
      const days = fixed(bytes, 4).int32();
      return days === INT32_MAX ? Infinity : days === INT32_MIN ? -Infinity : days + PG_EPOCH_DAYS;
    }
    case 'time':
      return safeNumber(fixed(bytes, 8).int64(), 'time');
    case 'interval': {
      const c = fixed(bytes, 16);
      const micros = safeNumber(c.int64(), 'interval');
      const days = c.int32();
      return { months: c.int32(), days, micros };
    }
    case 'jsonb': {
      if (bytes[0] !== 1) throw badBinary(`unsupported jsonb version number ${bytes[0] ?? 'none'}`);
      const v = parseJsonb(decodeUtf8(bytes.subarray(1)));
      if (v === undefined)
        throw new SqlError(PgState.invalidTextRepresentation, 'invalid input syntax for type json');
      return v;
    }
    case 'array': {
      const c = new BinaryCursor(bytes);
      const v = decodeArray(c, type);
      c.end();
      return v;
    }
    default: {
      const never: never = type.name;
      return never;
    }
  }
}
