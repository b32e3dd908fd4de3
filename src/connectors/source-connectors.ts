/**
 * What a `CREATE SOURCE` says about where its records come from, made into a connector:
 *
 * * `connector = 'kafka'` — a topic (`kafka/`), RisingWave's options;
 * * `connector = 'posix_fs'` — files followed like `tail -F`: `posix_fs.root` and `match_pattern`
 *   (a glob on file names), as RisingWave names them;
 * * no connector — the source takes what tidewatch is given: HTTP posts, stdin, the generator
 *   (through its durable log).
 *
 * Each unit (message, line) is decoded by the source's `FORMAT PLAIN ENCODE …` (formats/; JSON
 * when the source says none). `checkSource` is what `CREATE SOURCE` runs: an unknown
 * connector is 0A000, a missing, unknown or bad option 22023 naming it — never a source that
 * sits at 0 rows.
 */
import { resolve } from 'node:path';
import type { SourceConnector } from '../runtime/source.ts';
import { SqlError, SqlState } from '../sql/errors.ts';
import type { FormatSpec, Options } from '../sql/statement.ts';
import type { SqlType } from '../sql/types.ts';
import { FileSource } from './file-source.ts';
import { decoderForFormat, type RecordDecoder } from './formats/index.ts';
import { KafkaConfigError } from './kafka/client-options.ts';
import { KafkaSource } from './kafka/kafka-source.ts';
import { readerOptionsFromWith } from './kafka/source-options.ts';

/** A source as its CREATE SOURCE defines it. */
export interface SourceDefinition {
  readonly name: string;
  /** `WITH (…)` options (lower-case names). */
  readonly options: Options;
  readonly format: FormatSpec | undefined;
  readonly columns: readonly { readonly name: string; readonly type: SqlType }[];
}

/** The connectors tidewatch runs, as `connector = '…'` names them. */
export const CONNECTORS = ['kafka', 'posix_fs'] as const;

const FILE_OPTIONS = new Set(['connector', 'posix_fs.root', 'match_pattern']);

const JSON_FORMAT: FormatSpec = { format: 'PLAIN', encode: 'JSON', options: new Map() };

function invalid(message: string): SqlError {
  return new SqlError(SqlState.invalidParameterValue, message);
}

/** The decoder of a source's units: its FORMAT's, JSON without one. */
export function sourceDecoder(def: SourceDefinition): RecordDecoder {
  return decoderForFormat(def.format ?? JSON_FORMAT, def.columns);
}

/** The connector a source names, lower-case; undefined without one. */
export function connectorName(def: SourceDefinition): string | undefined {
  return def.options.get('connector')?.toLowerCase();
}

/**
 * The connector of a source, its options checked (SqlError as `checkSource`); undefined for a
 * source without one. `cwd` resolves a relative `posix_fs.root`. Opening it contacts nothing.
 */
export function sourceConnector(
  def: SourceDefinition,
  cwd = process.cwd(),
): SourceConnector<unknown> | undefined {
  const name = connectorName(def);
  if (name === undefined) {
    if (def.options.size > 0)
      throw invalid(
        `options ${[...def.options.keys()].join(', ')} need a connector = '…' (${CONNECTORS.join(', ')})`,
      );
    return undefined;
  }
  const decoder = sourceDecoder(def);
  switch (name) {
    case 'kafka': {
      let options: ReturnType<typeof readerOptionsFromWith>;
      try {
        options = readerOptionsFromWith(Object.fromEntries(def.options));
      } catch (e) {
        if (e instanceof KafkaConfigError) throw invalid(e.message);
        throw e;
      }
      return new KafkaSource(options, decoder) as SourceConnector<unknown>;
    }
    case 'posix_fs': {
      const unknown = [...def.options.keys()].filter((k) => !FILE_OPTIONS.has(k));
      if (unknown.length > 0) throw invalid(`posix_fs source options ${unknown.join(', ')} not supported`);
      const root = def.options.get('posix_fs.root');
      if (root === undefined || root === '')
        throw invalid("posix_fs source needs posix_fs.root = 'directory'");
      const pattern = def.options.get('match_pattern') ?? '*';
      return new FileSource({
        root: resolve(cwd, root),
        pattern,
        decode: (line) => decoder.decode(line),
      }) as SourceConnector<unknown>;
    }
    default:
      throw new SqlError(
        SqlState.featureNotSupported,
        `connector '${name}' is not supported (tidewatch runs ${CONNECTORS.join(', ')}, or none: HTTP, stdin)`,
      );
  }
}

/** What CREATE SOURCE checks: its connector, its options and its format, as SqlErrors. */
export function checkSource(def: SourceDefinition): void {
  if (connectorName(def) === undefined) sourceDecoder(def);
  sourceConnector(def);
}
