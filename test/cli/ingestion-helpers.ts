/**
 * What the ingestion tests share: `/api/status` as they read it, waiting for a condition (never
 * sleeping for one), the reference pipeline with its source rewritten, and combined log lines
 * whose content says which line they are.
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** A source's ingestion as `/api/status` tells it (`sources[i].ingestion[]`). */
export interface FedStatus {
  readonly kind: string;
  readonly state: string;
  readonly records: number;
  readonly rejected: number;
  readonly lag?: number;
  readonly error?: string;
  readonly detail?: {
    readonly connection?: string;
    readonly partitions?: readonly { partition: number; position: number | null; lag: number | null }[];
  };
}

export interface SourceStatus {
  readonly name: string;
  /** Rows admitted, committed ones restored at a start included. */
  readonly rows: number;
  readonly lateRows: number;
  readonly ingestion?: readonly FedStatus[];
}

export interface Status {
  readonly epoch: number;
  readonly committed_epoch: number | null;
  readonly sources: readonly SourceStatus[];
  readonly views: readonly { name: string; rows: number; errors: number; lastError?: string }[];
}

export async function getStatus(httpUrl: string, token?: string): Promise<Status> {
  const response = await fetch(`${httpUrl}/api/status`, {
    headers: token === undefined ? {} : { authorization: `Bearer ${token}` },
  });
  assert.equal(response.status, 200, `GET /api/status: ${response.status}`);
  return (await response.json()) as Status;
}

export function sourceOf(status: Status, name: string): SourceStatus {
  const source = status.sources.find((s) => s.name === name);
  assert.ok(source !== undefined, `no source ${name} in ${JSON.stringify(status.sources)}`);
  return source;
}

/** The source's ingestion of `kind` (`kafka`, `file`, `log`), if it has one. */
export function fedBy(source: SourceStatus, kind: string): FedStatus | undefined {
  return source.ingestion?.find((f) => f.kind === kind);
}

/**
 * Polls `probe` until it gives something other than undefined; fails after `timeoutMs` with
 * `what` and the last value `describe` gave (generous: the machine may be busy).
 */
export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  options: { readonly timeoutMs?: number; readonly everyMs?: number; readonly describe?: () => string } = {},
): Promise<T> {
  const deadline = Date.now() + (options.timeoutMs ?? 60_000);
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${what}${options.describe ? `: ${options.describe()}` : ''}`);
    await new Promise((resolve) => setTimeout(resolve, options.everyMs ?? 50));
  }
}

/**
 * Resolves once an epoch ended after this call is committed: whatever was in the engine when
 * it was called is then in the store, where queries read it.
 */
export async function committedNow(httpUrl: string, token?: string): Promise<void> {
  const { epoch } = await getStatus(httpUrl, token);
  await waitFor(`an epoch after ${epoch} to commit`, async () => {
    const s = await getStatus(httpUrl, token);
    return (s.committed_epoch ?? -1) > epoch ? true : undefined;
  });
}

const REFERENCE = readFileSync(new URL('../../pipelines/website-security.sql', import.meta.url), 'utf8');
const REFERENCE_WITH = /\) WITH \(\n {4}connector = 'kafka',[^)]*\) FORMAT PLAIN ENCODE JSON;/;

/**
 * The reference pipeline with its source's `WITH (…) FORMAT …` replaced by `clause` (e.g.
 * `FORMAT PLAIN ENCODE JSON` alone: a source without connector), written to `dir`.
 */
export function referencePipeline(dir: string, clause: string, name = 'pipeline.sql'): string {
  assert.match(REFERENCE, REFERENCE_WITH, 'the reference source is read from a Kafka topic');
  const path = join(dir, name);
  writeFileSync(path, REFERENCE.replace(REFERENCE_WITH, `) ${clause};`));
  return path;
}

/** The reference source's Kafka options with the bootstrap server at `bootstrap`. */
export function kafkaClause(bootstrap: string, topic = 'website_logs'): string {
  return `WITH (
    connector = 'kafka',
    topic = '${topic}',
    properties.bootstrap.server = '${bootstrap}',
    scan.startup.mode = 'earliest'
) FORMAT PLAIN ENCODE JSON`;
}

/**
 * The combined log line number `n` (its URL `/${tag}/${n}`), at `second` seconds after
 * 2024-01-25T12:00:00Z, so that its content says which line it is.
 */
export function combinedLine(tag: string, n: number, second = n): string {
  const t = new Date(Date.UTC(2024, 0, 25, 12, 0, 0) + second * 1000);
  const pad = (v: number) => String(v).padStart(2, '0');
  const month = 'Jan';
  const time = `${pad(t.getUTCDate())}/${month}/${t.getUTCFullYear()}:${pad(t.getUTCHours())}:${pad(t.getUTCMinutes())}:${pad(t.getUTCSeconds())} +0000`;
  return `198.51.100.${n % 250} - - [${time}] "GET /${tag}/${n} HTTP/1.1" ${n % 7 === 0 ? 404 : 200} ${100 + n} "-" "test-agent/1.0"`;
}
