/**
 * What a query's result rows hold in the heap, roughly — as JavaScript keeps them, and once
 * more as the wire protocol writes them out — so that a result past the query memory limit
 * fails before it is gathered whole.
 */
import type { Value } from '../../sql/types.ts';

/** A row's array: its header, its elements' store and a slot per value. */
const ROW_BYTES = 48;
const SLOT_BYTES = 8;
/** A boxed value's header (a number that is no small integer, a bigint, a string, an object). */
const BOXED_BYTES = 16;
/** The rows, and their messages on the wire, written from them before they go out. */
const COPIES = 2;

function valueBytes(value: Value): number {
  if (value === null || typeof value === 'boolean') return 0;
  if (typeof value === 'string') return BOXED_BYTES + value.length;
  if (typeof value !== 'object') return BOXED_BYTES;
  if (value instanceof Uint8Array) return BOXED_BYTES + value.byteLength;
  let n = ROW_BYTES;
  if (Array.isArray(value)) for (const v of value as readonly Value[]) n += SLOT_BYTES + valueBytes(v);
  else for (const [k, v] of Object.entries(value)) n += SLOT_BYTES + k.length + valueBytes(v as Value);
  return n;
}

/** The bytes a result row takes, roughly, until its message is sent. */
export function rowBytes(row: readonly Value[]): number {
  let n = ROW_BYTES;
  for (const v of row) n += SLOT_BYTES + valueBytes(v);
  return COPIES * n;
}
