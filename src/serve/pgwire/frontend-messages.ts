/**
 * Decodes what a client sends: the startup-phase packets (StartupMessage, SSLRequest,
 * GSSENCRequest, CancelRequest) and the typed messages of a session. Authentication
 * messages ('p') are decoded by `authenticate.ts`, which knows what it asked for.
 */
import { PgFatalError, PgState, protocolViolation } from './errors.ts';
import { FieldReader } from './field-reader.ts';
import type { Frame } from './frame-reader.ts';

const SSL_REQUEST = 80877103;
const GSSENC_REQUEST = 80877104;
const CANCEL_REQUEST = 80877102;

export type StartupPacket =
  | {
      readonly kind: 'Startup';
      readonly minorVersion: number;
      readonly parameters: ReadonlyMap<string, string>;
    }
  | { readonly kind: 'SSLRequest' }
  | { readonly kind: 'GSSENCRequest' }
  | { readonly kind: 'CancelRequest'; readonly processId: number; readonly secretKey: number };

export function decodeStartupPacket(frame: Frame): StartupPacket {
  const r = new FieldReader(frame.body);
  const code = r.int32();
  if (code === SSL_REQUEST || code === GSSENC_REQUEST) {
    r.end();
    return { kind: code === SSL_REQUEST ? 'SSLRequest' : 'GSSENCRequest' };
  }
  if (code === CANCEL_REQUEST) {
    const processId = r.int32();
    const secretKey = r.int32();
    r.end();
    return { kind: 'CancelRequest', processId, secretKey };
  }
  const major = code >>> 16;
  const minor = code & 0xffff;
  if (major !== 3)
    throw new PgFatalError(
      PgState.featureNotSupported,
      `unsupported frontend protocol ${major}.${minor}: server supports 3.0 to 3.0`,
    );
  const parameters = new Map<string, string>();
  for (;;) {
    if (r.remaining === 0)
      throw protocolViolation('invalid startup packet layout: expected terminator as last byte');
    const name = r.cstring();
    if (name === '') break;
    parameters.set(name, r.cstring());
  }
  r.end();
  return { kind: 'Startup', minorVersion: minor, parameters };
}

export type DescribeTarget = 'statement' | 'portal';

export type FrontendMessage =
  | { readonly kind: 'Query'; readonly sql: string }
  | {
      readonly kind: 'Parse';
      readonly statement: string;
      readonly sql: string;
      readonly paramTypeOids: readonly number[];
    }
  | {
      readonly kind: 'Bind';
      readonly portal: string;
      readonly statement: string;
      readonly paramFormats: readonly number[];
      readonly params: readonly (Buffer | null)[];
      readonly resultFormats: readonly number[];
    }
  | { readonly kind: 'Describe'; readonly target: DescribeTarget; readonly name: string }
  | { readonly kind: 'Execute'; readonly portal: string; readonly maxRows: number }
  | { readonly kind: 'Close'; readonly target: DescribeTarget; readonly name: string }
  | { readonly kind: 'Sync' }
  | { readonly kind: 'Flush' }
  | { readonly kind: 'Terminate' }
  /** CopyData / CopyDone / CopyFail outside COPY: PostgreSQL ignores them. */
  | { readonly kind: 'CopyOutsideCopy' }
  | { readonly kind: 'FunctionCall' };

function target(r: FieldReader): DescribeTarget {
  const t = r.int8();
  if (t === 0x53) return 'statement';
  if (t === 0x50) return 'portal';
  throw protocolViolation(`invalid DESCRIBE/CLOSE message subtype ${t}`);
}

function int16List(r: FieldReader): number[] {
  const n = r.int16();
  if (n < 0) throw protocolViolation('invalid message format');
  const out: number[] = [];
  for (let i = 0; i < n; i++) out.push(r.int16());
  return out;
}

/** Decodes a session message. Throws PgFatalError for an unknown type or a malformed body. */
export function decodeMessage(frame: Frame): FrontendMessage {
  const r = new FieldReader(frame.body);
  let m: FrontendMessage;
  switch (frame.type) {
    case 0x51 /* Q */:
      m = { kind: 'Query', sql: r.cstring() };
      break;
    case 0x50 /* P */:
      {
        const statement = r.cstring();
        const sql = r.cstring();
        const n = r.int16();
        if (n < 0) throw protocolViolation('invalid message format');
        const paramTypeOids: number[] = [];
        for (let i = 0; i < n; i++) paramTypeOids.push(r.int32() >>> 0);
        m = { kind: 'Parse', statement, sql, paramTypeOids };
        break;
      }
    case 0x42 /* B */:
      {
        const portal = r.cstring();
        const statement = r.cstring();
        const paramFormats = int16List(r);
        const n = r.int16();
        if (n < 0) throw protocolViolation('invalid message format');
        const params: (Buffer | null)[] = [];
        for (let i = 0; i < n; i++) {
          const length = r.int32();
          if (length < -1) throw protocolViolation(`invalid length ${length} of bind parameter ${i + 1}`);
          params.push(length === -1 ? null : r.bytes(length));
        }
        m = { kind: 'Bind', portal, statement, paramFormats, params, resultFormats: int16List(r) };
        break;
      }
    case 0x44 /* D */:
      m = { kind: 'Describe', target: target(r), name: r.cstring() };
      break;
    case 0x45 /* E */:
      m = { kind: 'Execute', portal: r.cstring(), maxRows: r.int32() };
      break;
    case 0x43 /* C */:
      m = { kind: 'Close', target: target(r), name: r.cstring() };
      break;
    case 0x53 /* S */:
      m = { kind: 'Sync' };
      break;
    case 0x48 /* H */:
      m = { kind: 'Flush' };
      break;
    case 0x58 /* X */:
      m = { kind: 'Terminate' };
      break;
    case 0x64 /* d */:
    case 0x63 /* c */:
    case 0x66 /* f */:
      return { kind: 'CopyOutsideCopy' };
    case 0x46 /* F */:
      return { kind: 'FunctionCall' };
    default:
      throw protocolViolation(`invalid frontend message type ${frame.type}`);
  }
  r.end();
  return m;
}
