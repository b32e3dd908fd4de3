/**
 * NDJSON lines encoded straight into a byte buffer. Joining thousands of lines into one string first
 * builds a deep rope that is slow to flatten and encode; writing line by line is about twice as fast.
 */
const MIN_CAPACITY = 64 * 1024;

export class NdjsonEncoder {
  private buffer = Buffer.allocUnsafe(MIN_CAPACITY);
  private used = 0;
  private lines = 0;

  /** Lines appended since the last take(). */
  get count(): number {
    return this.lines;
  }

  append(line: string): void {
    const needed = this.used + line.length * 3 + 1;
    if (needed > this.buffer.length) {
      const bigger = Buffer.allocUnsafe(Math.max(needed, this.buffer.length * 2));
      this.buffer.copy(bigger, 0, 0, this.used);
      this.buffer = bigger;
    }
    this.used += this.buffer.write(line, this.used);
    this.buffer[this.used++] = 0x0a;
    this.lines += 1;
  }

  /** The bytes appended since the last take(); later appends go to a new buffer, so these stay valid. */
  take(): Buffer {
    const bytes = this.buffer.subarray(0, this.used);
    this.buffer = Buffer.allocUnsafe(Math.max(MIN_CAPACITY, Math.ceil(this.used * 1.25)));
    this.used = 0;
    this.lines = 0;
    return bytes;
  }
}
