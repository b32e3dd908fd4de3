/**
 * One client's byte stream, TCP or upgraded to TLS: incoming bytes become frames (the socket
 * pauses while too many wait unread), outgoing messages are buffered and written on flush
 * (waiting for the socket to drain). Socket errors never escape: they end the stream.
 */
import type { Socket } from 'node:net';
import { type SecureContext, TLSSocket } from 'node:tls';
import { protocolViolation } from './errors.ts';
import { type Frame, FrameReader } from './frame-reader.ts';

/** The client went away: whatever was being done for it can stop. */
export class ClientGone extends Error {
  override readonly name = 'ClientGone';
  constructor() {
    super('the client closed the connection');
  }
}

/** Unread input above which the socket stops reading. */
const PAUSE_INPUT_BYTES = 1 << 20;
/** Output buffered beyond this is written out without waiting for a flush point. */
const FLUSH_OUTPUT_BYTES = 1 << 16;

export class Transport {
  #socket: Socket;
  readonly #reader: FrameReader;
  #closed = false;
  #paused = false;
  #wake: (() => void) | undefined;
  #output: Buffer[] = [];
  #outputBytes = 0;
  readonly #onData = (chunk: Buffer): void => {
    this.#reader.push(chunk);
    if (this.#reader.unparsed > PAUSE_INPUT_BYTES && !this.#paused) {
      this.#paused = true;
      this.#socket.pause();
    }
    this.#notify();
  };
  #goneListener: (() => void) | undefined;
  readonly #markGone = (): void => {
    const first = !this.#closed;
    this.#closed = true;
    this.#notify();
    if (first) this.#goneListener?.();
  };

  constructor(socket: Socket, maxMessageBytes: number) {
    this.#socket = socket;
    this.#reader = new FrameReader(maxMessageBytes);
    // A socket error must never become an uncaught exception: it ends this client.
    socket.on('error', this.#markGone);
    this.#listen(socket);
  }

  /** Called once when the connection ends, whoever ends it. */
  onGone(listener: () => void): void {
    this.#goneListener = listener;
  }

  get closed(): boolean {
    return this.#closed;
  }

  get encrypted(): boolean {
    return this.#socket instanceof TLSSocket;
  }

  #listen(socket: Socket): void {
    socket.on('data', this.#onData);
    socket.on('end', this.#markGone);
    socket.on('close', this.#markGone);
    socket.on('error', this.#markGone);
  }

  #unlisten(socket: Socket): void {
    socket.off('data', this.#onData);
    socket.off('end', this.#markGone);
    socket.off('close', this.#markGone);
  }

  #notify(): void {
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }

  /** From now on frames carry a type byte. */
  expectTypedMessages(): void {
    this.#reader.expectTypedMessages();
  }

  /** The next frame; undefined once the client is gone. Throws PgFatalError for a bad frame length. */
  async nextFrame(): Promise<Frame | undefined> {
    for (;;) {
      const frame = this.#reader.next();
      if (this.#paused && this.#reader.unparsed <= PAUSE_INPUT_BYTES) {
        this.#paused = false;
        this.#socket.resume();
      }
      if (frame !== undefined) return frame;
      if (this.#closed) return undefined;
      await new Promise<void>((resolve) => {
        this.#wake = resolve;
      });
    }
  }

  /** Queues a message; it leaves on the next `flush`. */
  queue(message: Buffer): void {
    this.#output.push(message);
    this.#outputBytes += message.length;
  }

  /** Whether enough is queued to be worth writing out before the next flush point. */
  get shouldFlush(): boolean {
    return this.#outputBytes >= FLUSH_OUTPUT_BYTES;
  }

  /** Writes out everything queued; resolves when the socket can take more. Throws ClientGone. */
  async flush(): Promise<void> {
    if (this.#closed) {
      this.#output = [];
      this.#outputBytes = 0;
      throw new ClientGone();
    }
    if (this.#output.length === 0) return;
    const socket = this.#socket;
    const data = this.#output.length === 1 ? (this.#output[0] as Buffer) : Buffer.concat(this.#output);
    this.#output = [];
    this.#outputBytes = 0;
    if (socket.write(data)) return;
    await new Promise<void>((resolve) => {
      const done = (): void => {
        socket.off('drain', done);
        socket.off('close', done);
        resolve();
      };
      socket.on('drain', done);
      socket.on('close', done);
    });
    if (this.#closed) throw new ClientGone();
  }

  /**
   * Answers 'S' to an SSLRequest and runs the TLS handshake. Bytes the client sent after its
   * SSLRequest, before the handshake, would be read as if encrypted: that is refused.
   */
  async startTls(context: SecureContext): Promise<void> {
    if (this.#reader.buffered > 0)
      throw protocolViolation(
        'received unencrypted data after SSL request',
        'This could be a man-in-the-middle attack.',
      );
    const plain = this.#socket;
    this.#unlisten(plain);
    plain.write('S');
    const secure = new TLSSocket(plain, { isServer: true, secureContext: context });
    this.#socket = secure;
    this.#listen(secure);
    await new Promise<void>((resolve) => {
      const done = (): void => {
        secure.off('secure', done);
        secure.off('close', done);
        secure.off('error', done);
        resolve();
      };
      secure.on('secure', done);
      secure.on('close', done);
      secure.on('error', done);
    });
    if (this.#closed || secure.destroyed) throw new ClientGone();
  }

  /** Writes what is queued (best effort) and closes the connection. */
  close(): void {
    const socket = this.#socket;
    if (!this.#closed && this.#output.length > 0) socket.end(Buffer.concat(this.#output));
    else socket.end();
    this.#output = [];
    this.#markGone();
    // end() waits for the client's FIN; a client that never reads or closes must not keep the socket.
    setTimeout(() => socket.destroy(), 1000).unref();
  }

  /** Drops the connection at once. */
  destroy(): void {
    this.#socket.destroy();
    this.#markGone();
  }
}
