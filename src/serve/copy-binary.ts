/**
 * COPY FROM's binary format, decoded as PostgreSQL 15 reads it (copyfromparse.c): the
 * signature `PGCOPY\n\377\r\n\0`, a flags word (no OIDs, no unknown critical flag), a header
 * extension skipped; then per tuple an int16 field count (-1: the trailer, after which no
 * byte may follow) and per field an int32 length (-1: NULL) and that many bytes, each field
 * in its type's binary format. Bytes in, in chunks cut anywhere; the fields of each tuple out,
 * to be converted by the type's receive function (copy-rows.ts). Pure: no I/O.
 */
import { SqlError } from '../sql/errors.ts';
import { BAD_COPY_FILE_FORMAT, type CopyPosition } from './copy-decode.ts';

const SIGNATURE = Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1');
const WITH_OIDS = 1 << 16;

/** Takes the fields of each tuple; `fields` is reused. */
export interface CopyTupleSink {
  line(fields: readonly (Buffer | null)[], count: number, at: CopyPosition): void;
}

/** What the decoder reads next. */
const Step = { header: 0, extension: 1, count: 2, field: 3, trailer: 4 } as const;
type Step = (typeof Step)[keyof typeof Step];

export class CopyBinaryDecoder implements CopyPosition {
  readonly #relation: string;
  readonly #columns: readonly string[];
  readonly #sink: CopyTupleSink;
  /** Bytes received and not read yet: `#chunks`, the first from `#offset`. */
  readonly #chunks: Buffer[] = [];
  #offset = 0;
  #available = 0;
  #step: Step = Step.header;
  /** Header extension bytes still to skip. */
  #skip = 0;
  #lineNumber = 0;
  readonly #fields: (Buffer | null)[] = [];
  #field = 0;
  #ended = false;

  /**
   * `columns` names the fields of a tuple (the columns copied, in order); `relation` the table,
   * both for errors' context (`COPY t, line 2, column a`).
   */
  constructor(columns: readonly string[], sink: CopyTupleSink, relation: string) {
    this.#relation = relation;
    this.#columns = columns;
    this.#sink = sink;
  }

  get lineNumber(): number {
    return this.#lineNumber;
  }

  /** Binary data has no text to show. */
  lineText(): string | undefined {
    return undefined;
  }

  /**
   * The CONTEXT of an error met while more data is awaited: none while the header is read
   * (PostgreSQL reads it before it has a context), else the tuple being read or the next.
   */
  readingContext(): string | undefined {
    if (this.#step === Step.header || this.#step === Step.extension) return undefined;
    const line = this.#step === Step.count ? this.#lineNumber + 1 : this.#lineNumber;
    return `COPY ${this.#relation}, line ${line}`;
  }

  /** The CONTEXT of an error between tuples (a cancel). */
  currentContext(): string | undefined {
    if (this.#step === Step.header || this.#step === Step.extension) return undefined;
    return `COPY ${this.#relation}, line ${this.#lineNumber}`;
  }

  write(chunk: Uint8Array): void {
    if (this.#ended || chunk.length === 0) return;
    this.#chunks.push(
      Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.length),
    );
    this.#available += chunk.length;
    this.#read(false);
  }

  end(): void {
    if (this.#ended) return;
    this.#read(true);
    this.#ended = true;
  }

  /** An error; `context`: whether it has PostgreSQL's line context (the header's errors have none). */
  #error(message: string, context: 'none' | 'line' | 'column'): SqlError {
    this.#ended = true;
    const line = `COPY ${this.#relation}, line ${this.#lineNumber}`;
    const where =
      context === 'none'
        ? undefined
        : context === 'line'
          ? line
          : `${line}, column ${this.#columns[this.#field]}`;
    return new SqlError(
      BAD_COPY_FILE_FORMAT,
      message,
      undefined,
      where === undefined ? undefined : { where },
    );
  }

  /** The next `n` bytes, consumed (a copy only when they span chunks). */
  #take(n: number): Buffer {
    const first = this.#chunks[0] as Buffer;
    let out: Buffer;
    if (first.length - this.#offset >= n) {
      out = first.subarray(this.#offset, this.#offset + n);
      this.#offset += n;
    } else {
      out = Buffer.allocUnsafe(n);
      let done = 0;
      while (done < n) {
        const c = this.#chunks[0] as Buffer;
        const k = Math.min(c.length - this.#offset, n - done);
        c.copy(out, done, this.#offset, this.#offset + k);
        done += k;
        this.#offset += k;
        if (this.#offset === c.length) {
          this.#chunks.shift();
          this.#offset = 0;
        }
      }
    }
    if (this.#chunks.length > 0 && this.#offset === (this.#chunks[0] as Buffer).length) {
      this.#chunks.shift();
      this.#offset = 0;
    }
    this.#available -= n;
    return out;
  }

  /** Reads what the bytes at hand allow; `eof`: no more will come. */
  #read(eof: boolean): void {
    for (;;) {
      switch (this.#step) {
        case Step.header: {
          if (this.#available < SIGNATURE.length + 8 && !eof) return;
          if (this.#available < SIGNATURE.length || !this.#take(SIGNATURE.length).equals(SIGNATURE))
            throw this.#error('COPY file signature not recognized', 'none');
          if (this.#available < 4) throw this.#error('invalid COPY file header (missing flags)', 'none');
          const flags = this.#take(4).readInt32BE(0);
          if ((flags & WITH_OIDS) !== 0) throw this.#error('invalid COPY file header (WITH OIDS)', 'none');
          if ((flags & ~WITH_OIDS) >>> 16 !== 0)
            throw this.#error('unrecognized critical flags in COPY file header', 'none');
          const length = this.#available < 4 ? -1 : this.#take(4).readInt32BE(0);
          if (length < 0) throw this.#error('invalid COPY file header (missing length)', 'none');
          this.#skip = length;
          this.#step = Step.extension;
          break;
        }
        case Step.extension: {
          const n = Math.min(this.#skip, this.#available);
          if (n > 0) this.#take(n);
          this.#skip -= n;
          if (this.#skip > 0) {
            if (eof) throw this.#error('invalid COPY file header (wrong length)', 'none');
            return;
          }
          this.#step = Step.count;
          break;
        }
        case Step.count: {
          if (this.#available < 2) {
            // The end of the data where a tuple would start (a stray byte included) ends the copy.
            if (eof) this.#lineNumber++;
            return;
          }
          this.#lineNumber++;
          const count = this.#take(2).readInt16BE(0);
          if (count === -1) {
            this.#step = Step.trailer;
            break;
          }
          if (count !== this.#columns.length)
            throw this.#error(`row field count is ${count}, expected ${this.#columns.length}`, 'line');
          this.#field = 0;
          this.#step = Step.field;
          break;
        }
        case Step.field: {
          if (this.#field === this.#columns.length) {
            this.#sink.line(this.#fields, this.#field, this);
            this.#step = Step.count;
            break;
          }
          if (this.#available < 4) {
            if (eof) throw this.#error('unexpected EOF in COPY data', 'column');
            return;
          }
          const first = this.#chunks[0] as Buffer;
          const size = first.length - this.#offset >= 4 ? first.readInt32BE(this.#offset) : this.#peekSize();
          if (size < -1) throw this.#error('invalid field size', 'column');
          if (size >= 0 && this.#available < 4 + size) {
            if (eof) throw this.#error('unexpected EOF in COPY data', 'column');
            return;
          }
          this.#take(4);
          this.#fields[this.#field++] = size === -1 ? null : this.#take(size);
          break;
        }
        case Step.trailer:
          if (this.#available > 0) throw this.#error('received copy data after EOF marker', 'line');
          return;
      }
    }
  }

  /** The int32 at hand, spanning chunks. */
  #peekSize(): number {
    const b = Buffer.allocUnsafe(4);
    let done = 0;
    for (let i = 0, at = this.#offset; done < 4; i++, at = 0) {
      const c = this.#chunks[i] as Buffer;
      const k = Math.min(c.length - at, 4 - done);
      c.copy(b, done, at, at + k);
      done += k;
    }
    return b.readInt32BE(0);
  }
}
