/**
 * The real `tidewatch start` serving a finished deterministic stream over its PostgreSQL
 * endpoint, and the answers the stream must give, computed in process (test/cli/
 * deterministic-run.ts), for tests that drive the endpoint with real client libraries.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generatorClock } from '../../src/cli/generator-flags.ts';
import {
  type Expected,
  exactJson,
  exactRows,
  expectedRun,
  type StreamSpec,
  startArgs,
} from '../cli/deterministic-run.ts';
import { type CliResult, collect, spawnCli, waitForOutput } from '../helpers/cli.ts';

export interface EndpointStream {
  readonly events: number;
  /** Events per second; `max` generates unpaced, spaced in event time at the generator's default rate. */
  readonly rate: number | 'max';
  readonly seed: number;
}

/**
 * 40,000 events unpaced from 2024-01-25T12:00:00Z: about two seconds of wall time, and event
 * times over 12:00:00–12:02:06, so three one-minute windows (the last one partial).
 */
export const STREAM: EndpointStream = { events: 40_000, rate: 'max', seed: 7 };

/** The five materialized views of the reference pipeline. */
export const REFERENCE_VIEWS = [
  'referrer_activity_summary',
  'security_level_analysis_summary',
  'status_code_analysis_summary',
  'top_user_actions',
  'website_user_metrics',
] as const;

/** What the helpers read of `/api/status`. */
interface Status {
  readonly epoch: number;
  readonly committed_epoch: number | null;
  readonly sources: { name: string; rows: number }[];
}

export interface Endpoint {
  readonly pgPort: number;
  readonly httpUrl: string;
  readonly dataDir: string;
  /** Column names of each reference view, as the engine reports them (`/api/views`). */
  readonly columns: Readonly<Record<string, readonly string[]>>;
  /** Stops tidewatch with SIGINT, asserts it exited with 0 and removes the data directory; idempotent. */
  stop(): Promise<void>;
}

/** What the stream must give. */
export interface KnownAnswers {
  /** Every materialized view's rows as an uninterrupted run holds them (timestamps in µs). */
  readonly views: Expected['views'];
  /** Every materialized view's columns and their types. */
  readonly columns: Expected['columns'];
  /** Each generated event's time (µs since 1970) and IP address, in time order. */
  readonly events: readonly { readonly at: number; readonly ip: string }[];
}

/** The `tidewatch start` arguments of `stream` and the spec of the same records for `expectedRun`. */
function specOf(stream: EndpointStream, dataDir: string): { args: string[]; spec: StreamSpec } {
  // `max` is unpaced; the records are those of the generator at its default simulated rate.
  const probe = startArgs({ ...stream, rate: 1 }, dataDir);
  const start = probe[probe.indexOf('--generator-start') + 1] as string;
  const rate = generatorClock(String(stream.rate), start, '1').traffic.rate;
  const spec = { events: stream.events, rate, seed: stream.seed };
  const args = startArgs(spec, dataDir);
  args[args.indexOf('--generator-rate') + 1] = String(stream.rate);
  return { args, spec };
}

export async function knownAnswers(stream: EndpointStream = STREAM): Promise<KnownAnswers> {
  const expected = await expectedRun(specOf(stream, '').spec);
  // A raw line is `µs|ip|url|status|user agent`; the first two fields never hold a '|'.
  const events = expected.raw
    .map((line) => {
      const [at, ip] = line.split('|');
      return { at: Number(at), ip: ip as string };
    })
    .sort((a, b) => a.at - b.at);
  return { views: expected.views, columns: expected.columns, events };
}

async function json(url: string): Promise<unknown> {
  return (await fetch(url)).json();
}

/**
 * Starts `tidewatch start` on a new data directory with `stream` and waits until every event
 * is in and one more epoch has committed, so every query sees the whole stream. With `known`,
 * first checks that the engine's views hold the known answers (a mismatch there is no fault
 * of the endpoint).
 */
export async function startEndpoint(
  stream: EndpointStream = STREAM,
  known?: KnownAnswers,
  extraArgs: readonly string[] = [],
): Promise<Endpoint> {
  const dataDir = mkdtempSync(join(tmpdir(), 'tw-endpoint-'));
  const child = spawnCli([...specOf(stream, dataDir).args, ...extraArgs]);
  const done = collect(child, 180_000);
  let stopped: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopped ??= (async () => {
      child.kill('SIGINT');
      const result = await done;
      rmSync(dataDir, { recursive: true, force: true });
      assert.equal(result.code, 0, `tidewatch exited with ${result.code}: ${result.stderr}`);
    })();
    return stopped;
  };
  try {
    const banner = await waitForOutput(child, /Press Ctrl-C to stop/, 30_000);
    const httpUrl = /HTTP API +(http:\/\/\S+)/.exec(banner)?.[1];
    const pgPort = /PostgreSQL +postgresql:\/\/root@127\.0\.0\.1:(\d+)\/dev/.exec(banner)?.[1];
    assert.ok(httpUrl !== undefined && pgPort !== undefined, `no endpoints in the banner: ${banner}`);
    // Wait until every event is in, then until the epoch after is committed (queries read it).
    const deadline = Date.now() + 60_000;
    let epoch = Number.POSITIVE_INFINITY;
    for (;;) {
      const status = (await json(`${httpUrl}/api/status`)) as Status;
      const logs = status.sources.find((s) => s.name === 'website_logs_source');
      if (logs?.rows === stream.events && epoch === Number.POSITIVE_INFINITY) epoch = status.epoch;
      if ((status.committed_epoch ?? 0) > epoch) break;
      if (Date.now() > deadline)
        throw new Error(`the stream did not finish within 60 s: ${JSON.stringify(status)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    const columns: Record<string, readonly string[]> = {};
    for (const name of REFERENCE_VIEWS) {
      const view = (await exactJson(`${httpUrl}/api/views?name=${name}`)) as {
        columns: { name: string; type: string }[];
        rows: unknown[][];
      };
      columns[name] = view.columns.map((c) => c.name);
      if (known !== undefined)
        assert.deepEqual(
          view.rows,
          exactRows(known.views[name] ?? [], known.columns[name] ?? []),
          `the engine's ${name} holds the known answer`,
        );
    }
    return { pgPort: Number(pgPort), httpUrl, dataDir, columns, stop };
  } catch (e) {
    await stop().catch(() => undefined);
    throw e;
  }
}

/** µs since 1970 of a timestamp as PostgreSQL prints it (`2024-01-25 12:01:00[.123]`) or ISO 8601, read as UTC. */
export function micros(text: string): number {
  const m = /^(\d{4}-\d\d-\d\d)[T ](\d\d:\d\d:\d\d)(?:\.(\d{1,6}))?(Z|[+-]\d\d(?::?\d\d)?)?$/.exec(text);
  if (m === null) throw new Error(`not a timestamp: ${text}`);
  const zone = m[4] === undefined || m[4] === 'Z' ? 'Z' : m[4].length === 3 ? `${m[4]}:00` : m[4];
  const ms = Date.parse(`${m[1]}T${m[2]}${zone}`);
  return ms * 1000 + Number((m[3] ?? '').padEnd(6, '0'));
}

/** ISO 8601 (UTC, `Z`) of µs since 1970, for SQL literals and messages. */
export function iso(us: number): string {
  return new Date(us / 1000).toISOString();
}

/** The number of events per minute (epoch seconds of the minute) with `from <= time <= to` (µs), by minute. */
export function perMinute(
  known: KnownAnswers,
  from = Number.NEGATIVE_INFINITY,
  to = Number.POSITIVE_INFINITY,
): [number, number][] {
  const counts = new Map<number, number>();
  for (const { at } of known.events) {
    if (at < from || at > to) continue;
    const minute = Math.floor(at / 60_000_000) * 60;
    counts.set(minute, (counts.get(minute) ?? 0) + 1);
  }
  return [...counts].sort((a, b) => a[0] - b[0]);
}

/** The IP address with the most events (the first such in sort order), and its count. */
export function busiestIp(known: KnownAnswers): { ip: string; count: number } {
  const counts = new Map<string, number>();
  for (const { ip } of known.events) counts.set(ip, (counts.get(ip) ?? 0) + 1);
  let best = { ip: '', count: 0 };
  for (const [ip, count] of [...counts].sort((a, b) => (a[0] < b[0] ? -1 : 1)))
    if (count > best.count) best = { ip, count };
  return best;
}

/** A running `tidewatch start` with no pipeline and no generator, fed through its endpoint. */
export interface Running {
  readonly port: number;
  stop(): Promise<CliResult>;
  /** Kills the process with `signal` (SIGKILL: no shutdown at all) and waits for its end. */
  kill(signal: NodeJS.Signals): Promise<CliResult>;
}

/**
 * Starts `tidewatch start --no-generator --pipeline none` on `dataDir`, ports picked freely;
 * with `pipeline`, that SQL file is applied at start instead.
 */
export async function startEmpty(dataDir: string, pipeline = 'none'): Promise<Running> {
  const child = spawnCli([
    'start',
    '--no-generator',
    '--pipeline',
    pipeline,
    '--http-port',
    '0',
    '--pg-port',
    '0',
    '--data-dir',
    dataDir,
  ]);
  const done = collect(child, 120_000);
  const banner = await waitForOutput(child, /Press Ctrl-C to stop/);
  const port = Number(/postgresql:\/\/root@127\.0\.0\.1:(\d+)\/dev/.exec(banner)?.[1]);
  assert.ok(port > 0, banner);
  return {
    port,
    stop: async () => {
      child.kill('SIGINT');
      return done;
    },
    kill: async (signal) => {
      child.kill(signal);
      return done;
    },
  };
}
