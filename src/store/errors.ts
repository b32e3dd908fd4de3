/**
 * Errors of the storage layer. Each names the file it is about and, for corruption, the
 * byte position in that file, so that the message alone tells an operator where to look.
 * The code that meets the fault raises it; the CLI turns it into a clean stop.
 */

/**
 * - `io`: the operating system refused a read, write, fsync, create or delete (disk full,
 *   permission denied, read-only file system…); `errno` says which.
 * - `corrupt`: a file's content is not what tidewatch wrote (bad checksum, bad header).
 * - `locked`: another process (or another open in this process) holds the lock.
 * - `offset-out-of-range`: a read below the oldest retained offset.
 * - `unusable`: the object was closed, or an earlier failure left it unfit for writing.
 * - `invalid-argument`: the caller passed something the storage cannot take.
 */
export type StoreErrorKind =
  | 'io'
  | 'corrupt'
  | 'locked'
  | 'offset-out-of-range'
  | 'unusable'
  | 'invalid-argument';

export class StoreError extends Error {
  override readonly name = 'StoreError';
  readonly kind: StoreErrorKind;
  /** The file or directory concerned. */
  readonly path: string | undefined;
  /** Byte position in `path` (corruption). */
  readonly position: number | undefined;
  /** The system error code (`ENOSPC`, `EACCES`, `EROFS`…) of an `io` error. */
  readonly errno: string | undefined;

  constructor(
    kind: StoreErrorKind,
    message: string,
    extra?: {
      readonly path?: string;
      readonly position?: number;
      readonly errno?: string;
      readonly cause?: unknown;
    },
  ) {
    super(message, extra?.cause === undefined ? undefined : { cause: extra.cause });
    this.kind = kind;
    this.path = extra?.path;
    this.position = extra?.position;
    this.errno = extra?.errno;
  }

  /**
   * The PostgreSQL SQLSTATE a client is answered with: disk_full (53100), io_error (58030),
   * data_corrupted (XX001), object_in_use (55006), internal_error (XX000) for the rest.
   */
  get sqlstate(): string {
    switch (this.kind) {
      case 'io':
        return this.errno === 'ENOSPC' ? '53100' : '58030';
      case 'unusable':
        return '58030';
      case 'corrupt':
        return 'XX001';
      case 'locked':
        return '55006';
      default:
        return 'XX000';
    }
  }
}

export function isStoreError(e: unknown): e is StoreError {
  return e instanceof StoreError;
}

const ERRNO_TEXT: Readonly<Record<string, string>> = {
  ENOSPC: 'no space left on device (disk full)',
  EDQUOT: 'disk quota exceeded',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EROFS: 'read-only file system',
  EIO: 'input/output error',
  ENOTDIR: 'a component of the path is not a directory',
  EISDIR: 'is a directory',
  ENOENT: 'no such file or directory',
  EEXIST: 'already exists',
  EMFILE: 'too many open files',
  EFBIG: 'file too large',
};

/** The system error code of a Node error, if any. */
export function errnoOf(e: unknown): string | undefined {
  const code = (e as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/**
 * An `io` StoreError for a failed system call: "durable log: cannot fsync /d/0000.log: no
 * space left on device (disk full) [ENOSPC]". An error that already is a StoreError passes through.
 */
export function ioError(subject: string, action: string, path: string, cause: unknown): StoreError {
  if (cause instanceof StoreError) return cause;
  const errno = errnoOf(cause);
  const text =
    errno === undefined ? String((cause as Error)?.message ?? cause) : (ERRNO_TEXT[errno] ?? errno);
  const suffix = errno === undefined || ERRNO_TEXT[errno] === undefined ? '' : ` [${errno}]`;
  return new StoreError('io', `${subject}: cannot ${action} ${path}: ${text}${suffix}`, {
    path,
    errno,
    cause,
  });
}
