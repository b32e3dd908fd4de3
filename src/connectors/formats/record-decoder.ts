/**
 * What every record decoder of a source shares: its contract, the columns it fills, and how a
 * unit of input (a line without its newline, or one Kafka message) becomes text.
 *
 * A decoder never throws on bad input: each unit gives a typed row or a short reason that names
 * the field and what was expected. What to do with a reason (a dead letter, a counter) is the
 * caller's business.
 */
import type { SqlType, Value } from '../../sql/types.ts';

/** A source's row: one value per declared column, in the source's order, typed to the column. */
export type Row = readonly Value[];

/** What a decoder gives for one unit of input. */
export type Decoded = { readonly row: Row } | { readonly error: string };

export interface RecordDecoder {
  decode(input: Uint8Array | string): Decoded;
}

/** A column of the source, as `CREATE SOURCE` declares it. */
export interface SourceColumn {
  readonly name: string;
  readonly type: SqlType;
}

export function failure(error: string): Decoded {
  return { error };
}

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * The text of a unit of input, or a reason it has none: bytes that are not UTF-8 (the offset of
 * the first bad byte), a string with a lone surrogate, more than `maxBytes` bytes.
 */
export function inputText(input: Uint8Array | string, maxBytes: number): string | { readonly error: string } {
  if (typeof input === 'string') {
    // A UTF-16 unit is at most 3 UTF-8 bytes: count bytes only when it could matter.
    if (input.length > maxBytes || (input.length * 3 > maxBytes && Buffer.byteLength(input) > maxBytes))
      return tooLong(Buffer.byteLength(input), maxBytes);
    if (!input.isWellFormed()) return { error: `invalid text: a lone UTF-16 surrogate` };
    return input;
  }
  if (input.length > maxBytes) return tooLong(input.length, maxBytes);
  try {
    return utf8.decode(input);
  } catch {
    return { error: `invalid UTF-8 at byte ${invalidUtf8Offset(input)}` };
  }
}

function tooLong(bytes: number, maxBytes: number): { readonly error: string } {
  return { error: `record of ${bytes} bytes is longer than the limit of ${maxBytes}` };
}

/** Offset of the first byte that does not continue a valid UTF-8 sequence (the bytes' length if none). */
export function invalidUtf8Offset(bytes: Uint8Array): number {
  let i = 0;
  const n = bytes.length;
  while (i < n) {
    const b = bytes[i] as number;
    if (b < 0x80) {
      i++;
      continue;
    }
    let need: number;
    let min: number;
    if (b >= 0xc2 && b <= 0xdf) {
      need = 1;
      min = 0x80;
    } else if (b >= 0xe0 && b <= 0xef) {
      need = 2;
      min = 0x800;
    } else if (b >= 0xf0 && b <= 0xf4) {
      need = 3;
      min = 0x10000;
    } else return i;
    let cp = b & (0x3f >> need);
    for (let k = 1; k <= need; k++) {
      const c = bytes[i + k];
      if (c === undefined || (c & 0xc0) !== 0x80) return i;
      cp = (cp << 6) | (c & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return i;
    i += need + 1;
  }
  return n;
}

/** At most `max` characters of `text` for a message, `…` marking a cut. */
export function excerpt(text: string, max = 40): string {
  return text.length <= max ? text : `${text.slice(0, max)}…`;
}
