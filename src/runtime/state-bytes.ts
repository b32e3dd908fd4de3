/**
 * How operator states are kept in the store: serialized (node:v8), then deflated off the event
 * loop. Deflating at its fastest level shrinks an epoch's states about six times — rows repeat
 * the same strings (user agents, paths) across groups — and so the store's write-ahead log, and
 * the checkpoints DuckDB runs when that log grows, shrink with them.
 * States written before compression (plain v8 serialization) are read as they are.
 */
import { deserialize } from 'node:v8';
import { deflate, inflateSync } from 'node:zlib';
import type { OperatorStateWrite } from '../store/view-store.ts';

/** A zlib stream starts with 0x78 (deflate, 32 KiB window); v8's serialization with 0xFF. */
const ZLIB_FIRST_BYTE = 0x78;

/**
 * `bytes` deflated on libuv's thread pool, in one task. By default zlib deflates 16 KiB of
 * output a task, each next one started from the event loop: on the engine's thread, busy with
 * the next epoch, a state of megabytes waited a turn of it per 16 KiB (the store waited up to
 * 1.5 s for an epoch's states at `--generator-rate max`).
 */
export function packState(bytes: Uint8Array): Promise<Uint8Array> {
  const chunkSize = Math.max(MIN_CHUNK_BYTES, bytes.length + DEFLATE_OVERHEAD_BYTES);
  return new Promise((resolve, reject) =>
    deflate(bytes, { level: 1, chunkSize }, (e, packed) => (e === null ? resolve(packed) : reject(e))),
  );
}

/** zlib's default output chunk, and what deflating incompressible bytes may add to them. */
const MIN_CHUNK_BYTES = 16 * 1024;
const DEFLATE_OVERHEAD_BYTES = 1024;

/** The state `packState` (or, before it, plain serialization) kept. Throws on damaged bytes. */
export function unpackState(bytes: Uint8Array): unknown {
  return deserialize(bytes[0] === ZLIB_FIRST_BYTE ? inflateSync(bytes) : bytes);
}

/** `write` with each record's bytes packed (`packState`), all at once. */
export async function packOperatorStates(write: OperatorStateWrite): Promise<OperatorStateWrite> {
  const bytes = await Promise.all(write.records.map((r) => packState(r.bytes)));
  return { ...write, records: write.records.map((r, i) => ({ ...r, bytes: bytes[i] as Uint8Array })) };
}
