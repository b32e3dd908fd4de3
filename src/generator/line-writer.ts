/** Bytes written to a Node stream with backpressure; a reader that went away (EPIPE) becomes OutputClosedError. */
import { OutputClosedError } from './drive.ts';

export class LineWriter {
  private readonly stream: NodeJS.WritableStream;
  /** Whether close() ends the stream (a file opened here) or only flushes it (stdout, a caller's stream). */
  private readonly owned: boolean;
  private failure: Error | null = null;

  constructor(stream: NodeJS.WritableStream, owned: boolean) {
    this.stream = stream;
    this.owned = owned;
    // Kept for the stream's lifetime: a late EPIPE must not become an uncaught 'error' event.
    stream.on('error', (error: NodeJS.ErrnoException) => {
      this.failure ??= error.code === 'EPIPE' ? new OutputClosedError() : error;
    });
  }

  async write(chunk: string | Uint8Array): Promise<void> {
    this.throwIfFailed();
    if (!this.stream.write(chunk)) await this.drained();
    this.throwIfFailed();
  }

  async close(): Promise<void> {
    if (this.failure instanceof OutputClosedError) return;
    this.throwIfFailed();
    await new Promise<void>((resolve, reject) => {
      const done = (error?: Error | null): void => {
        if (!error || this.failure instanceof OutputClosedError) resolve();
        else reject(this.failure ?? error);
      };
      if (this.owned) this.stream.end(done);
      else this.stream.write('', done);
    });
    if (!(this.failure instanceof OutputClosedError)) this.throwIfFailed();
  }

  private throwIfFailed(): void {
    if (this.failure !== null) throw this.failure;
  }

  private drained(): Promise<void> {
    const stream = this.stream;
    return new Promise((resolve, reject) => {
      const settle = (error: Error | null): void => {
        stream.off('drain', onDrain);
        stream.off('close', onClose);
        stream.off('error', onError);
        if (error === null) resolve();
        else reject(error);
      };
      const onDrain = (): void => settle(null);
      const onClose = (): void => settle(this.failure ?? new OutputClosedError());
      const onError = (): void => settle(this.failure);
      stream.on('drain', onDrain);
      stream.on('close', onClose);
      stream.on('error', onError);
    });
  }
}
