/**
 * A protocol-level test client: writes frontend messages byte by byte as a driver would and
 * reads backend messages one at a time, so tests can check exactly what the server sends
 * (PortalSuspended, ParameterDescription, skipped messages after an error…).
 */
import { connect, type Socket } from 'node:net';

export interface BackendMessage {
  /** The type byte as a character ('Z', 'T', 'D'…). */
  readonly type: string;
  readonly body: Buffer;
}

export function int16(n: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeInt16BE(n);
  return b;
}

export function int32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeInt32BE(n);
  return b;
}

export function cstring(s: string): Buffer {
  return Buffer.concat([Buffer.from(s, 'utf8'), Buffer.from([0])]);
}

/** A typed frontend message. */
export function message(type: string, ...parts: Buffer[]): Buffer {
  const body = Buffer.concat(parts);
  return Buffer.concat([Buffer.from(type, 'latin1'), int32(body.length + 4), body]);
}

/** A startup-phase packet (no type byte). */
export function packet(...parts: Buffer[]): Buffer {
  const body = Buffer.concat(parts);
  return Buffer.concat([int32(body.length + 4), body]);
}

export function startupMessage(params: Record<string, string>, version = 196608): Buffer {
  const pairs = Object.entries(params).flatMap(([k, v]) => [cstring(k), cstring(v)]);
  return packet(int32(version), ...pairs, Buffer.from([0]));
}

export const sslRequest = (): Buffer => packet(int32(80877103));
export const gssencRequest = (): Buffer => packet(int32(80877104));
export const cancelRequest = (pid: number, key: number): Buffer =>
  packet(int32(80877102), int32(pid), int32(key));

export const query = (sql: string): Buffer => message('Q', cstring(sql));
export const parse = (name: string, sql: string, oids: readonly number[] = []): Buffer =>
  message('P', cstring(name), cstring(sql), int16(oids.length), ...oids.map(int32));
export function bind(
  portal: string,
  statement: string,
  params: readonly (Buffer | null)[] = [],
  paramFormats: readonly number[] = [],
  resultFormats: readonly number[] = [],
): Buffer {
  return message(
    'B',
    cstring(portal),
    cstring(statement),
    int16(paramFormats.length),
    ...paramFormats.map(int16),
    int16(params.length),
    ...params.map((p) => (p === null ? int32(-1) : Buffer.concat([int32(p.length), p]))),
    int16(resultFormats.length),
    ...resultFormats.map(int16),
  );
}
export const describe = (target: 'S' | 'P', name: string): Buffer =>
  message('D', Buffer.from(target), cstring(name));
export const execute = (portal: string, maxRows = 0): Buffer => message('E', cstring(portal), int32(maxRows));
export const close = (target: 'S' | 'P', name: string): Buffer =>
  message('C', Buffer.from(target), cstring(name));
export const sync = (): Buffer => message('S');
export const flush = (): Buffer => message('H');
export const terminate = (): Buffer => message('X');

export class RawClient {
  readonly socket: Socket;
  #buffer: Buffer = Buffer.alloc(0);
  #ended = false;
  #wake: (() => void) | undefined;

  private constructor(socket: Socket) {
    this.socket = socket;
    socket.on('data', (chunk: Buffer) => {
      this.#buffer = Buffer.concat([this.#buffer, chunk]);
      this.#notify();
    });
    socket.on('close', () => {
      this.#ended = true;
      this.#notify();
    });
    socket.on('error', () => {
      this.#ended = true;
      this.#notify();
    });
  }

  static connect(port: number, host = '127.0.0.1'): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const socket = connect(port, host);
      socket.once('error', reject);
      socket.once('connect', () => {
        socket.off('error', reject);
        resolve(new RawClient(socket));
      });
    });
  }

  /** Connects, sends a StartupMessage and reads up to the first ReadyForQuery. */
  static async ready(
    port: number,
    params: Record<string, string> = { user: 'root', database: 'dev' },
  ): Promise<RawClient> {
    const c = await RawClient.connect(port);
    c.send(startupMessage(params));
    await c.readUntil('Z');
    return c;
  }

  #notify(): void {
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }

  send(...messages: Buffer[]): void {
    this.socket.write(Buffer.concat(messages));
  }

  async #waitFor(bytes: number, timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (this.#buffer.length < bytes) {
      if (this.#ended) return false;
      const left = deadline - Date.now();
      if (left <= 0)
        throw new Error(`timed out waiting for a backend message (have ${this.#buffer.length} bytes)`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.#wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
    return true;
  }

  /** One byte, for the answer to SSLRequest / GSSENCRequest. */
  async byte(timeoutMs = 5000): Promise<string | undefined> {
    if (!(await this.#waitFor(1, timeoutMs))) return undefined;
    const b = this.#buffer.subarray(0, 1).toString('latin1');
    this.#buffer = this.#buffer.subarray(1);
    return b;
  }

  /** The next backend message; undefined when the server closed the connection. */
  async next(timeoutMs = 5000): Promise<BackendMessage | undefined> {
    if (!(await this.#waitFor(5, timeoutMs))) return undefined;
    const length = this.#buffer.readInt32BE(1);
    if (!(await this.#waitFor(1 + length, timeoutMs))) return undefined;
    const m = {
      type: this.#buffer.subarray(0, 1).toString('latin1'),
      body: this.#buffer.subarray(5, 1 + length),
    };
    this.#buffer = this.#buffer.subarray(1 + length);
    return m;
  }

  /** Messages up to and including the first of type `type`. Throws if the connection ends first. */
  async readUntil(type: string, timeoutMs = 5000): Promise<BackendMessage[]> {
    const out: BackendMessage[] = [];
    for (;;) {
      const m = await this.next(timeoutMs);
      if (m === undefined)
        throw new Error(`connection closed before '${type}'; got ${out.map(describeMessage).join(' ')}`);
      out.push(m);
      if (m.type === type) return out;
    }
  }

  /** Every message until the server closes the connection. */
  async readToEnd(timeoutMs = 5000): Promise<BackendMessage[]> {
    const out: BackendMessage[] = [];
    for (;;) {
      const m = await this.next(timeoutMs);
      if (m === undefined) return out;
      out.push(m);
    }
  }

  get ended(): boolean {
    return this.#ended;
  }

  end(): void {
    this.socket.destroy();
  }
}

// ---------------------------------------------------------------------------
// decoding backend messages

function cstrings(body: Buffer, from: number): { value: string; next: number } {
  const end = body.indexOf(0, from);
  return { value: body.subarray(from, end).toString('utf8'), next: end + 1 };
}

/** ErrorResponse / NoticeResponse fields by code letter. */
export function errorFieldsOf(m: BackendMessage): Record<string, string> {
  const out: Record<string, string> = {};
  let at = 0;
  while (at < m.body.length && m.body[at] !== 0) {
    const code = String.fromCharCode(m.body[at] as number);
    const s = cstrings(m.body, at + 1);
    out[code] = s.value;
    at = s.next;
  }
  return out;
}

export function commandTag(m: BackendMessage): string {
  return cstrings(m.body, 0).value;
}

export interface FieldInfo {
  readonly name: string;
  readonly typeOid: number;
  readonly typeLength: number;
  readonly typmod: number;
  readonly format: number;
}

export function rowDescriptionOf(m: BackendMessage): FieldInfo[] {
  const n = m.body.readInt16BE(0);
  const out: FieldInfo[] = [];
  let at = 2;
  for (let i = 0; i < n; i++) {
    const name = cstrings(m.body, at);
    at = name.next;
    out.push({
      name: name.value,
      typeOid: m.body.readInt32BE(at + 6),
      typeLength: m.body.readInt16BE(at + 10),
      typmod: m.body.readInt32BE(at + 12),
      format: m.body.readInt16BE(at + 16),
    });
    at += 18;
  }
  return out;
}

export function parameterOidsOf(m: BackendMessage): number[] {
  const n = m.body.readInt16BE(0);
  return Array.from({ length: n }, (_, i) => m.body.readInt32BE(2 + 4 * i));
}

export function dataRowOf(m: BackendMessage): (Buffer | null)[] {
  const n = m.body.readInt16BE(0);
  const out: (Buffer | null)[] = [];
  let at = 2;
  for (let i = 0; i < n; i++) {
    const length = m.body.readInt32BE(at);
    at += 4;
    if (length === -1) out.push(null);
    else {
      out.push(m.body.subarray(at, at + length));
      at += length;
    }
  }
  return out;
}

/** Text fields of a DataRow. */
export function textRowOf(m: BackendMessage): (string | null)[] {
  return dataRowOf(m).map((b) => (b === null ? null : b.toString('utf8')));
}

/** CopyOutResponse / CopyInResponse: the overall format and one format code per column. */
export function copyResponseOf(m: BackendMessage): { format: number; columnFormats: number[] } {
  const n = m.body.readInt16BE(1);
  return {
    format: m.body.readInt8(0),
    columnFormats: Array.from({ length: n }, (_, i) => m.body.readInt16BE(3 + 2 * i)),
  };
}

/** The COPY output of messages: the CopyData bodies joined, as UTF-8. */
export function copyTextOf(messages: readonly BackendMessage[]): string {
  return Buffer.concat(messages.filter((m) => m.type === 'd').map((m) => m.body)).toString('utf8');
}

/** A short form for assertions: `C:SELECT 1`, `E:42703`, `Z:I`, or the bare type. */
export function describeMessage(m: BackendMessage): string {
  switch (m.type) {
    case 'C':
      return `C:${commandTag(m)}`;
    case 'E':
    case 'N':
      return `${m.type}:${errorFieldsOf(m).C ?? ''}`;
    case 'Z':
      return `Z:${m.body.toString('latin1')}`;
    default:
      return m.type;
  }
}

export function summary(messages: readonly BackendMessage[]): string {
  return messages.map(describeMessage).join(' ');
}
