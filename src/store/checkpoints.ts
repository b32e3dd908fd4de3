/**
 * Checkpoint files: the engine's state at an epoch, committed atomically. Each is written to
 * a temporary file, fsynced, renamed to `<epoch>.ckpt` and the directory fsynced, so a crash
 * leaves either the previous checkpoint or the new one, never half of one. The newest
 * `keep` stay; older ones are deleted.
 *
 * File format 1: `TWCKPT1\n`, then u32 crc32 of the payload, u32 zero, u64 payload length
 * (little-endian), then the payload. A file that fails these checks is corruption: reading
 * it fails naming the file, never falls back silently.
 */
import {
  closeSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { errnoOf, ioError, StoreError } from './errors.ts';

const MAGIC = Buffer.from('TWCKPT1\n', 'latin1');
const HEADER_BYTES = 24;
const NAME = /^(\d{20})\.ckpt$/;

export interface Checkpoint {
  readonly epoch: number;
  readonly payload: Buffer;
  readonly file: string;
}

function fileName(epoch: number): string {
  return `${String(epoch).padStart(20, '0')}.ckpt`;
}

export class CheckpointFiles {
  readonly dir: string;
  readonly #keep: number;

  constructor(dir: string, options: { readonly keep?: number } = {}) {
    this.dir = dir;
    this.#keep = Math.max(1, options.keep ?? 2);
    try {
      mkdirSync(dir, { recursive: true });
    } catch (e) {
      throw ioError('checkpoints', 'create', dir, e);
    }
  }

  /** Epochs of the checkpoints present, ascending. */
  epochs(): number[] {
    let names: string[];
    try {
      names = readdirSync(this.dir);
    } catch (e) {
      throw ioError('checkpoints', 'list', this.dir, e);
    }
    return names
      .map((n) => NAME.exec(n)?.[1])
      .filter((n) => n !== undefined)
      .map(Number)
      .sort((a, b) => a - b);
  }

  /** Commits `payload` as the checkpoint of `epoch` (durable when this returns). */
  write(epoch: number, payload: Uint8Array): void {
    const file = join(this.dir, fileName(epoch));
    const tmp = `${file}.tmp`;
    const header = Buffer.alloc(HEADER_BYTES);
    MAGIC.copy(header, 0);
    header.writeUInt32LE(crc32(payload), 8);
    header.writeBigUInt64LE(BigInt(payload.byteLength), 16);
    try {
      const fd = openSync(tmp, 'w');
      try {
        writeSync(fd, header);
        writeSync(fd, payload);
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
      renameSync(tmp, file);
      const dirFd = openSync(this.dir, 'r');
      try {
        fsyncSync(dirFd);
      } finally {
        closeSync(dirFd);
      }
    } catch (e) {
      try {
        unlinkSync(tmp);
      } catch {
        // the temporary file may not exist; the checkpoint before stays the latest
      }
      throw ioError('checkpoint', 'write', file, e);
    }
    for (const old of this.epochs().slice(0, -this.#keep)) {
      try {
        unlinkSync(join(this.dir, fileName(old)));
      } catch (e) {
        if (errnoOf(e) !== 'ENOENT') throw ioError('checkpoints', 'delete', join(this.dir, fileName(old)), e);
      }
    }
  }

  /** The newest checkpoint, checked; undefined when there is none. */
  latest(): Checkpoint | undefined {
    const epoch = this.epochs().at(-1);
    if (epoch === undefined) return undefined;
    const file = join(this.dir, fileName(epoch));
    let bytes: Buffer;
    try {
      bytes = readFileSync(file);
    } catch (e) {
      throw ioError('checkpoint', 'read', file, e);
    }
    const corrupt = (why: string) =>
      new StoreError(
        'corrupt',
        `checkpoint ${file} is damaged (${why}); restore the data directory from a backup`,
        {
          path: file,
        },
      );
    if (bytes.length < HEADER_BYTES || !bytes.subarray(0, 8).equals(MAGIC))
      throw corrupt('not a checkpoint header');
    const length = Number(bytes.readBigUInt64LE(16));
    if (bytes.length !== HEADER_BYTES + length)
      throw corrupt(`${bytes.length - HEADER_BYTES} bytes, expected ${length}`);
    const payload = bytes.subarray(HEADER_BYTES);
    if (crc32(payload) !== bytes.readUInt32LE(8)) throw corrupt('checksum mismatch');
    return { epoch, payload, file };
  }
}
