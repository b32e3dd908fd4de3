/**
 * `FORMAT PLAIN ENCODE JSON`: one JSON object per unit of input, read as RisingWave reads it.
 *
 * A field matches the column of its name; failing an exact match, the first field whose name
 * equals the column's ignoring ASCII case (RisingWave's `ignoring_keycase`). A missing field and
 * JSON null are NULL, fields no column names are ignored, and each value is typed for its column
 * (json-values.ts). Invalid UTF-8, invalid JSON, a top-level value that is not an object and a
 * value that does not fit its column are errors; a record is a row or an error, never half of one.
 * (RisingWave, given a value that does not fit, logs it and makes the column NULL; tidewatch
 * gives the record to the caller's dead letters instead, with the reason.)
 *
 * `JSON.parse` reads the record, and a reader generated for the column list takes the columns
 * out of the object (one property load per column at a fixed name, as the engine's
 * `objectReader`): the reference record decodes at about 0.8× the rate of a bare `JSON.parse`
 * plus a read of each field (bench/decode.bench.ts).
 *
 * Options (after `ENCODE JSON`): `timestamptz.handling.mode` = `guess_number_unit` (the
 * default), `milli`, `micro`, `utc_string` or `utc_without_suffix`, as in RisingWave.
 */
import { SqlError, SqlState } from '../../sql/errors.ts';
import {
  type Converter,
  JsonFieldError,
  JsonNumber,
  jsonConverter,
  NEED_SOURCE,
  type TimestamptzMode,
} from './json-values.ts';
import {
  type Decoded,
  excerpt,
  inputText,
  type RecordDecoder,
  type Row,
  type SourceColumn,
} from './record-decoder.ts';

/** The largest record read: far above any Kafka message's default limit (1 MB). */
export const JSON_MAX_BYTES = 16 * 1024 * 1024;

const MODES: readonly TimestamptzMode[] = [
  'guess_number_unit',
  'milli',
  'micro',
  'utc_string',
  'utc_without_suffix',
];

type Reader = (o: Readonly<Record<string, unknown>>) => Row;

/** Options of `ENCODE JSON (…)`; SqlError 22023 for an unknown option or a bad value. */
function readOptions(options: ReadonlyMap<string, string>): TimestamptzMode {
  let mode: TimestamptzMode = 'guess_number_unit';
  for (const [key, value] of options) {
    if (key === 'timestamptz.handling.mode') {
      const m = MODES.find((x) => x === value.toLowerCase());
      if (m === undefined)
        throw new SqlError(
          SqlState.invalidParameterValue,
          `unrecognized timestamptz.handling.mode value "${value}" (expected ${MODES.join(', ')})`,
        );
      mode = m;
    } else if (key.startsWith('schema.')) {
      throw new SqlError(
        SqlState.featureNotSupported,
        `ENCODE JSON option "${key}" is not supported: declare the source's columns instead`,
      );
    } else {
      throw new SqlError(
        SqlState.invalidParameterValue,
        `unknown ENCODE JSON option "${key}" (known: timestamptz.handling.mode)`,
      );
    }
  }
  return mode;
}

/** ASCII-only case-insensitive equality (RisingWave's `eq_ignore_ascii_case`). */
function equalIgnoringAsciiCase(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    let x = a.charCodeAt(i);
    let y = b.charCodeAt(i);
    if (x === y) continue;
    if (x >= 0x41 && x <= 0x5a) x += 0x20;
    if (y >= 0x41 && y <= 0x5a) y += 0x20;
    if (x !== y) return false;
  }
  return true;
}

/**
 * The reader of a column list: `o => [conv0(o["a"]), …]` with each column's converter bound to its
 * own variable, so every call site sees one function. A field missing under its exact name is
 * looked up ignoring case. Names enter the code only as JSON string literals.
 */
function compileReader(names: readonly string[], converters: readonly Converter[]): Reader {
  const missing = (o: Readonly<Record<string, unknown>>, k: number): unknown => {
    const name = names[k] as string;
    for (const key in o) if (equalIgnoringAsciiCase(key, name)) return o[key];
    return null;
  };
  const lines = names.map((n, k) => {
    const key = JSON.stringify(n);
    // "constructor", "toString"…: only the record's own property, not Object.prototype's.
    const load = n in Object.prototype ? `(Object.hasOwn(o, ${key}) ? o[${key}] : undefined)` : `o[${key}]`;
    return `let v${k} = ${load}; if (v${k} === undefined) v${k} = missing(o, ${k}); if (v${k} !== null) v${k} = c${k}(v${k});`;
  });
  const params = converters.map((_, k) => `c${k}`);
  const body = `return function read(o) {\n${lines.join('\n')}\nreturn [${names.map((_, k) => `v${k}`).join(', ')}];\n};`;
  return new Function('missing', ...params, body)(missing, ...converters) as Reader;
}

/** `JSON.parse` reviver keeping numbers as written (the slow path, see NEED_SOURCE). */
function keepNumberText(this: unknown, _key: string, value: unknown, context?: { source?: string }): unknown {
  return typeof value === 'number' && context?.source !== undefined ? new JsonNumber(context.source) : value;
}

function kindOfTop(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  return typeof v === 'string' ? 'a string' : typeof v === 'number' ? 'a number' : 'a boolean';
}

function invalidJson(e: unknown): Decoded {
  const message = e instanceof Error ? e.message : String(e);
  return { error: `invalid JSON: ${excerpt(message, 120)}` };
}

export class JsonDecoder implements RecordDecoder {
  readonly #read: Reader;

  constructor(columns: readonly SourceColumn[], options: ReadonlyMap<string, string>) {
    const mode = readOptions(options);
    this.#read = compileReader(
      columns.map((c) => c.name),
      columns.map((c) => jsonConverter(c.name, c.type, mode)),
    );
  }

  decode(input: Uint8Array | string): Decoded {
    const text = inputText(input, JSON_MAX_BYTES);
    if (typeof text !== 'string') return text;
    let o: unknown;
    try {
      o = JSON.parse(text);
    } catch (e) {
      return invalidJson(e);
    }
    if (typeof o !== 'object' || o === null || Array.isArray(o))
      return { error: `expected a JSON object, got ${kindOfTop(o)}` };
    try {
      return { row: this.#read(o as Record<string, unknown>) };
    } catch (e) {
      if (e === NEED_SOURCE) return this.#exact(text);
      return { error: reason(e) };
    }
  }

  /** The record read again with its numbers as written, for a column whose digits matter. */
  #exact(text: string): Decoded {
    try {
      return { row: this.#read(JSON.parse(text, keepNumberText) as Record<string, unknown>) };
    } catch (e) {
      return { error: reason(e) };
    }
  }
}

function reason(e: unknown): string {
  if (e instanceof JsonFieldError) return e.message;
  return `cannot read the record: ${e instanceof Error ? e.message : String(e)}`;
}
