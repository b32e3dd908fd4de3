/**
 * What a query's result rows hold in the heap, roughly — as JavaScript keeps them and as the
 * wire protocol writes them again — so that a result past the query memory limit fails before
 * it is gathered whole.
 */
import type { Value } from '../../sql/types.ts';

/** What a value costs beside its contents: a slot of its row and a boxed object's header. */
const VALUE_OVERHEAD = 16;

/** The bytes one value holds, roughly (text counted a byte a character, as it mostly goes out). */
export function valueBytes(value: Value): number {
  if (value === null || typeof value !== 'object') {
    return typeof value === 'string' ? VALUE_OVERHEAD + value.length : VALUE_OVERHEAD;
  }
  if (value instanceof Uint8Array) return VALUE_OVERHEAD + value.byteLength;
  if (Array.isArray(value)) {
    let n = VALUE_OVERHEAD;
    for (const v of value as readonly Value[]) n += valueBytes(v);
    return n;
  }
  let n = VALUE_OVERHEAD;
  for (const [k, v] of Object.entries(value)) n += k.length + valueBytes(v as Value);
  return n;
}

/** The bytes a row holds, roughly. */
export function rowBytes(row: readonly Value[]): number {
  let n = VALUE_OVERHEAD;
  for (const v of row) n += valueBytes(v);
  return n;
}
