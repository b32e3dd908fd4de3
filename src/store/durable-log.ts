/**
 * The embedded durable log: sources that cannot replay (HTTP push, stdin, the generator)
 * append their records here, and the engine reads them back by offset, so that after a
 * crash it can replay from the offsets of the last committed epoch.
 *
 * One log per source, in its own directory (`sourceLogDir`: `<data-dir>/log/<source>/`),
 * locked by one process at a time (`lock.ts`), as segment files of framed records
 * (`segment-format.ts`: length, its complement, CRC-32, payload). Records are opaque byte
 * strings; their offsets count 0, 1, 2, … per log, as Kafka's do.
 *
 * Durability. `append` writes its records to the operating system before it returns (one
 * write per 1 MiB of records), so a record survives the death of the process as soon as
 * `append` returns; `sync` fsyncs them (and the directory, after a segment was created), so
 * they survive a power cut too. The fsync policy says who calls fsync: `'always'` every
 * `append`, `'epoch'` (default) the caller, through `sync()`, once per epoch and before it commits
 * offsets that refer to the log, `'never'` nobody (tests and benchmarks). Rolling to a new
 * segment fsyncs the old one first (unless `'never'`), so only the last segment can have an
 * incomplete end after a crash.
 *
 * Recovery on open scans the last segment: an incomplete record at its end (a crash in the
 * middle of a write), a zero-filled end, or a last record whose checksum fails is cut off
 * and reported in `recovery`; a damaged record with data after it is corruption, and open
 * fails naming the file and byte position. Other segments are checked as they are read.
 *
 * Reading returns batches of consecutive records whose payloads are views into one buffer per
 * batch (no copy per record). A read that starts where the previous one stopped continues
 * without searching; any other offset is found through a sparse in-memory index (a point about
 * every MiB of a segment, built as segments are written or scanned) and a scan of record
 * headers from there. Checksums are checked on every read.
 *
 * Failures. A write that fails (disk full, permission denied, read-only file system) throws a
 * StoreError naming the file, after undoing the whole failed append (the file is cut back,
 * a segment it created is deleted), so the log stays usable and no half-appended records
 * remain; a failed fsync leaves the log unusable (the kernel may have dropped the pages it
 * could not write: retrying would claim a durability it does not have) until it is reopened.
 * Synced records are never touched by either.
 */
import * as nodeFs from 'node:fs';
import { dirname, join } from 'node:path';
import { errnoOf, ioError, StoreError } from './errors.ts';
import { FileLock, type LockOwner } from './lock.ts';
import {
  checkFrame,
  checkSegmentHeader,
  encodeSegmentHeader,
  FRAME_BAD_CRC,
  FRAME_BAD_HEADER,
  FRAME_HEADER_BYTES,
  FRAME_INCOMPLETE,
  frameLength,
  MAX_PAYLOAD_BYTES,
  parseSegmentFileName,
  SEGMENT_HEADER_BYTES,
  segmentFileName,
  writeFrameHeader,
} from './segment-format.ts';

export type FsyncPolicy = 'always' | 'epoch' | 'never';

/** The part of `node:fs` the log uses; tests pass a wrapper that fails on purpose. */
export type LogFileSystem = Pick<
  typeof nodeFs,
  | 'openSync'
  | 'closeSync'
  | 'readSync'
  | 'writeSync'
  | 'fsyncSync'
  | 'fsync'
  | 'ftruncateSync'
  | 'fstatSync'
  | 'statSync'
  | 'readdirSync'
  | 'mkdirSync'
  | 'unlinkSync'
>;

export interface DurableLogOptions {
  /** Roll to a new segment when the current one would grow past this many bytes (default 64 MiB). */
  segmentBytes?: number;
  /** Who fsyncs (default `'epoch'`: the caller, through `sync()`). */
  fsync?: FsyncPolicy;
  /** The largest record `append` takes (default 16 MiB). */
  maxRecordBytes?: number;
  /** Take the directory's lock file (default true). */
  lock?: boolean;
  /**
   * Cut the last segment at a damaged record that has data after it, instead of refusing to
   * open (default false). The cut is reported in `recovery`; for an operator who has read the
   * error and saved what `readSegmentPayloads` could still get out of the file.
   */
  truncateCorruptTail?: boolean;
  /** File system calls (default `node:fs`). */
  fs?: LogFileSystem;
}

/** What opening the log found and did. */
export interface RecoveryReport {
  readonly segments: number;
  readonly startOffset: number;
  readonly nextOffset: number;
  /** The last segment, the one scanned. */
  readonly file: string;
  /** Bytes cut from the end of the last segment; 0 after a clean close. */
  readonly truncatedBytes: number;
  /** Byte position of the cut in `file`, when there was one. */
  readonly truncatedAt: number | undefined;
  /** Why the cut was made, when there was one. */
  readonly truncatedReason: string | undefined;
  /** The owner of a stale lock that was taken over, if any. */
  readonly lockTakenOverFrom: LockOwner | undefined;
  readonly milliseconds: number;
}

export interface AppendResult {
  /** Offset of the first record appended. */
  readonly firstOffset: number;
  /** Offset of the last record appended (`firstOffset - 1` when there were none). */
  readonly lastOffset: number;
  readonly count: number;
}

export interface ReadLimits {
  /** At most this many records (default: no limit but `maxBytes`). */
  maxRecords?: number;
  /** At most this many payload bytes, except that one record is returned whatever its size (default 1 MiB). */
  maxBytes?: number;
}

/** Consecutive records: `records[i]` has offset `firstOffset + i`. */
export interface ReadBatch {
  readonly firstOffset: number;
  /** The offset to read from next: `firstOffset + records.length`. */
  readonly nextOffset: number;
  /** Payloads; views into a buffer of their own batch, valid as long as the caller keeps them. */
  readonly records: Buffer[];
  /** Payload bytes in `records`. */
  readonly bytes: number;
}

export interface SegmentInfo {
  readonly file: string;
  readonly baseOffset: number;
  /** One past the segment's last offset. */
  readonly endOffset: number;
  readonly bytes: number;
  /** When the segment was last written (its newest record), as the file system says. */
  readonly mtimeMs: number;
}

export interface RetentionOptions {
  /** Delete the oldest segments while the log is larger than this. */
  maxBytes?: number;
  /** Delete segments whose newest record is older than this (by the segment file's mtime). */
  maxAgeMs?: number;
  /** The time to measure age against (default `Date.now()`). */
  now?: number;
  /** Never delete records at or above this offset (e.g. the engine's last committed offset). */
  keepFrom?: number;
}

export interface RetentionResult {
  readonly deletedSegments: number;
  readonly deletedBytes: number;
  /** The oldest offset still retained. */
  readonly startOffset: number;
}

const SUBJECT = 'durable log';
export const DEFAULT_SEGMENT_BYTES = 64 * 1024 * 1024;
const DEFAULT_MAX_RECORD_BYTES = 16 * 1024 * 1024;
const DEFAULT_READ_BYTES = 1024 * 1024;
/** Appends are written in pieces of about this size. */
const WRITE_CHUNK = 1024 * 1024;
/** Reads and scans fetch this much at a time. */
const READ_CHUNK = 1024 * 1024;
const RECOVERY_CHUNK = 8 * 1024 * 1024;
/** A sparse index entry (offset → byte position) about every this many bytes of a segment. */
const INDEX_INTERVAL = 1024 * 1024;
/** Open read-only descriptors kept for segments other than the last. */
const MAX_READERS = 4;

interface Segment {
  readonly base: number;
  readonly file: string;
  size: number;
  mtimeMs: number;
  /** Sparse index: the record at offset `indexOffsets[i]` starts at byte `indexPositions[i]`. */
  readonly indexOffsets: number[];
  readonly indexPositions: number[];
  /** Read-write for the last segment; read-only (opened on demand) for the others. */
  fd: number | undefined;
}

/** Bytes of a segment read into memory: `buf[0..n)` is the file from byte `filePos`. */
interface Chunk {
  readonly segment: Segment;
  readonly filePos: number;
  readonly buf: Buffer;
  readonly n: number;
  /** The read stopped at the end of the file. */
  readonly eof: boolean;
}

/** What an append must restore if it fails. */
interface Undo {
  readonly segmentCount: number;
  readonly size: number;
  readonly next: number;
}

function checkOffset(offset: number, what: string): void {
  if (!(Number.isSafeInteger(offset) && offset >= 0)) {
    throw new StoreError(
      'invalid-argument',
      `${SUBJECT}: ${what} must be a non-negative integer, got ${offset}`,
    );
  }
}

/** The directory of a source's log in a data directory: `<data-dir>/log/<source>`, the name made safe as a file name. */
export function sourceLogDir(dataDir: string, source: string): string {
  if (source === '') throw new StoreError('invalid-argument', `${SUBJECT}: a source needs a name`);
  let name = encodeURIComponent(source).replace(/\*/g, '%2A');
  if (name.startsWith('.')) name = `%2E${name.slice(1)}`;
  return join(dataDir, 'log', name);
}

/** Opens (creating it if needed) the log of `source` in the data directory `dataDir`. */
export function openSourceLog(dataDir: string, source: string, options: DurableLogOptions = {}): DurableLog {
  return DurableLog.open(sourceLogDir(dataDir, source), options);
}

export class DurableLog {
  readonly dir: string;
  readonly fsyncPolicy: FsyncPolicy;
  readonly segmentBytes: number;
  readonly maxRecordBytes: number;
  /** What opening found and did (a cut tail, a stale lock taken over). */
  readonly recovery: RecoveryReport;

  private readonly fs: LogFileSystem;
  private readonly lock: FileLock | undefined;
  private readonly truncateCorruptTail: boolean;
  private readonly segments: Segment[] = [];
  private next = 0;
  private synced = 0;
  /** The last segment has writes not yet fsynced. */
  private dirty = false;
  /** Segments were created or deleted since the directory was last fsynced. */
  private dirDirty = false;
  private closed = false;
  /** The fsync running off the event loop (`syncAsync`) and the offset it makes durable. */
  private syncing: { readonly upTo: number; readonly done: Promise<void> } | undefined;
  /** Why the log may no longer be written, after a failed fsync or a failed undo. */
  private failure: StoreError | undefined;
  private writeBuf = Buffer.allocUnsafe(WRITE_CHUNK);
  /** Where the next sequential read starts. */
  private hint: { segment: Segment; offset: number; pos: number } | undefined;
  private chunk: Chunk | undefined;
  private readers: Segment[] = [];

  /** Opens the log in `dir`, creating the directory and the first segment if needed, and recovers it. */
  static open(dir: string, options: DurableLogOptions = {}): DurableLog {
    const started = performance.now();
    const fs = options.fs ?? nodeFs;
    let created: string | undefined;
    try {
      created = fs.mkdirSync(dir, { recursive: true });
    } catch (e) {
      if (errnoOf(e) === 'EEXIST') {
        throw new StoreError(
          'io',
          `${SUBJECT}: cannot use ${dir} as a log directory: it exists and is not a directory`,
          {
            path: dir,
            errno: 'EEXIST',
            cause: e,
          },
        );
      }
      throw ioError(SUBJECT, 'create directory', dir, e);
    }
    const lock =
      options.lock === false ? undefined : FileLock.acquire(join(dir, 'lock'), `${SUBJECT} ${dir}`);
    try {
      const log = new DurableLog(dir, fs, options, lock, started);
      if (created !== undefined && log.fsyncPolicy !== 'never') {
        try {
          fsyncDirectory(fs, dirname(dir));
        } catch (e) {
          log.close();
          throw ioError(SUBJECT, 'fsync directory', dirname(dir), e);
        }
      }
      return log;
    } catch (e) {
      try {
        lock?.release();
      } catch {}
      throw e;
    }
  }

  private constructor(
    dir: string,
    fs: LogFileSystem,
    options: DurableLogOptions,
    lock: FileLock | undefined,
    started: number,
  ) {
    this.dir = dir;
    this.fs = fs;
    this.lock = lock;
    this.fsyncPolicy = options.fsync ?? 'epoch';
    this.segmentBytes = options.segmentBytes ?? DEFAULT_SEGMENT_BYTES;
    this.maxRecordBytes = options.maxRecordBytes ?? DEFAULT_MAX_RECORD_BYTES;
    this.truncateCorruptTail = options.truncateCorruptTail ?? false;
    if (!['always', 'epoch', 'never'].includes(this.fsyncPolicy)) {
      throw new StoreError('invalid-argument', `${SUBJECT}: unknown fsync policy ${this.fsyncPolicy}`);
    }
    if (!(Number.isSafeInteger(this.segmentBytes) && this.segmentBytes >= 64)) {
      throw new StoreError('invalid-argument', `${SUBJECT}: segmentBytes must be an integer ≥ 64`);
    }
    if (!(Number.isSafeInteger(this.maxRecordBytes) && this.maxRecordBytes > 0)) {
      throw new StoreError('invalid-argument', `${SUBJECT}: maxRecordBytes must be a positive integer`);
    }
    this.maxRecordBytes = Math.min(this.maxRecordBytes, MAX_PAYLOAD_BYTES);
    try {
      const tail = this.recover();
      this.recovery = {
        segments: this.segments.length,
        startOffset: this.startOffset,
        nextOffset: this.next,
        file: this.active.file,
        ...tail,
        lockTakenOverFrom: lock?.tookOverFrom,
        milliseconds: performance.now() - started,
      };
    } catch (e) {
      this.closeFiles();
      throw e;
    }
  }

  /** The oldest retained offset. */
  get startOffset(): number {
    return (this.segments[0] as Segment).base;
  }

  /** The offset the next appended record gets. */
  get nextOffset(): number {
    return this.next;
  }

  /** Records below this offset were fsynced (with policy `'never'`: `sync()` was called after them). */
  get syncedOffset(): number {
    return this.synced;
  }

  /** Bytes of all segment files. */
  get totalBytes(): number {
    let total = 0;
    for (const s of this.segments) total += s.size;
    return total;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** The segments, oldest first. */
  segmentInfo(): SegmentInfo[] {
    return this.segments.map((s, i) => ({
      file: s.file,
      baseOffset: s.base,
      endOffset: this.segments[i + 1]?.base ?? this.next,
      bytes: s.size,
      mtimeMs: s.mtimeMs,
    }));
  }

  private get active(): Segment {
    return this.segments[this.segments.length - 1] as Segment;
  }

  // ── recovery ────────────────────────────────────────────────────────────────

  private recover(): Pick<RecoveryReport, 'truncatedBytes' | 'truncatedAt' | 'truncatedReason'> {
    const fs = this.fs;
    let names: string[];
    try {
      names = fs.readdirSync(this.dir);
    } catch (e) {
      throw ioError(SUBJECT, 'list', this.dir, e);
    }
    const bases = names
      .map(parseSegmentFileName)
      .filter((b) => b !== undefined)
      .sort((a, b) => a - b);
    if (bases.length === 0) {
      this.segments.push(this.createSegment(0));
      this.next = 0;
      this.synced = 0;
      if (this.fsyncPolicy !== 'never') this.sync();
      return { truncatedBytes: 0, truncatedAt: undefined, truncatedReason: undefined };
    }
    for (const base of bases.slice(0, -1)) this.segments.push(this.openClosedSegment(base));
    const last = bases[bases.length - 1] as number;
    const file = join(this.dir, segmentFileName(last));
    let fd: number;
    try {
      fd = fs.openSync(file, 'r+');
    } catch (e) {
      throw ioError(SUBJECT, 'open', file, e);
    }
    const segment: Segment = {
      base: last,
      file,
      size: 0,
      mtimeMs: 0,
      indexOffsets: [last],
      indexPositions: [SEGMENT_HEADER_BYTES],
      fd,
    };
    this.segments.push(segment);
    const tail = this.recoverLastSegment(segment);
    this.synced = this.next;
    return tail;
  }

  private openClosedSegment(base: number): Segment {
    const file = join(this.dir, segmentFileName(base));
    const fd = this.openFile(file, 'r');
    try {
      const { size, mtimeMs } = this.fs.fstatSync(fd);
      if (size < SEGMENT_HEADER_BYTES) {
        throw new StoreError(
          'corrupt',
          `${SUBJECT}: ${file} is ${size} bytes long, shorter than a segment header, but is not the last segment`,
          { path: file, position: size },
        );
      }
      const header = Buffer.alloc(SEGMENT_HEADER_BYTES);
      this.fs.readSync(fd, header, 0, SEGMENT_HEADER_BYTES, 0);
      checkSegmentHeader(header, base, file);
      return {
        base,
        file,
        size,
        mtimeMs,
        indexOffsets: [base],
        indexPositions: [SEGMENT_HEADER_BYTES],
        fd: undefined,
      };
    } catch (e) {
      throw ioError(SUBJECT, 'read', file, e);
    } finally {
      this.fs.closeSync(fd);
    }
  }

  /** Scans the last segment, cuts an incomplete end, and sets `next`. */
  private recoverLastSegment(
    segment: Segment,
  ): Pick<RecoveryReport, 'truncatedBytes' | 'truncatedAt' | 'truncatedReason'> {
    const fs = this.fs;
    const fd = segment.fd as number;
    const { file } = segment;
    const stat = this.fstat(segment);
    const size = stat.size;
    segment.mtimeMs = stat.mtimeMs;
    if (size < SEGMENT_HEADER_BYTES) {
      // Created, but the crash came before its header was written: write it again.
      this.writeAt(segment, encodeSegmentHeader(segment.base), SEGMENT_HEADER_BYTES, 0);
      this.truncate(segment, SEGMENT_HEADER_BYTES);
      segment.size = SEGMENT_HEADER_BYTES;
      this.next = segment.base;
      if (this.fsyncPolicy !== 'never') this.fsyncSegment(segment);
      return { truncatedBytes: size, truncatedAt: 0, truncatedReason: 'incomplete segment header rewritten' };
    }
    const header = Buffer.alloc(SEGMENT_HEADER_BYTES);
    this.readAt(segment, header, SEGMENT_HEADER_BYTES, 0);
    checkSegmentHeader(header, segment.base, file);

    let buf = Buffer.allocUnsafe(Math.min(RECOVERY_CHUNK, Math.max(size, FRAME_HEADER_BYTES)));
    let pos = SEGMENT_HEADER_BYTES;
    let offset = segment.base;
    let lastIndexed = SEGMENT_HEADER_BYTES;
    let cut: { at: number; reason: string } | undefined;
    while (pos < size) {
      const n = this.readAt(segment, buf, Math.min(buf.length, size - pos), pos);
      let p = 0;
      let status = 0;
      for (;;) {
        status = checkFrame(buf, p, n);
        if (status <= 0) break;
        if (pos + p - lastIndexed >= INDEX_INTERVAL) {
          lastIndexed = pos + p;
          segment.indexOffsets.push(offset);
          segment.indexPositions.push(lastIndexed);
        }
        p += status;
        offset++;
      }
      const at = pos + p;
      if (at === size) break;
      if (status === FRAME_INCOMPLETE) {
        const length = n - p >= FRAME_HEADER_BYTES ? frameLength(buf, p) : -1;
        if (pos + n >= size || at + FRAME_HEADER_BYTES + length > size) {
          cut = { at, reason: 'incomplete record at the end' };
          break;
        }
        if (p === 0) buf = Buffer.allocUnsafe(FRAME_HEADER_BYTES + length);
        pos = at;
        continue;
      }
      // A damaged record: the torn end of an interrupted write, or corruption?
      const frameEnd = status === FRAME_BAD_CRC ? at + FRAME_HEADER_BYTES + frameLength(buf, p) : size;
      if (status === FRAME_BAD_HEADER && isZero(fs, fd, at, size)) {
        cut = { at, reason: 'zero-filled end' };
      } else if (status === FRAME_BAD_CRC && (frameEnd === size || isZero(fs, fd, frameEnd, size))) {
        cut = { at, reason: 'checksum mismatch in the last record' };
      } else if (this.truncateCorruptTail) {
        cut = {
          at,
          reason: `${status === FRAME_BAD_CRC ? 'checksum mismatch' : 'damaged record header'} (truncateCorruptTail)`,
        };
      } else {
        throw new StoreError(
          'corrupt',
          `${SUBJECT}: ${file} is corrupt at byte ${at} of ${size} (offset ${offset}: ${
            status === FRAME_BAD_HEADER ? 'damaged record header' : 'checksum mismatch'
          }, with more data after it). The records before it can be read with readSegmentPayloads; ` +
            'to drop everything from there on, open the log with truncateCorruptTail',
          { path: file, position: at },
        );
      }
      break;
    }
    this.next = offset;
    if (cut === undefined) {
      segment.size = size;
      return { truncatedBytes: 0, truncatedAt: undefined, truncatedReason: undefined };
    }
    this.truncate(segment, cut.at);
    segment.size = cut.at;
    if (this.fsyncPolicy !== 'never') this.fsyncSegment(segment);
    return { truncatedBytes: size - cut.at, truncatedAt: cut.at, truncatedReason: cut.reason };
  }

  // ── appending ───────────────────────────────────────────────────────────────

  /**
   * Appends records (strings are stored as UTF-8) and returns their offsets. They are written to
   * the operating system before this returns, and fsynced too with policy `'always'`. If it
   * throws, none of the records was appended, with two exceptions that also leave the log
   * unusable: the fsync of policy `'always'` failed after the records were written, or undoing a
   * failed write failed too. A reopened log may then hold some of the batch that was not
   * acknowledged (at least once, never lost).
   */
  append(records: readonly (string | Uint8Array)[]): AppendResult {
    this.checkWritable();
    const firstOffset = this.next;
    if (records.length === 0) return { firstOffset, lastOffset: firstOffset - 1, count: 0 };
    const undo: Undo = { segmentCount: this.segments.length, size: this.active.size, next: this.next };
    try {
      let used = 0;
      let pending = 0;
      for (const record of records) {
        const isString = typeof record === 'string';
        // A string is written straight into the buffer when its longest UTF-8 form (3 bytes a
        // UTF-16 unit) fits there and in the segment, which then says how long it was: no pass
        // over the string to measure it first.
        const longest = isString ? FRAME_HEADER_BYTES + 3 * record.length : 0;
        if (
          isString &&
          used + longest <= this.writeBuf.length &&
          this.active.size + used + longest <= this.segmentBytes
        ) {
          const length = this.writeBuf.write(record, used + FRAME_HEADER_BYTES, 'utf8');
          if (length > this.maxRecordBytes) throw this.tooLarge(length);
          used = this.framed(used, length, pending);
          pending++;
          continue;
        }
        const length = isString ? Buffer.byteLength(record) : record.byteLength;
        if (length > this.maxRecordBytes) throw this.tooLarge(length);
        const size = FRAME_HEADER_BYTES + length;
        let segment = this.active;
        if (segment.size + used + size > this.segmentBytes && segment.size + used > SEGMENT_HEADER_BYTES) {
          this.flush(used, pending);
          used = 0;
          pending = 0;
          this.roll();
          segment = this.active;
        }
        if (used + size > this.writeBuf.length) {
          this.flush(used, pending);
          used = 0;
          pending = 0;
          if (size > this.writeBuf.length) this.writeBuf = Buffer.allocUnsafe(size);
        }
        const buf = this.writeBuf;
        if (isString) buf.write(record, used + FRAME_HEADER_BYTES, length, 'utf8');
        else buf.set(record, used + FRAME_HEADER_BYTES);
        used = this.framed(used, length, pending);
        pending++;
      }
      this.flush(used, pending);
    } catch (e) {
      this.undo(undo);
      throw e;
    }
    if (this.writeBuf.length > 4 * WRITE_CHUNK) this.writeBuf = Buffer.allocUnsafe(WRITE_CHUNK);
    if (this.fsyncPolicy === 'always') this.sync();
    return { firstOffset, lastOffset: this.next - 1, count: this.next - firstOffset };
  }

  private tooLarge(length: number): StoreError {
    return new StoreError(
      'invalid-argument',
      `${SUBJECT} ${this.dir}: a record of ${length} bytes is larger than the limit of ${this.maxRecordBytes}`,
    );
  }

  /**
   * Frames the payload of `length` bytes just copied after `used` bytes of the write buffer (the
   * `pending`-th record of the batch), indexes it when due; the bytes used after it.
   */
  private framed(used: number, length: number, pending: number): number {
    writeFrameHeader(this.writeBuf, used, length);
    const segment = this.active;
    const filePos = segment.size + used;
    if (filePos - (segment.indexPositions.at(-1) as number) >= INDEX_INTERVAL) {
      segment.indexOffsets.push(this.next + pending);
      segment.indexPositions.push(filePos);
    }
    return used + FRAME_HEADER_BYTES + length;
  }

  /** Writes the `used` bytes of `pending` encoded records to the end of the last segment. */
  private flush(used: number, pending: number): void {
    if (used === 0) return;
    const segment = this.active;
    this.dirty = true;
    this.writeAt(segment, this.writeBuf, used, segment.size);
    segment.size += used;
    this.next += pending;
  }

  /** Starts a new segment at `next`, after fsyncing the current one. */
  private roll(): void {
    const old = this.active;
    if (this.fsyncPolicy !== 'never' && this.dirty) this.fsyncSegment(old);
    this.dirty = false;
    const segment = this.createSegment(this.next);
    try {
      old.mtimeMs = this.fstat(old).mtimeMs;
    } catch {
      old.mtimeMs = Date.now();
    }
    this.closeFd(old);
    this.segments.push(segment);
  }

  private createSegment(base: number): Segment {
    const file = join(this.dir, segmentFileName(base));
    const fd = this.openFile(file, 'wx+');
    const segment: Segment = {
      base,
      file,
      size: 0,
      mtimeMs: Date.now(),
      indexOffsets: [base],
      indexPositions: [SEGMENT_HEADER_BYTES],
      fd,
    };
    this.dirDirty = true;
    this.dirty = true;
    try {
      this.writeAt(segment, encodeSegmentHeader(base), SEGMENT_HEADER_BYTES, 0);
    } catch (e) {
      this.closeFd(segment);
      try {
        this.fs.unlinkSync(file);
      } catch {}
      throw e;
    }
    segment.size = SEGMENT_HEADER_BYTES;
    return segment;
  }

  /** Puts the log back as it was before a failed append; if that fails too, the log becomes unusable. */
  private undo(undo: Undo): void {
    if (this.failure !== undefined) return;
    try {
      while (this.segments.length > undo.segmentCount) {
        const segment = this.segments.pop() as Segment;
        this.closeFd(segment);
        this.fs.unlinkSync(segment.file);
        this.dirDirty = true;
      }
      const segment = this.active;
      if (segment.fd === undefined || this.readers.includes(segment)) {
        this.closeFd(segment);
        this.readers = this.readers.filter((s) => s !== segment);
        segment.fd = this.openFile(segment.file, 'r+');
      }
      this.truncate(segment, undo.size);
      segment.size = undo.size;
      while ((segment.indexOffsets.at(-1) as number) >= undo.next && segment.indexOffsets.length > 1) {
        segment.indexOffsets.pop();
        segment.indexPositions.pop();
      }
      this.next = undo.next;
      this.dirty = true;
      if (this.hint !== undefined && this.hint.offset > this.next) this.hint = undefined;
      this.chunk = undefined;
    } catch (e) {
      this.failure = ioError(SUBJECT, 'undo a failed append in', this.active.file, e);
    }
  }

  /**
   * Makes every record appended so far durable: fsyncs the last segment (earlier ones were
   * fsynced when the log rolled past them) and, after a segment was created or deleted, the
   * directory. With policy `'never'` it only moves `syncedOffset`. A failed fsync leaves the
   * log unusable until it is reopened.
   */
  sync(): void {
    this.checkWritable();
    if (this.fsyncPolicy !== 'never') {
      if (this.dirty) this.fsyncSegment(this.active);
      if (this.dirDirty) {
        try {
          fsyncDirectory(this.fs, this.dir);
        } catch (e) {
          this.failure = ioError(SUBJECT, 'fsync directory', this.dir, e);
          throw this.failure;
        }
      }
    }
    this.dirty = false;
    this.dirDirty = false;
    this.synced = this.next;
  }

  /**
   * Continues the log at `offset`, past its end, in a new segment; the offsets in between hold
   * no records. For recovery, when records that a commit had already consumed were lost: the
   * log then ends where the commit says it does.
   */
  skipTo(offset: number): void {
    this.checkWritable();
    checkOffset(offset, 'the offset to skip to');
    if (offset < this.next)
      throw new StoreError(
        'invalid-argument',
        `${SUBJECT} ${this.dir}: cannot skip back from ${this.next} to ${offset}`,
      );
    if (offset === this.next) return;
    this.hint = undefined;
    this.chunk = undefined;
    const active = this.active;
    if (active.size <= SEGMENT_HEADER_BYTES) {
      // An empty last segment would name offsets it does not hold: it makes way for the new one.
      this.closeFd(active);
      this.readers = this.readers.filter((s) => s !== active);
      try {
        this.fs.unlinkSync(active.file);
      } catch (e) {
        throw ioError(SUBJECT, 'delete segment', active.file, e);
      }
      this.segments.pop();
      this.next = offset;
      this.segments.push(this.createSegment(offset));
    } else {
      this.next = offset;
      this.roll();
    }
    this.sync();
  }

  /**
   * `sync` off the event loop: resolves once every record appended before the call is fsynced.
   * Calls while an fsync runs share the next one (group commit). After a segment was created
   * or deleted it syncs at once (the directory too). A failed fsync rejects and leaves the log
   * unusable, as `sync`'s does.
   */
  syncAsync(): Promise<void> {
    try {
      this.checkWritable();
    } catch (e) {
      return Promise.reject(e);
    }
    const upTo = this.next;
    if (this.synced >= upTo) return Promise.resolve();
    if (this.fsyncPolicy === 'never' || this.dirDirty) {
      try {
        this.sync();
      } catch (e) {
        return Promise.reject(e);
      }
      return Promise.resolve();
    }
    const running = this.syncing;
    if (running !== undefined)
      return running.upTo >= upTo ? running.done : running.done.then(() => this.syncAsync());
    const segment = this.active;
    const done = new Promise<void>((resolve, reject) => {
      this.fs.fsync(segment.fd as number, (e) => {
        this.syncing = undefined;
        // A segment rolled over meanwhile was fsynced before it was closed.
        if (e !== null && segment === this.active) {
          this.failure ??= ioError(SUBJECT, 'fsync', segment.file, e);
          reject(this.failure);
          return;
        }
        if (upTo > this.synced) this.synced = upTo;
        if (this.synced >= this.next) this.dirty = false;
        resolve();
      });
    });
    this.syncing = { upTo, done };
    return done;
  }

  // ── reading ─────────────────────────────────────────────────────────────────

  /**
   * Records from `fromOffset` on, as many as `limits` allow (at least one when any is there),
   * across segments. Reading on from the returned `nextOffset` continues where this stopped
   * without searching. An offset at or past the end gives an empty batch; an offset below
   * `startOffset` (deleted by retention) throws `offset-out-of-range`.
   */
  read(fromOffset: number, limits: ReadLimits = {}): ReadBatch {
    this.checkOpen();
    checkOffset(fromOffset, 'a read offset');
    if (fromOffset < this.startOffset) {
      throw new StoreError(
        'offset-out-of-range',
        `${SUBJECT} ${this.dir}: offset ${fromOffset} is no longer retained; the log starts at offset ${this.startOffset}`,
        { path: this.dir },
      );
    }
    const maxRecords = limits.maxRecords ?? Number.POSITIVE_INFINITY;
    const maxBytes = limits.maxBytes ?? DEFAULT_READ_BYTES;
    const records: Buffer[] = [];
    let bytes = 0;
    let offset = fromOffset;
    const end = this.next;
    let segment: Segment | undefined;
    let pos = 0;
    outer: while (offset < end && records.length < maxRecords) {
      const index = this.segmentIndexFor(offset);
      segment = this.segments[index] as Segment;
      const segmentEnd = this.segments[index + 1]?.base ?? end;
      pos = this.positionOf(segment, offset);
      let chunk = this.cachedChunk(segment, pos);
      let fresh = false;
      if (chunk === undefined) {
        chunk = this.loadChunk(segment, pos, 0);
        fresh = true;
      }
      while (offset < segmentEnd) {
        if (records.length >= maxRecords) break outer;
        const p = pos - chunk.filePos;
        const size = checkFrame(chunk.buf, p, chunk.n);
        if (size > 0) {
          const length = size - FRAME_HEADER_BYTES;
          if (bytes + length > maxBytes && records.length > 0) break outer;
          records.push(chunk.buf.subarray(p + FRAME_HEADER_BYTES, p + size));
          bytes += length;
          offset++;
          pos += size;
          continue;
        }
        if (size !== FRAME_INCOMPLETE) throw this.corruptAt(segment, pos, offset, size);
        if (!fresh || chunk.filePos !== pos) {
          chunk = this.loadChunk(segment, pos, 0);
          fresh = true;
          continue;
        }
        const need = chunk.n >= FRAME_HEADER_BYTES ? FRAME_HEADER_BYTES + frameLength(chunk.buf, 0) : 0;
        if (chunk.eof || need <= chunk.n || pos + need > segment.size) {
          throw this.endsEarly(segment, pos, offset, segmentEnd);
        }
        chunk = this.loadChunk(segment, pos, need);
      }
    }
    if (segment !== undefined) this.hint = { segment, offset, pos };
    return { firstOffset: fromOffset, nextOffset: offset, records, bytes };
  }

  /** `read` in a loop: batches from `fromOffset` to the end of the log as it is when each batch is read. */
  *batches(fromOffset: number, limits: ReadLimits = {}): Generator<ReadBatch> {
    let offset = fromOffset;
    for (;;) {
      const batch = this.read(offset, limits);
      if (batch.records.length === 0) return;
      yield batch;
      offset = batch.nextOffset;
    }
  }

  private segmentIndexFor(offset: number): number {
    let lo = 0;
    let hi = this.segments.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((this.segments[mid] as Segment).base <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  /** Byte position of the record `offset` in `segment`: from the last read, or the sparse index and a scan of record headers. */
  private positionOf(segment: Segment, offset: number): number {
    const hint = this.hint;
    if (hint !== undefined && hint.segment === segment && hint.offset === offset) return hint.pos;
    const offsets = segment.indexOffsets;
    let lo = 0;
    let hi = offsets.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((offsets[mid] as number) <= offset) lo = mid;
      else hi = mid - 1;
    }
    let at = offsets[lo] as number;
    let pos = segment.indexPositions[lo] as number;
    const extend = lo === offsets.length - 1;
    let chunk: Chunk | undefined;
    while (at < offset) {
      let p = chunk === undefined ? -1 : pos - chunk.filePos;
      if (chunk === undefined || chunk.n - p < FRAME_HEADER_BYTES) {
        if (chunk?.eof) throw this.endsEarly(segment, pos, at, offset + 1);
        chunk = this.loadChunk(segment, pos, 0);
        p = 0;
        if (chunk.n < FRAME_HEADER_BYTES) throw this.endsEarly(segment, pos, at, offset + 1);
      }
      const length = frameLength(chunk.buf, p);
      if (length < 0) throw this.corruptAt(segment, pos, at, FRAME_BAD_HEADER);
      pos += FRAME_HEADER_BYTES + length;
      at++;
      if (extend && at < offset && pos - (segment.indexPositions.at(-1) as number) >= INDEX_INTERVAL) {
        segment.indexOffsets.push(at);
        segment.indexPositions.push(pos);
      }
    }
    return pos;
  }

  private cachedChunk(segment: Segment, pos: number): Chunk | undefined {
    const c = this.chunk;
    return c !== undefined && c.segment === segment && pos >= c.filePos && pos < c.filePos + c.n
      ? c
      : undefined;
  }

  /** Reads at least `min` bytes (unless the file ends first) of `segment` from byte `pos` into a new buffer. */
  private loadChunk(segment: Segment, pos: number, min: number): Chunk {
    const want = Math.max(READ_CHUNK, min);
    const buf = Buffer.allocUnsafe(want);
    const n = this.readAt(segment, buf, want, pos);
    const chunk: Chunk = { segment, filePos: pos, buf, n, eof: n < want };
    this.chunk = chunk;
    return chunk;
  }

  private corruptAt(segment: Segment, pos: number, offset: number, status: number): StoreError {
    const what = status === FRAME_BAD_CRC ? 'checksum mismatch' : 'damaged record header';
    return new StoreError(
      'corrupt',
      `${SUBJECT}: ${segment.file} is corrupt at byte ${pos} (offset ${offset}: ${what})`,
      { path: segment.file, position: pos },
    );
  }

  private endsEarly(segment: Segment, pos: number, offset: number, expectedEnd: number): StoreError {
    return new StoreError(
      'corrupt',
      `${SUBJECT}: ${segment.file} ends at byte ${pos} before offset ${offset}, but records up to offset ${
        expectedEnd - 1
      } belong in it`,
      { path: segment.file, position: pos },
    );
  }

  // ── retention ───────────────────────────────────────────────────────────────

  /**
   * Deletes the segments all of whose records are below `offset`, oldest first (the last segment
   * is never deleted). Records at or above `offset` stay, and so may some below it.
   */
  truncateBefore(offset: number): RetentionResult {
    this.checkOpen();
    checkOffset(offset, 'a retention offset');
    let deletedSegments = 0;
    let deletedBytes = 0;
    while (this.segments.length > 1 && (this.segments[1] as Segment).base <= offset) {
      const segment = this.segments[0] as Segment;
      this.closeFd(segment);
      this.readers = this.readers.filter((s) => s !== segment);
      try {
        this.fs.unlinkSync(segment.file);
      } catch (e) {
        if (errnoOf(e) !== 'ENOENT') throw ioError(SUBJECT, 'delete segment', segment.file, e);
      }
      this.segments.shift();
      if (this.hint?.segment === segment) this.hint = undefined;
      if (this.chunk?.segment === segment) this.chunk = undefined;
      this.dirDirty = true;
      deletedSegments++;
      deletedBytes += segment.size;
    }
    return { deletedSegments, deletedBytes, startOffset: this.startOffset };
  }

  /**
   * Deletes the oldest segments that are older than `maxAgeMs` or that keep the log above
   * `maxBytes`, never one holding an offset at or above `keepFrom`, nor the last segment.
   */
  applyRetention(options: RetentionOptions): RetentionResult {
    this.checkOpen();
    const keepFrom = options.keepFrom ?? Number.POSITIVE_INFINITY;
    const now = options.now ?? Date.now();
    let total = this.totalBytes;
    let cut = this.startOffset;
    for (let i = 0; i < this.segments.length - 1; i++) {
      const segment = this.segments[i] as Segment;
      const end = (this.segments[i + 1] as Segment).base;
      if (end > keepFrom) break;
      const old = options.maxAgeMs !== undefined && segment.mtimeMs <= now - options.maxAgeMs;
      const over = options.maxBytes !== undefined && total > options.maxBytes;
      if (!(old || over)) break;
      total -= segment.size;
      cut = end;
    }
    return this.truncateBefore(cut);
  }

  // ── closing ─────────────────────────────────────────────────────────────────

  /** Syncs (unless the policy is `'never'` or the log failed), closes the files and releases the lock. */
  close(): void {
    if (this.closed) return;
    let error: unknown;
    try {
      if (this.failure === undefined && this.fsyncPolicy !== 'never') this.sync();
    } catch (e) {
      error = e;
    }
    this.closed = true;
    this.closeFiles();
    try {
      this.lock?.release();
    } catch (e) {
      error ??= e;
    }
    if (error !== undefined) throw error;
  }

  private closeFiles(): void {
    for (const segment of this.segments) this.closeFd(segment);
    this.readers = [];
    this.chunk = undefined;
    this.hint = undefined;
  }

  private checkOpen(): void {
    if (this.closed) throw new StoreError('unusable', `${SUBJECT} ${this.dir} is closed`, { path: this.dir });
  }

  private checkWritable(): void {
    this.checkOpen();
    if (this.failure !== undefined) {
      throw new StoreError(
        'unusable',
        `${SUBJECT} ${this.dir} cannot be written after an earlier failure (${this.failure.message}); ` +
          'close it and open it again: recovery keeps every synced record',
        { path: this.dir, cause: this.failure },
      );
    }
  }

  // ── file calls, each failure turned into a StoreError naming the file ──────────

  private openFile(file: string, flags: string): number {
    try {
      return this.fs.openSync(file, flags);
    } catch (e) {
      throw ioError(SUBJECT, flags.startsWith('w') ? 'create' : 'open', file, e);
    }
  }

  private fdOf(segment: Segment): number {
    if (segment.fd !== undefined) {
      if (segment !== this.active && this.readers[this.readers.length - 1] !== segment) {
        this.readers = this.readers.filter((s) => s !== segment);
        this.readers.push(segment);
      }
      return segment.fd;
    }
    segment.fd = this.openFile(segment.file, 'r');
    this.readers.push(segment);
    if (this.readers.length > MAX_READERS) this.closeFd(this.readers.shift() as Segment);
    return segment.fd;
  }

  private closeFd(segment: Segment): void {
    if (segment.fd === undefined) return;
    try {
      this.fs.closeSync(segment.fd);
    } catch {}
    segment.fd = undefined;
  }

  private readAt(segment: Segment, buf: Buffer, length: number, pos: number): number {
    const fd = this.fdOf(segment);
    let done = 0;
    try {
      while (done < length) {
        const n = this.fs.readSync(fd, buf, done, length - done, pos + done);
        if (n === 0) break;
        done += n;
      }
    } catch (e) {
      throw ioError(SUBJECT, 'read', segment.file, e);
    }
    return done;
  }

  private writeAt(segment: Segment, buf: Buffer, length: number, pos: number): void {
    const fd = segment.fd as number;
    let done = 0;
    try {
      while (done < length) done += this.fs.writeSync(fd, buf, done, length - done, pos + done);
    } catch (e) {
      throw ioError(SUBJECT, 'write', segment.file, e);
    }
  }

  private truncate(segment: Segment, size: number): void {
    try {
      this.fs.ftruncateSync(segment.fd as number, size);
    } catch (e) {
      throw ioError(SUBJECT, 'truncate', segment.file, e);
    }
  }

  private fstat(segment: Segment): nodeFs.Stats {
    try {
      return this.fs.fstatSync(this.fdOf(segment));
    } catch (e) {
      throw ioError(SUBJECT, 'stat', segment.file, e);
    }
  }

  private fsyncSegment(segment: Segment): void {
    try {
      this.fs.fsyncSync(segment.fd as number);
    } catch (e) {
      this.failure = ioError(SUBJECT, 'fsync', segment.file, e);
      throw this.failure;
    }
  }
}

function fsyncDirectory(fs: LogFileSystem, dir: string): void {
  const fd = fs.openSync(dir, 'r');
  try {
    fs.fsyncSync(fd);
  } catch (e) {
    // Some file systems cannot fsync a directory; there is nothing more to do there.
    if (errnoOf(e) !== 'EINVAL') throw e;
  } finally {
    fs.closeSync(fd);
  }
}

/** Whether bytes [from, to) of the file are all zero. */
function isZero(fs: LogFileSystem, fd: number, from: number, to: number): boolean {
  const buf = Buffer.allocUnsafe(Math.min(READ_CHUNK, to - from));
  for (let pos = from; pos < to; ) {
    const n = fs.readSync(fd, buf, 0, Math.min(buf.length, to - pos), pos);
    if (n === 0) return true;
    for (let i = 0; i < n; i++) if (buf[i] !== 0) return false;
    pos += n;
  }
  return true;
}
