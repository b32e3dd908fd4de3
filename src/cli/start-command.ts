/** `tidewatch start`: its flags, and its implementation (start.ts) loaded once they are read. */

import { isIP } from 'node:net';
import type { Readable } from 'node:stream';
import { MAX_BARRIER_INTERVAL_MS, MIN_BARRIER_INTERVAL_MS } from '../runtime/system-parameters.ts';
import { DEFAULT_MAX_STATEMENT_BYTES } from '../serve/pgwire/server.ts';
import { parseTimeoutMs } from '../serve/session-settings.ts';
import { DEFAULT_LIMITS } from '../sql/limits.ts';
import { DEFAULT_SEGMENT_BYTES } from '../store/durable-log.ts';
import { STORE_MEMORY_BYTES } from '../store/view-store.ts';
import { type Command, defineCommand } from './command.ts';
import {
  parseBoolean,
  parseInteger,
  parseList,
  parseNonEmpty,
  parseNonNegativeNumber,
  parsePositiveNumber,
  parseRate,
  parseSize,
  parseSizeAtLeast,
  port,
  UsageError,
} from './flags.ts';
import { parseAttackItem, parseSeed, parseTime } from './generator-flags.ts';
import { DEFAULT_DASHBOARD, DEFAULT_PIPELINES } from './package-files.ts';

function parseStatementTimeout(text: string): string {
  try {
    parseTimeoutMs('statement_timeout', text);
  } catch (error) {
    throw new UsageError(`${(error as Error).message}: a number of milliseconds, or with a unit (5s, 5min)`);
  }
  return text.trim();
}

function parseHost(text: string): string {
  if (text === 'localhost' || isIP(text) !== 0) return text;
  if (/^[a-z0-9.-]+$/i.test(text)) return text;
  throw new Error(`"${text}" is not an IP address or host name`);
}

function parseFsync(text: string): string {
  if (text !== 'epoch' && text !== 'always' && text !== 'never')
    throw new Error(`"${text}" is not epoch, always or never`);
  return text;
}

function parseAuth(text: string): string {
  if (text !== 'scram-sha-256' && text !== 'md5') throw new Error(`"${text}" is not scram-sha-256 or md5`);
  return text;
}

export const startFlags = [
  {
    name: 'data-dir',
    arg: 'DIR',
    help: 'where tidewatch keeps its data',
    default: './tidewatch-data' as string,
    parse: parseNonEmpty,
  },
  {
    name: 'host',
    arg: 'ADDR',
    help: 'address every endpoint listens on; another than loopback needs --password',
    default: '127.0.0.1' as string,
    parse: parseHost,
  },
  {
    name: 'pg-port',
    arg: 'N',
    help: 'port of the PostgreSQL endpoint',
    default: 4566 as number,
    parse: port,
  },
  {
    name: 'http-port',
    arg: 'N',
    help: 'port of the HTTP API and dashboard',
    default: 8080 as number,
    parse: port,
  },
  {
    name: 'pg-auth',
    arg: 'METHOD',
    help: 'how the PostgreSQL endpoint checks --password: scram-sha-256, or md5 for old clients',
    default: 'scram-sha-256' as string,
    parse: parseAuth,
  },
  {
    name: 'barrier-interval-ms',
    arg: 'MS',
    help: "how often an epoch ends and is committed (RisingWave's barrier_interval_ms; ALTER SYSTEM SET changes it at run time and keeps it)",
    default: 0 as number,
    shownDefault: 'the last ALTER SYSTEM SET barrier_interval_ms, else 1000',
    parse: parseInteger(MIN_BARRIER_INTERVAL_MS, MAX_BARRIER_INTERVAL_MS),
  },
  {
    name: 'statement-timeout',
    arg: 'TIME',
    help: "the PostgreSQL endpoint's default statement_timeout: a query running longer is canceled (57014); a session may SET its own (0: none)",
    default: '5min' as string,
    parse: parseStatementTimeout,
  },
  {
    name: 'max-connections',
    arg: 'N',
    help: 'PostgreSQL clients connected at once; one more is refused (53300)',
    default: 100 as number,
    parse: parseInteger(1, 100_000),
  },
  {
    name: 'max-statement-size',
    arg: 'SIZE',
    help: 'longest SQL text a PostgreSQL client may send in one query, e.g. 1MiB (longer: 54000; bulk rows go by COPY)',
    default: DEFAULT_MAX_STATEMENT_BYTES as number,
    shownDefault: '1MiB',
    parse: parseSize,
  },
  {
    name: 'query-memory-limit',
    arg: 'SIZE',
    help: 'memory one ad-hoc query may use: parsing its text, DuckDB working on it, its result rows (beyond: 53200)',
    default: DEFAULT_LIMITS.queryMemoryBytes as number,
    shownDefault: '256MiB',
    parse: parseSizeAtLeast(16 * 2 ** 20, '16MiB'),
  },
  {
    name: 'store-memory-limit',
    arg: 'SIZE',
    help: "DuckDB's memory for the store's commits and its cache of tables and raw events, beside --query-memory-limit (what does not fit is read from the data directory again)",
    default: STORE_MEMORY_BYTES as number,
    shownDefault: '512MiB',
    parse: parseSizeAtLeast(32 * 2 ** 20, '32MiB'),
  },
  {
    name: 'max-text-size',
    arg: 'SIZE',
    help: 'longest text or array a function or operator builds (repeat, ||, string_agg, array_agg, jsonb…; beyond: 54000)',
    default: DEFAULT_LIMITS.maxTextBytes as number,
    shownDefault: '64MiB',
    parse: parseSizeAtLeast(1024, '1KiB'),
  },
  {
    name: 'tls-cert',
    arg: 'FILE',
    help: 'PEM certificate: the PostgreSQL endpoint then accepts TLS (with --tls-key)',
    default: '' as string,
    parse: parseNonEmpty,
  },
  {
    name: 'tls-key',
    arg: 'FILE',
    help: 'PEM private key of --tls-cert',
    default: '' as string,
    parse: parseNonEmpty,
  },
  {
    name: 'password',
    arg: 'SECRET',
    help: 'password (PostgreSQL) and bearer token (HTTP) clients must give',
    default: '' as string,
    parse: parseNonEmpty,
  },
  {
    name: 'grafana-password',
    arg: 'SECRET',
    help: 'password of the read-only user "grafana" (Grafana\'s data source, see tidewatch grafana); prefer TIDEWATCH_GRAFANA_PASSWORD',
    default: '' as string,
    parse: parseNonEmpty,
  },
  {
    name: 'pipeline',
    arg: 'FILE…',
    help: 'SQL files applied at start; none for an empty engine',
    default: DEFAULT_PIPELINES,
    parse: parseList,
    repeatable: true,
  },
  {
    name: 'detections',
    help: 'apply pipelines/detections.sql, the threat detections, next to pipelines that define website_logs_source (--no-detections: off)',
    default: true as boolean,
    parse: parseBoolean,
  },
  {
    name: 'pipeline-upgrade',
    help: "bring the built-in pipelines' views of a data directory an older tidewatch made up to date (--no-pipeline-upgrade: keep them as they are)",
    default: true as boolean,
    parse: parseBoolean,
  },
  {
    name: 'dashboard',
    arg: 'FILE',
    help: 'the dashboard file (panels and their SQL) served at the HTTP port',
    default: DEFAULT_DASHBOARD as string,
    parse: parseNonEmpty,
  },
  {
    name: 'generator',
    help: 'feed the built-in traffic generator into the engine (--no-generator: off)',
    default: true,
    parse: parseBoolean,
  },
  {
    name: 'generator-source',
    arg: 'NAME',
    help: 'the source the generator feeds',
    default: 'website_logs_source' as string,
    parse: parseNonEmpty,
  },
  {
    name: 'generator-rate',
    arg: 'N|max',
    help: 'generator events per second',
    default: '200' as string,
    parse: parseRate,
  },
  {
    name: 'generator-start',
    arg: 'TIME',
    help: 'run the generator on simulated time from this instant (ISO 8601) instead of the clock',
    default: '' as string,
    parse: parseTime,
  },
  {
    name: 'generator-count',
    arg: 'N',
    help: 'stop generating after N events in all (counting earlier runs of a seeded generator)',
    default: 0 as number,
    parse: parseInteger(1, Number.MAX_SAFE_INTEGER),
  },
  {
    name: 'generator-seed',
    arg: 'N',
    help: 'generator seed (default: random)',
    default: '' as string,
    parse: parseSeed,
  },
  {
    name: 'generator-attacks',
    arg: 'LIST',
    help: 'attacks the generator injects: all, none or NAME[:rate],…',
    default: ['all'] as readonly string[],
    parse: parseAttackItem,
    repeatable: true,
  },
  {
    name: 'log-fsync',
    arg: 'POLICY',
    help: 'when the durable log is fsynced: epoch (once per epoch, before its commit), always (every batch, before it is acknowledged) or never (the OS decides; a crash of the machine may lose the last seconds)',
    default: 'epoch' as string,
    parse: parseFsync,
  },
  {
    name: 'log-segment-size',
    arg: 'SIZE',
    help: 'size of the durable log files of generated and posted events; a file is deleted once the store has committed all of it (raw events stay in the store for --retain-hours)',
    default: DEFAULT_SEGMENT_BYTES as number,
    shownDefault: '64MiB',
    parse: parseSizeAtLeast(64 * 1024, '64KiB'),
  },
  {
    name: 'retain-hours',
    arg: 'H',
    help: "keep each source's raw events this many hours for SELECTs on the source (0: none)",
    default: 24 as number,
    parse: parseNonNegativeNumber,
  },
  {
    name: 'retain-bytes',
    arg: 'SIZE',
    help: "keep at most this much of each source's raw events (e.g. 500MB, 2GiB)",
    default: (1024 ** 3) as number,
    shownDefault: '1GiB',
    parse: parseSize,
  },
  {
    name: 'input',
    arg: 'PATH|GLOB|-',
    help: 'follow log files (a path, or a glob in its file name) or read stdin (-) into --input-source, instead of the generator',
    default: '' as string,
    parse: (text: string) => text,
  },
  {
    name: 'input-source',
    arg: 'NAME',
    help: 'the source --input feeds',
    default: 'website_logs_source' as string,
    parse: parseNonEmpty,
  },
  {
    name: 'input-lateness',
    arg: 'SECONDS',
    help: "how far --input's lines may be behind the newest one before they are late (web servers log a request when it ends)",
    default: 120 as number,
    parse: parseNonNegativeNumber,
  },
  {
    name: 'format',
    arg: 'FORMAT',
    help: 'what --input holds: json, combined, common, or an nginx log_format / Apache LogFormat string',
    default: 'combined' as string,
    parse: parseNonEmpty,
  },
  {
    name: 'idle-timeout',
    arg: 'SECONDS',
    help: 'after this long without events, a source watermark follows the clock so its last window closes (0: never)',
    default: 10 as number,
    parse: parseNonNegativeNumber,
  },
  {
    name: 'status-interval',
    arg: 'SECONDS',
    help: 'how often the status line is printed',
    default: 0 as number,
    shownDefault: '1 on a terminal, 10 otherwise',
    parse: parsePositiveNumber,
  },
] as const;

export type StartSettings = Parameters<Command<typeof startFlags>['run']>[0];

export const startCommand: Command<typeof startFlags> = defineCommand({
  name: 'start',
  summary: 'Run tidewatch embedded in this process: sources, streaming engine and endpoints.',
  usage: 'tidewatch start [options]',
  flags: startFlags,
  details: ['Stop with Ctrl-C (a second Ctrl-C forces).'],
  run: async (settings, io) => {
    // Started first: the engine's thread loads its modules while this one loads the rest of start.
    const { EngineClient } = await import('./engine-client.ts');
    const engine = new EngineClient(
      { settings, cwd: io.cwd },
      settings.input === '-' && io.stdin !== undefined ? (io.stdin as Readable) : undefined,
    );
    try {
      return await (await import('./start.ts')).start(settings, io, engine);
    } finally {
      await engine.close();
    }
  },
});
