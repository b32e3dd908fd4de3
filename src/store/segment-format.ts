/**
 * The on-disk format of a durable log segment, and a reader of it that needs nothing else.
 *
 * A segment file is named by the offset of its first record, 20 decimal digits and `.log`
 * (`00000000000000050000.log`, as Kafka names its segments), and holds:
 *
 *   header  16 bytes  "TWLOG01\n" (format version 1), base offset (u64, little-endian)
 *   frames  one per record, in offset order:
 *             length      u32 LE   payload bytes
 *             ~length     u32 LE   length XOR 0xFFFFFFFF: tells a damaged length from a short file
 *             crc32       u32 LE   CRC-32 (zlib's, as `node:zlib` crc32 and Python's zlib.crc32) of the payload
 *             payload     `length` bytes, opaque (tidewatch stores one NDJSON line, without its newline)
 *
 * A record's offset is the segment's base offset plus its index in the segment; the next
 * segment's base offset is one past the last record of the one before. To get the payloads
 * back without tidewatch: skip 16 bytes, then repeatedly read 12 bytes, take `length`, and read
 * that many bytes (`readSegmentPayloads` below does exactly this and checks every checksum).
 */
import { closeSync, openSync, readSync } from 'node:fs';
import { crc32 } from 'node:zlib';
import { ioError, StoreError } from './errors.ts';

export const SEGMENT_MAGIC = 'TWLOG01\n';
export const SEGMENT_HEADER_BYTES = 16;
export const FRAME_HEADER_BYTES = 12;
/** The largest payload the format allows (1 GiB); appends may set a lower limit. */
export const MAX_PAYLOAD_BYTES = 0x4000_0000;

const SEGMENT_NAME = /^(\d{20})\.log$/;

export function segmentFileName(baseOffset: number): string {
  return `${String(baseOffset).padStart(20, '0')}.log`;
}

/** The base offset a segment file name stands for, or undefined when the name is not a segment's. */
export function parseSegmentFileName(name: string): number | undefined {
  const m = SEGMENT_NAME.exec(name);
  if (m === null) return undefined;
  const base = Number(m[1]);
  return Number.isSafeInteger(base) ? base : undefined;
}

export function encodeSegmentHeader(baseOffset: number): Buffer {
  const buf = Buffer.alloc(SEGMENT_HEADER_BYTES);
  buf.write(SEGMENT_MAGIC, 0, 'latin1');
  buf.writeBigUInt64LE(BigInt(baseOffset), 8);
  return buf;
}

/** Throws a `corrupt` StoreError unless `header` is a segment header for `baseOffset`. */
export function checkSegmentHeader(header: Buffer, baseOffset: number, file: string): void {
  if (header.length < SEGMENT_HEADER_BYTES || header.toString('latin1', 0, 8) !== SEGMENT_MAGIC) {
    throw new StoreError(
      'corrupt',
      `durable log: ${file} is not a tidewatch log segment (bad header at byte 0; expected "TWLOG01")`,
      { path: file, position: 0 },
    );
  }
  const stored = header.readBigUInt64LE(8);
  if (stored !== BigInt(baseOffset)) {
    throw new StoreError(
      'corrupt',
      `durable log: ${file} says its first offset is ${stored} but its name says ${baseOffset} (byte 8)`,
      { path: file, position: 8 },
    );
  }
}

/** `checkFrame` results other than a frame's size. */
export const FRAME_INCOMPLETE = -1;
export const FRAME_BAD_HEADER = -2;
export const FRAME_BAD_CRC = -3;

/**
 * What starts at `pos` in `buf`, whose bytes up to `end` are valid: the total size of a complete
 * frame with a good checksum (at least FRAME_HEADER_BYTES), or FRAME_INCOMPLETE when the bytes stop
 * before the frame does (its header, when present, is sound), FRAME_BAD_HEADER when the length and its
 * complement disagree, FRAME_BAD_CRC when the payload's checksum does not match.
 */
export function checkFrame(buf: Buffer, pos: number, end: number): number {
  if (end - pos < FRAME_HEADER_BYTES) return FRAME_INCOMPLETE;
  const length = buf.readUInt32LE(pos);
  if ((length ^ buf.readUInt32LE(pos + 4)) !== -1 || length > MAX_PAYLOAD_BYTES) return FRAME_BAD_HEADER;
  const size = FRAME_HEADER_BYTES + length;
  if (end - pos < size) return FRAME_INCOMPLETE;
  const crc = crc32(buf.subarray(pos + FRAME_HEADER_BYTES, pos + size));
  return crc === buf.readUInt32LE(pos + 8) ? size : FRAME_BAD_CRC;
}

/** The payload length of the frame header at `pos` (checked), or -1 when the header is damaged. */
export function frameLength(buf: Buffer, pos: number): number {
  const length = buf.readUInt32LE(pos);
  return (length ^ buf.readUInt32LE(pos + 4)) !== -1 || length > MAX_PAYLOAD_BYTES ? -1 : length;
}

/** Writes the frame of a payload already copied to `buf` at `pos + FRAME_HEADER_BYTES`. */
export function writeFrameHeader(buf: Buffer, pos: number, length: number): void {
  buf.writeUInt32LE(length, pos);
  buf.writeUInt32LE(~length >>> 0, pos + 4);
  buf.writeUInt32LE(
    crc32(buf.subarray(pos + FRAME_HEADER_BYTES, pos + FRAME_HEADER_BYTES + length)),
    pos + 8,
  );
}

/**
 * Every payload of the segment file `file`, in order, with its offset: the way to get data out of a
 * segment by hand (e.g. to write NDJSON for DuckDB's read_json). Stops at the end of the last
 * complete record; throws a `corrupt` StoreError naming the byte position of a damaged one.
 */
export function* readSegmentPayloads(file: string): Generator<{ offset: number; payload: Buffer }> {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch (e) {
    throw ioError('durable log', 'open', file, e);
  }
  try {
    const header = Buffer.alloc(SEGMENT_HEADER_BYTES);
    const got = readSync(fd, header, 0, SEGMENT_HEADER_BYTES, 0);
    if (got < SEGMENT_HEADER_BYTES) return;
    checkSegmentHeader(header, Number(header.readBigUInt64LE(8)), file);
    let offset = Number(header.readBigUInt64LE(8));
    let filePos = SEGMENT_HEADER_BYTES;
    let buf = Buffer.allocUnsafe(1 << 20);
    for (;;) {
      const n = readSync(fd, buf, 0, buf.length, filePos);
      if (n === 0) return;
      let p = 0;
      for (;;) {
        const size = checkFrame(buf, p, n);
        if (size > 0) {
          yield { offset: offset++, payload: Buffer.from(buf.subarray(p + FRAME_HEADER_BYTES, p + size)) };
          p += size;
        } else if (size === FRAME_INCOMPLETE) {
          break;
        } else {
          throw new StoreError(
            'corrupt',
            `durable log: ${file} is corrupt at byte ${filePos + p} (${size === FRAME_BAD_CRC ? 'checksum mismatch' : 'damaged record header'}, offset ${offset})`,
            { path: file, position: filePos + p },
          );
        }
      }
      if (p === 0) {
        // A record larger than the buffer, or the file's incomplete end.
        const length = n >= FRAME_HEADER_BYTES ? frameLength(buf, 0) : -1;
        if (length < 0 || FRAME_HEADER_BYTES + length <= buf.length) return;
        buf = Buffer.allocUnsafe(FRAME_HEADER_BYTES + length);
        continue;
      }
      filePos += p;
    }
  } finally {
    closeSync(fd);
  }
}
