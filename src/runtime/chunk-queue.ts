/**
 * Chunks that arrive from elsewhere (another thread's messages), read as a stream: each pushed
 * chunk is yielded in order, then the stream ends, or throws the failure it was given once the
 * chunks before it are read.
 */
export class ChunkQueue implements AsyncIterable<Buffer> {
  #chunks: Buffer[] = [];
  #next = 0;
  #ended = false;
  #failure: { readonly error: unknown } | undefined;
  #wake: (() => void) | undefined;

  push(chunk: Buffer): void {
    this.#chunks.push(chunk);
    this.#wake?.();
  }

  end(): void {
    this.#ended = true;
    this.#wake?.();
  }

  fail(error: unknown): void {
    this.#failure = { error };
    this.#wake?.();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<Buffer> {
    for (;;) {
      if (this.#next < this.#chunks.length) {
        const chunk = this.#chunks[this.#next++] as Buffer;
        if (this.#next === this.#chunks.length) {
          this.#chunks = [];
          this.#next = 0;
        }
        yield chunk;
        continue;
      }
      if (this.#failure !== undefined) throw this.#failure.error;
      if (this.#ended) return;
      await new Promise<void>((resolve) => {
        this.#wake = resolve;
      });
      this.#wake = undefined;
    }
  }
}
