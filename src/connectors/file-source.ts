/**
 * A source that follows files like `tail -F`: the files of a directory whose names match a
 * glob, read line by line as they grow. Its position, committed with each epoch, is per file:
 * its identity (device and inode) and the byte offset after the last whole line read; a start
 * opens every file it finds at its committed offset, and reads files it does not know from
 * their beginning.
 *
 * Rotation: a file renamed away is still read to its end through its open descriptor (its
 * identity moves with it), and the new file under the old name is read from its start; a file
 * truncated in place (copy-truncate: its size falls below the offset) is read again from its
 * start; files that appear later are picked up at the next scan. Lines are split at `\n`
 * (a `\r` before it dropped); a last line without its newline waits for it, unless the file
 * was rotated away. A line longer than `maxLineBytes` is a dead letter.
 */
import { closeSync, fstatSync, openSync, readdirSync, readSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type {
  DeadLetter,
  SourceBatch,
  SourceConnector,
  SourceReader,
  SourceStatus,
} from '../runtime/source.ts';
import { DEAD_LETTER_BYTES } from '../runtime/source.ts';
import type { Row } from '../stream/value.ts';

/** A line back as a record, or why it is not one. */
export type LineDecoder = (line: Uint8Array) => { readonly row: Row } | { readonly error: string };

/** Where a file source is: per file, the offset after the last whole line read. */
export interface FilePosition {
  readonly files: readonly { readonly path: string; readonly id: string; readonly offset: number }[];
}

export interface FileSourceOptions {
  /** The directory whose files are read. */
  readonly root: string;
  /** Which of its files (not recursive): a glob of `*`, `?` and `[…]` on the file name. */
  readonly pattern: string;
  readonly decode: LineDecoder;
  /** How often to look for new data and new files when there is none (default 200 ms). */
  readonly pollMs?: number;
  /** Bytes read from a file at a time (default 1 MiB). */
  readonly chunkBytes?: number;
  /** Lines longer than this are dead letters (default 1 MiB). */
  readonly maxLineBytes?: number;
}

/** A glob on file names as a regular expression: `*`, `?`, `[…]`; everything else literal. */
export function globPattern(glob: string): RegExp {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i] as string;
    if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else if (c === '[') {
      const close = glob.indexOf(']', i + 2);
      if (close < 0) re += '\\[';
      else {
        const body = glob
          .slice(i + 1, close)
          .replace(/^!/, '^')
          .replace(/\\/g, '\\\\');
        re += `[${body}]`;
        i = close;
      }
    } else re += c.replace(/[.+^${}()|\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

interface TrackedFile {
  path: string;
  readonly id: string;
  readonly fd: number;
  offset: number;
  /** The file no longer has a matching name: read it to its end, then let it go. */
  rotated: boolean;
}

const NEWLINE = 0x0a;

export class FileSource implements SourceConnector<FilePosition> {
  readonly kind = 'file';
  readonly #options: FileSourceOptions;
  readonly #match: RegExp;

  constructor(options: FileSourceOptions) {
    this.#options = options;
    this.#match = globPattern(options.pattern);
  }

  async open(position: FilePosition | undefined): Promise<SourceReader<FilePosition>> {
    const known = new Map((position?.files ?? []).map((f) => [f.id, f.offset]));
    return new FileReader(this.#options, this.#match, known);
  }
}

class FileReader implements SourceReader<FilePosition> {
  readonly #options: FileSourceOptions;
  readonly #match: RegExp;
  /** Offsets committed for files not opened yet, by identity. */
  readonly #known: Map<string, number>;
  readonly #files = new Map<string, TrackedFile>();
  readonly #buffer: Buffer;
  /** Files let go since the last batch: their pace no longer counts for the watermark. */
  #ended: string[] = [];
  #error: string | undefined;
  #next = 0;

  constructor(options: FileSourceOptions, match: RegExp, known: Map<string, number>) {
    this.#options = options;
    this.#match = match;
    this.#known = known;
    this.#buffer = Buffer.allocUnsafe(options.chunkBytes ?? 1 << 20);
  }

  status(): SourceStatus {
    let lag = 0;
    const files: Record<string, number> = {};
    for (const f of this.#files.values()) {
      const size = fstatSync(f.fd).size;
      lag += Math.max(0, size - f.offset);
      files[f.path] = f.offset;
    }
    return {
      state: this.#error !== undefined ? 'retrying' : lag > 0 ? 'reading' : 'waiting',
      ...(this.#error === undefined ? {} : { error: this.#error }),
      detail: { files, bytesBehind: lag },
    };
  }

  async next(signal: AbortSignal): Promise<SourceBatch<FilePosition> | undefined> {
    while (!signal.aborted) {
      this.#scan();
      const batch = this.#read();
      if (batch !== undefined) return batch;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, this.#options.pollMs ?? 200);
        signal.addEventListener(
          'abort',
          () => {
            clearTimeout(timer);
            resolve();
          },
          { once: true },
        );
      });
    }
    return undefined;
  }

  async close(): Promise<void> {
    for (const f of this.#files.values()) closeSync(f.fd);
    this.#files.clear();
  }

  /** Opens the files that match and are not tracked yet; marks tracked ones renamed away. */
  #scan(): void {
    const { root } = this.#options;
    let names: string[];
    try {
      names = readdirSync(root).filter((n) => this.#match.test(n));
      this.#error = undefined;
    } catch (e) {
      this.#error = `cannot list ${root}: ${(e as Error).message}`;
      return;
    }
    const present = new Set<string>();
    for (const name of names) {
      const path = join(root, name);
      let id: string;
      try {
        const st = statSync(path);
        if (!st.isFile()) continue;
        id = `${st.dev}:${st.ino}`;
      } catch {
        continue; // gone between the listing and the stat
      }
      present.add(id);
      const tracked = this.#files.get(id);
      if (tracked !== undefined) {
        tracked.path = path; // renamed to another matching name: the same file
        tracked.rotated = false;
        continue;
      }
      let fd: number;
      try {
        fd = openSync(path, 'r');
      } catch (e) {
        this.#error = `cannot open ${path}: ${(e as Error).message}`;
        continue;
      }
      if (`${fstatSync(fd).dev}:${fstatSync(fd).ino}` !== id) {
        closeSync(fd); // replaced between the stat and the open: the next scan takes it
        continue;
      }
      const offset = this.#known.get(id) ?? 0;
      this.#known.delete(id);
      this.#files.set(id, { path, id, fd, offset, rotated: false });
    }
    for (const f of this.#files.values()) if (!present.has(f.id)) f.rotated = true;
  }

  /** Whole lines from the files, round robin from where the last read stopped; undefined: none. */
  #read(): SourceBatch<FilePosition> | undefined {
    const files = [...this.#files.values()];
    for (let k = 0; k < files.length; k++) {
      const f = files[(this.#next + k) % files.length] as TrackedFile;
      const batch = this.#readFile(f);
      if (batch !== undefined) {
        this.#next = (this.#next + k + 1) % Math.max(1, files.length);
        return batch;
      }
      if (f.rotated) {
        // Read to its end and gone from the directory: nothing more will come.
        closeSync(f.fd);
        this.#files.delete(f.id);
        this.#ended.push(f.id);
      }
    }
    return undefined;
  }

  #readFile(f: TrackedFile): SourceBatch<FilePosition> | undefined {
    const size = fstatSync(f.fd).size;
    if (size < f.offset) f.offset = 0; // truncated in place (copy-truncate): its new content
    if (size === f.offset) return undefined;
    const buf = this.#buffer;
    const n = readSync(f.fd, buf, 0, Math.min(buf.length, size - f.offset), f.offset);
    if (n === 0) return undefined;
    const maxLine = this.#options.maxLineBytes ?? 1 << 20;
    const rows: Row[] = [];
    const rejected: DeadLetter[] = [];
    let start = 0;
    for (;;) {
      const nl = buf.indexOf(NEWLINE, start);
      const atEnd = f.offset + n === size;
      // The last line of a file renamed away ends at the file's end, newline or not.
      const end = nl >= 0 && nl < n ? nl : f.rotated && atEnd && start < n ? n : -1;
      if (end < 0) break;
      this.#line(
        buf.subarray(start, end > start && buf[end - 1] === 0x0d ? end - 1 : end),
        f,
        f.offset + start,
        rows,
        rejected,
      );
      start = end + 1;
      if (start >= n) break;
    }
    if (start === 0 && n === buf.length) {
      // No newline in a whole chunk: a line too long to keep; it goes to the dead letters.
      const skip = this.#skipLongLine(f, maxLine);
      rejected.push({
        position: `${f.path}:${f.offset}`,
        reason: `a line longer than ${maxLine} bytes`,
        raw: buf.subarray(0, DEAD_LETTER_BYTES).toString('utf8'),
      });
      f.offset = skip;
    } else f.offset += Math.min(start, n);
    if (rows.length === 0 && rejected.length === 0) return undefined;
    const ended = this.#ended;
    this.#ended = [];
    // Each file is read at its own pace: the source's watermark follows the slowest.
    return {
      rows,
      rejected,
      position: this.#position(),
      splits: [{ split: f.id, rows: rows.length }],
      ended,
    };
  }

  #line(bytes: Buffer, f: TrackedFile, at: number, rows: Row[], rejected: DeadLetter[]): void {
    if (bytes.length === 0) return;
    if (bytes.length > (this.#options.maxLineBytes ?? 1 << 20)) {
      rejected.push({
        position: `${f.path}:${at}`,
        reason: `a line longer than ${this.#options.maxLineBytes ?? 1 << 20} bytes`,
        raw: bytes.subarray(0, DEAD_LETTER_BYTES).toString('utf8'),
      });
      return;
    }
    const d = this.#options.decode(bytes);
    if ('row' in d) rows.push(d.row);
    else
      rejected.push({
        position: `${f.path}:${at}`,
        reason: d.error,
        raw: bytes.subarray(0, DEAD_LETTER_BYTES).toString('utf8'),
      });
  }

  /** The offset after the newline ending the line at `f.offset` (or the file's end). */
  #skipLongLine(f: TrackedFile, _max: number): number {
    const buf = this.#buffer;
    let at = f.offset + buf.length;
    for (;;) {
      const n = readSync(f.fd, buf, 0, buf.length, at);
      if (n === 0) return at;
      const nl = buf.indexOf(NEWLINE);
      if (nl >= 0 && nl < n) return at + nl + 1;
      at += n;
    }
  }

  #position(): FilePosition {
    return {
      files: [
        ...[...this.#files.values()].map((f) => ({ path: f.path, id: f.id, offset: f.offset })),
        // Files committed before and not seen yet keep their offsets.
        ...[...this.#known].map(([id, offset]) => ({ path: '', id, offset })),
      ],
    };
  }
}
