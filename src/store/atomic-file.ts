/**
 * A small file replaced whole or not at all: written to a temporary file beside it, fsynced,
 * renamed over it, and the directory fsynced, so that a crash leaves the old or the new text.
 */
import { closeSync, fsyncSync, openSync, renameSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';

/** Replaces `file` with `text`; throws the system's error (the caller names what failed). */
export function writeFileAtomically(file: string, text: string): void {
  const tmp = `${file}.tmp`;
  const fd = openSync(tmp, 'w');
  try {
    // A write may take only part (a full disk): what it left out is written, or the error thrown.
    const bytes = Buffer.from(text);
    for (let at = 0; at < bytes.length; ) at += writeSync(fd, bytes, at);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, file);
  const dir = openSync(dirname(file), 'r');
  try {
    fsyncSync(dir);
  } finally {
    closeSync(dir);
  }
}
