/** NDJSON outputs for records (a stream, a file, HTTP POSTs) and for attack labels (a file). */
import { createWriteStream } from 'node:fs';
import type { LabelOutput, RecordOutput } from './drive.ts';
import { LineWriter } from './line-writer.ts';
import { NdjsonEncoder } from './ndjson-encoder.ts';
import { type LogRecord, toJsonLine } from './record.ts';
import type { AttackLabel } from './scenarios.ts';

/** How a record is written as one line: its NDJSON (default) or an access-log line. */
export type LineOf = (record: LogRecord) => string;

function lineBytes(encoder: NdjsonEncoder, batch: readonly LogRecord[], lineOf: LineOf): Buffer {
  for (const record of batch) encoder.append(lineOf(record));
  return encoder.take();
}

/** Records to a stream the caller owns (stdout, a socket): close() flushes it but leaves it open. */
export function ndjsonStream(stream: NodeJS.WritableStream, lineOf: LineOf = toJsonLine): RecordOutput {
  const writer = new LineWriter(stream, false);
  const encoder = new NdjsonEncoder();
  return {
    write: (batch) => writer.write(lineBytes(encoder, batch, lineOf)),
    close: () => writer.close(),
  };
}

/** Records to a file, created or truncated now. */
export function ndjsonFile(path: string, lineOf: LineOf = toJsonLine): RecordOutput {
  const writer = new LineWriter(createWriteStream(path), true);
  const encoder = new NdjsonEncoder();
  return {
    write: (batch) => writer.write(lineBytes(encoder, batch, lineOf)),
    close: () => writer.close(),
  };
}

/** Attack labels to a file, one JSON object a line; the file is created now, so no attacks leave it empty. */
export function labelFile(path: string): LabelOutput {
  const writer = new LineWriter(createWriteStream(path), true);
  return {
    write: (labels: readonly AttackLabel[]) => {
      let text = '';
      for (const label of labels) text += `${JSON.stringify(label)}\n`;
      return writer.write(text);
    },
    close: () => writer.close(),
  };
}

export interface HttpOutputOptions {
  /** Records per POST (default 500). */
  batchSize?: number;
  headers?: Record<string, string>;
}

/** Records POSTed as NDJSON (`application/x-ndjson`) in batches, one request at a time, in order. */
export function ndjsonHttp(url: string, options: HttpOutputOptions = {}): RecordOutput {
  const target = parseHttpUrl(url);
  const batchSize = options.batchSize ?? 500;
  if (!(Number.isInteger(batchSize) && batchSize > 0)) {
    throw new Error(`HTTP batch size must be a positive integer, got ${batchSize}`);
  }
  const headers = { 'content-type': 'application/x-ndjson', ...options.headers };
  const encoder = new NdjsonEncoder();

  async function post(body: Uint8Array): Promise<void> {
    let response: Response;
    try {
      response = await fetch(target, { method: 'POST', headers, body });
    } catch (error) {
      throw new Error(`POST ${url} failed: ${describeFetchError(error)}`);
    }
    const reply = await response.text().catch(() => '');
    if (!response.ok) {
      const detail = reply.trim().slice(0, 200);
      throw new Error(
        `POST ${url} failed: HTTP ${response.status} ${response.statusText}${detail ? ` — ${detail}` : ''}`,
      );
    }
  }

  return {
    async write(batch) {
      for (const record of batch) {
        encoder.append(toJsonLine(record));
        if (encoder.count === batchSize) await post(encoder.take());
      }
    },
    async close() {
      if (encoder.count > 0) await post(encoder.take());
    },
  };
}

function parseHttpUrl(url: string): URL {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new Error(`not a URL: "${url}"`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new Error(`not an http(s) URL: "${url}"`);
  }
  return parsed;
}

/** fetch() reports "fetch failed"; the reason (ECONNREFUSED, a DNS failure, …) is in its cause. */
function describeFetchError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause;
  if (cause instanceof Error) {
    const code = (cause as NodeJS.ErrnoException).code;
    return code && !cause.message.includes(code) ? `${code} ${cause.message}` : cause.message;
  }
  return error.message;
}
