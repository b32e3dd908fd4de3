/**
 * Cuts the bytes a client sends into protocol frames. The startup phase has frames without a
 * type byte (length, then body); after it every message is a type byte, a length and a body.
 * Lengths are checked as soon as they arrive, before any body is buffered.
 */
import { protocolViolation } from './errors.ts';

export interface Frame {
  /** The message type byte; 0 for a startup-phase packet. */
  readonly type: number;
  readonly body: Buffer;
}

/** PostgreSQL's MAX_STARTUP_PACKET_LENGTH. */
const MAX_STARTUP_PACKET = 10_000;

export class FrameReader {
  readonly #maxMessageBytes: number;
  #typed = false;
  readonly #chunks: Buffer[] = [];
  /** Bytes of `#chunks` not yet taken. */
  #available = 0;
  #partial: { type: number; body: Buffer; filled: number } | undefined;

  constructor(maxMessageBytes: number) {
    this.#maxMessageBytes = maxMessageBytes;
  }

  /** From now on frames carry a type byte (the startup packet has been read). */
  expectTypedMessages(): void {
    this.#typed = true;
  }

  /** Bytes received and not yet returned in a frame. */
  get buffered(): number {
    return this.#available + (this.#partial?.filled ?? 0);
  }

  /** Bytes received and not yet looked at by `next` (those of a frame being filled excluded). */
  get unparsed(): number {
    return this.#available;
  }

  push(chunk: Buffer): void {
    if (chunk.length === 0) return;
    this.#chunks.push(chunk);
    this.#available += chunk.length;
  }

  /** The next complete frame, or undefined until more bytes arrive. Throws PgFatalError on a bad length. */
  next(): Frame | undefined {
    if (this.#partial === undefined) {
      const headerLength = this.#typed ? 5 : 4;
      if (this.#available < headerLength) return undefined;
      const header = this.#take(headerLength);
      const type = this.#typed ? (header[0] as number) : 0;
      const length = header.readInt32BE(this.#typed ? 1 : 0);
      this.#checkLength(type, length);
      const bodyLength = length - 4;
      const first = this.#chunks[0];
      if (first !== undefined && first.length >= bodyLength) return { type, body: this.#take(bodyLength) };
      this.#partial = { type, body: Buffer.allocUnsafe(bodyLength), filled: 0 };
    }
    const p = this.#partial;
    const n = Math.min(p.body.length - p.filled, this.#available);
    this.#copyInto(p.body, p.filled, n);
    p.filled += n;
    if (p.filled < p.body.length) return undefined;
    this.#partial = undefined;
    return { type: p.type, body: p.body };
  }

  #checkLength(type: number, length: number): void {
    if (!this.#typed) {
      if (length < 8 || length > MAX_STARTUP_PACKET)
        throw protocolViolation('invalid length of startup packet');
      return;
    }
    if (length < 4) throw protocolViolation(`invalid message length ${length}`);
    if (length - 4 > this.#maxMessageBytes)
      throw protocolViolation(
        `message of type "${String.fromCharCode(type)}" is too large: ${length - 4} bytes, at most ${this.#maxMessageBytes} accepted`,
      );
  }

  /** Takes `n` available bytes, without copying when they lie in one chunk. */
  #take(n: number): Buffer {
    const first = this.#chunks[0];
    if (first !== undefined && first.length >= n) {
      const out = first.subarray(0, n);
      this.#advance(n);
      return out;
    }
    const out = Buffer.allocUnsafe(n);
    this.#copyInto(out, 0, n);
    return out;
  }

  #copyInto(target: Buffer, at: number, n: number): void {
    let done = 0;
    while (done < n) {
      const first = this.#chunks[0] as Buffer;
      const k = Math.min(first.length, n - done);
      first.copy(target, at + done, 0, k);
      done += k;
      this.#advance(k);
    }
  }

  #advance(n: number): void {
    const first = this.#chunks[0] as Buffer;
    if (n === first.length) this.#chunks.shift();
    else this.#chunks[0] = first.subarray(n);
    this.#available -= n;
  }
}
