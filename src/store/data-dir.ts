/**
 * The data directory: created on first start, stamped with its format version, owned by one
 * process at a time. Layout of format 2:
 *
 *     FORMAT     {"format":2,"createdBy":"tidewatch 0.1.0","createdAt":"…"}
 *     lock       the owning process (lock.ts)
 *     log/…      durable logs of sources that cannot replay (durable-log.ts)
 *     spool/…    an epoch's rows on their way to the store, as CSV (remote-epoch-store.ts);
 *                emptied at start, since they hold nothing committed
 *     saved-panels.json  panels saved from the dashboard's SQL box (serve/saved-panels.ts)
 *
 * A directory written by a newer tidewatch (a greater format) is refused with a message
 * saying so, rather than read wrongly; so is one of format 1, whose store kept numeric values
 * as doubles (format 2 keeps them exactly, as text, and bigints beyond 2^53 exactly); an
 * unreadable FORMAT file is refused naming it.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { writeFileAtomically } from './atomic-file.ts';
import { errnoOf, ioError, StoreError } from './errors.ts';
import { FileLock } from './lock.ts';

/** The format this tidewatch reads and writes. */
export const DATA_FORMAT = 2;

export interface DataFormat {
  readonly format: number;
  readonly createdBy: string;
  readonly createdAt: string;
}

function readFormat(file: string): DataFormat | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    if (errnoOf(e) === 'ENOENT') return undefined;
    throw ioError('data directory', 'read', file, e);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  const f = parsed as Partial<DataFormat> | undefined;
  if (typeof f?.format !== 'number' || !Number.isInteger(f.format) || f.format < 1)
    throw new StoreError('corrupt', `data directory: ${file} is not a tidewatch format file`, { path: file });
  return { format: f.format, createdBy: String(f.createdBy ?? ''), createdAt: String(f.createdAt ?? '') };
}

/** Writes FORMAT atomically (atomic-file.ts). */
function writeFormat(dir: string, format: DataFormat): void {
  const file = join(dir, 'FORMAT');
  try {
    writeFileAtomically(file, `${JSON.stringify(format)}\n`);
  } catch (e) {
    throw ioError('data directory', 'write', file, e);
  }
}

export class DataDir {
  readonly path: string;
  readonly format: DataFormat;
  /** True when this open created the directory's format stamp (a first start). */
  readonly created: boolean;
  readonly #lock: FileLock;

  private constructor(path: string, format: DataFormat, created: boolean, lock: FileLock) {
    this.path = path;
    this.format = format;
    this.created = created;
    this.#lock = lock;
  }

  /**
   * Opens (creating it if needed) and locks the data directory; throws a StoreError naming
   * the directory or file: `locked` (another process has it), `unusable` (another format),
   * `corrupt` (FORMAT unreadable) or `io`.
   */
  static open(path: string, createdBy: string): DataDir {
    const dir = resolve(path);
    try {
      mkdirSync(dir, { recursive: true });
    } catch (e) {
      throw ioError('data directory', 'create', dir, e);
    }
    const lock = FileLock.acquire(join(dir, 'lock'), `data directory ${dir}`);
    try {
      const existing = readFormat(join(dir, 'FORMAT'));
      if (existing !== undefined && existing.format > DATA_FORMAT)
        throw new StoreError(
          'unusable',
          `data directory ${dir} has format ${existing.format}, written by ${existing.createdBy || 'a newer tidewatch'}; this tidewatch reads format ${DATA_FORMAT} — upgrade tidewatch or use another --data-dir`,
          { path: join(dir, 'FORMAT') },
        );
      if (existing !== undefined && existing.format < DATA_FORMAT)
        throw new StoreError(
          'unusable',
          `data directory ${dir} has format ${existing.format}, written by ${existing.createdBy || 'an older tidewatch'}, whose store holds numeric values as doubles; this tidewatch reads format ${DATA_FORMAT} (exact numerics) — use another --data-dir`,
          { path: join(dir, 'FORMAT') },
        );
      if (existing !== undefined) return new DataDir(dir, existing, false, lock);
      const format = { format: DATA_FORMAT, createdBy, createdAt: new Date().toISOString() };
      writeFormat(dir, format);
      return new DataDir(dir, format, true, lock);
    } catch (e) {
      lock.release();
      throw e;
    }
  }

  /** Releases the lock. */
  close(): void {
    this.#lock.release();
  }
}
