/**
 * `tidewatch start --input PATH|GLOB|- --format FORMAT`: logs into a source without writing
 * SQL. Files (a path, or a glob in its file name) are followed like `tail -F` by a file source
 * that replaces the source's own connector; `-` reads stdin line by line into the source's
 * durable log. FORMAT is `json`, or an access-log format: `combined`, `common`, or any nginx
 * `log_format` or Apache `LogFormat` string as the server has it.
 */

import { basename, dirname, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { FileSource } from '../connectors/file-source.ts';
import { decoderFor, type RecordDecoder } from '../connectors/formats/index.ts';
import type { LogInput } from '../connectors/log-input.ts';
import type { SourceSpec } from '../engine/engine.ts';

/** The decoder `--format` names, for the source's columns (SqlError for a bad format string). */
export function inputDecoder(format: string, source: SourceSpec): RecordDecoder {
  if (format.toLowerCase() === 'json') return decoderFor('JSON', new Map(), source.columns);
  return decoderFor('ACCESS_LOG', new Map([['log_format', format]]), source.columns);
}

/** The files `--input` names: a path, or a glob in its last part, relative to `cwd`. */
export function fileInput(path: string, cwd: string, decoder: RecordDecoder): FileSource {
  const full = resolve(cwd, path);
  return new FileSource({
    root: dirname(full),
    pattern: basename(full),
    decode: (line) => decoder.decode(line),
  });
}

/** Lines a stdin batch gathers before it is appended (or fewer, after a pause). */
const STDIN_BATCH = 1000;

/**
 * Appends stdin's lines to the source's log, in batches, waiting while the source lags; resolves
 * with the number of lines at the end of stdin (or when `signal` aborts).
 */
export async function pumpStdin(
  stdin: NodeJS.ReadableStream,
  input: LogInput,
  signal: AbortSignal,
): Promise<number> {
  const lines = createInterface({ input: stdin, crlfDelay: Number.POSITIVE_INFINITY });
  // A stop ends the reading at once: an open pipe (`tail -F … |`) would otherwise keep tidewatch up.
  const stop = () => {
    lines.close();
    (stdin as Partial<NodeJS.ReadStream>).destroy?.();
  };
  signal.addEventListener('abort', stop, { once: true });
  let batch: string[] = [];
  let total = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let waiting: Promise<void> | undefined;
  const flush = async () => {
    clearTimeout(timer);
    timer = undefined;
    if (batch.length === 0) return;
    const units = batch;
    batch = [];
    total += units.length;
    waiting = input.append(units);
    await waiting;
  };
  try {
    for await (const line of lines) {
      if (signal.aborted) break;
      if (line === '') continue;
      batch.push(line);
      if (batch.length >= STDIN_BATCH) await flush();
      // A quiet pipe (`tail -F` between requests): what came is appended within 100 ms.
      else timer ??= setTimeout(() => void flush(), 100);
    }
    await flush();
  } finally {
    signal.removeEventListener('abort', stop);
    clearTimeout(timer);
    lines.close();
  }
  return total;
}
