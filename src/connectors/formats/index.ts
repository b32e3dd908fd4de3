/**
 * Record decoders of ingestion: what a source's `FORMAT PLAIN ENCODE <encode> (options)` and its
 * columns make of each unit of input (a line without its newline, or one Kafka message).
 *
 * Pure: no I/O, no clock. A source feeds units to `decode` and gets a typed row or a reason
 * (dead letters are the caller's).
 */
import { SqlError, SqlState } from '../../sql/errors.ts';
import type { FormatSpec } from '../../sql/statement.ts';
import { AccessLogDecoder } from './access-log.ts';
import { JsonDecoder } from './json.ts';
import type { RecordDecoder, SourceColumn } from './record-decoder.ts';

export type { Decoded, RecordDecoder, Row, SourceColumn } from './record-decoder.ts';

/** The encodes tidewatch reads, as `ENCODE` names them. */
export const ENCODES = ['JSON', 'ACCESS_LOG'] as const;

/**
 * The decoder of `ENCODE <encode> (options)` for the source's columns: SqlError 0A000 for an encode
 * tidewatch does not read, 22023 naming an unknown or bad option, 42804 for a column whose type
 * cannot hold what the encode gives it.
 */
export function decoderFor(
  encode: string,
  options: ReadonlyMap<string, string>,
  columns: readonly SourceColumn[],
): RecordDecoder {
  switch (encode.toUpperCase()) {
    case 'JSON':
      return new JsonDecoder(columns, options);
    case 'ACCESS_LOG':
      return new AccessLogDecoder(columns, options);
    default:
      throw new SqlError(
        SqlState.featureNotSupported,
        `ENCODE ${encode.toUpperCase()} is not supported (tidewatch reads ${ENCODES.join(' and ')})`,
      );
  }
}

/** `decoderFor` of a statement's `FORMAT … ENCODE …` clause: FORMAT PLAIN only (0A000 for others). */
export function decoderForFormat(format: FormatSpec, columns: readonly SourceColumn[]): RecordDecoder {
  if (format.format.toUpperCase() !== 'PLAIN')
    throw new SqlError(
      SqlState.featureNotSupported,
      `FORMAT ${format.format.toUpperCase()} is not supported (tidewatch reads FORMAT PLAIN)`,
    );
  return decoderFor(format.encode, format.options, columns);
}
