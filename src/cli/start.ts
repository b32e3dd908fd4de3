import { accessSync, constants, readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { basename, dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ROOT_USER } from '../auth/access-catalog.ts';
import { AUDIT_SOURCE, AUDIT_SOURCE_DDL } from '../auth/audit-source.ts';
import { ensureBuiltInUsers } from '../auth/built-in-users.ts';
import { toSourceRecord } from '../connectors/generator-source.ts';
import { SourceDropped } from '../connectors/log-input.ts';
import { checkSource, sourceConnector, sourceDecoder } from '../connectors/source-connectors.ts';
import { type Dashboard, DashboardError, loadDashboard } from '../dashboard/panels.ts';
import { isDecisionsApiPath, registerDecisionsApi } from '../decisions/decisions-api.ts';
import { type BatchEpisode, drive, type RecordOutput } from '../generator/drive.ts';
import { type LogRecord, toJsonLine } from '../generator/record.ts';
import { type DurableEngine, openDurableEngine } from '../runtime/durable-engine.ts';
import { EventLoopDelay } from '../runtime/event-loop-delay.ts';
import { memoryFigures } from '../runtime/memory-figures.ts';
import {
  MAX_BARRIER_INTERVAL_MS,
  MIN_BARRIER_INTERVAL_MS,
  SystemParameters,
} from '../runtime/system-parameters.ts';
import { registerAlertsApi } from '../serve/alerts-api.ts';
import { readCopyRows } from '../serve/copy-from.ts';
import { CredentialGate } from '../serve/credential-gate.ts';
import { registerDashboardApi } from '../serve/dashboard-api.ts';
import { HttpError, type IngestHandler, startHttpApi } from '../serve/http.ts';
import { LiveFeed } from '../serve/live-feed.ts';
import { TidewatchPgBackend } from '../serve/pg-backend.ts';
import { DEFAULT_MAX_STATEMENT_BYTES, isLoopback, listenPg, type PgServer } from '../serve/pgwire/server.ts';
import { SAVED_PANELS_FILE, SavedPanels, withSavedPanels } from '../serve/saved-panels.ts';
import { parseTimeoutMs } from '../serve/session-settings.ts';
import { isWebAsset, registerWebAssets } from '../serve/web-assets.ts';
import { Blocklists } from '../sinks/blocklists.ts';
import { openSink } from '../sinks/open-sink.ts';
import { sinkConfig } from '../sinks/sink-options.ts';
import { SqlError } from '../sql/errors.ts';
import { DEFAULT_LIMITS, setLimits } from '../sql/limits.ts';
import { isSystemRelation } from '../sql/reserved-names.ts';
import { redactUrl } from '../sql/secret-options.ts';
import { DataDir } from '../store/data-dir.ts';
import { DEFAULT_SEGMENT_BYTES, type FsyncPolicy } from '../store/durable-log.ts';
import { isStoreError } from '../store/errors.ts';
import { readSentAlerts } from '../store/sent-alerts.ts';
import { ATTACK_LABELS, DEAD_LETTERS, STORE_MEMORY_BYTES } from '../store/view-store.ts';
import { credentialAudit, scramSecretOf } from './access-audit.ts';
import { AuditTrail } from './audit-trail.ts';
import { type Command, defineCommand, type Io } from './command.ts';
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
import {
  attacksFrom,
  generatorClock,
  parseAttackItem,
  parseSeed,
  parseTime,
  seedFrom,
} from './generator-flags.ts';
import { sourceProgress, viewRows } from './http-answers.ts';
import { fileInput, inputDecoder, pumpStdin } from './inputs.ts';
import { onInterrupt } from './interrupt.ts';
import { builtInPipeline, planUpgrade, upgradeViews } from './pipeline-upgrade.ts';
import { applyPipelines, PipelineError } from './pipelines.ts';
import { catalogSinks, shownStatus } from './sink-catalog.ts';
import { sourceIngestion } from './source-ingestion.ts';
import { formatCount, formatUptime, IntakeCounter, StatusLine } from './status-line.ts';
import { VERSION } from './version.ts';

const PACKAGE_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const DEFAULT_PIPELINES: readonly string[] = ['pipelines/website-security.sql'];
const DETECTIONS_PIPELINE = 'pipelines/detections.sql';
const DETECTED_SOURCE = 'website_logs_source';
const DEFAULT_DASHBOARD = 'dashboards/website-security.json';
/** How often /api/status's `memory.duckdb_mb` is read from DuckDB. */
const DUCKDB_MEMORY_SAMPLE_MS = 5000;
const WEB_ROOT = join(PACKAGE_ROOT, 'dist', 'web');

function parseStatementTimeout(text: string): string {
  try {
    parseTimeoutMs('statement_timeout', text);
  } catch (error) {
    throw new UsageError(`${(error as Error).message}: a number of milliseconds, or with a unit (5s, 5min)`);
  }
  return text.trim();
}

/** A file as the HTTP API names it: relative to the working directory or the package, else its name. */
function publicPath(path: string, cwd: string): string {
  for (const root of [cwd, PACKAGE_ROOT]) {
    const inside = relative(root, path);
    if (inside !== '' && !inside.startsWith('..') && !isAbsolute(inside)) return inside;
  }
  return basename(path);
}

const flags = [
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

type Settings = Parameters<Command<typeof flags>['run']>[0];

export const startCommand: Command<typeof flags> = defineCommand({
  name: 'start',
  summary: 'Run tidewatch embedded in this process: sources, streaming engine and endpoints.',
  usage: 'tidewatch start [options]',
  flags,
  details: ['Stop with Ctrl-C (a second Ctrl-C forces).'],
  run: (settings, io) => start(settings, io),
});

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

/** A host as it goes in a URL: IPv6 addresses in brackets. */
function urlHost(host: string): string {
  return isIP(host) === 6 ? `[${host}]` : host;
}

/** The PostgreSQL endpoint's certificate and key, when both are given. */
function readTls(settings: Settings): { cert: Buffer; key: Buffer } | undefined {
  const cert = settings['tls-cert'];
  const key = settings['tls-key'];
  if (cert === '' && key === '') return undefined;
  if (cert === '' || key === '')
    throw new UsageError('tidewatch start: --tls-cert and --tls-key go together');
  try {
    return { cert: readFileSync(cert), key: readFileSync(key) };
  } catch (error) {
    throw new UsageError(
      `tidewatch start: cannot read the TLS certificate or key: ${(error as Error).message}`,
    );
  }
}

/** The dashboard file: the shipped one, or one's own relative to the working directory. */
function dashboardOf(settings: Settings, io: Io): Dashboard {
  const name = settings.dashboard;
  const path = isAbsolute(name) ? name : resolve(name === DEFAULT_DASHBOARD ? PACKAGE_ROOT : io.cwd, name);
  try {
    return loadDashboard(path);
  } catch (error) {
    if (error instanceof DashboardError) throw new UsageError(`tidewatch start: ${error.message}`);
    throw error;
  }
}

function pipelineFiles(settings: Settings, io: Io): string[] {
  const names = settings.pipeline;
  if (names.includes('none')) return [];
  const usesDefault =
    names.length === DEFAULT_PIPELINES.length && names.every((name, i) => name === DEFAULT_PIPELINES[i]);
  return names.map((name) => {
    const path = isAbsolute(name) ? name : resolve(usesDefault ? PACKAGE_ROOT : io.cwd, name);
    try {
      accessSync(path, constants.R_OK);
    } catch {
      throw new UsageError(`tidewatch start: cannot read pipeline file ${path}`);
    }
    return path;
  });
}

async function start(settings: Settings, io: Io): Promise<number> {
  // Listening from the first moment: a Ctrl-C during start-up stops cleanly too.
  const stop = new AbortController();
  const stopWatching = onInterrupt(() => stop.abort());
  try {
    return await run(settings, io, stop.signal);
  } finally {
    stopWatching();
  }
}

async function run(settings: Settings, io: Io, stopped: AbortSignal): Promise<number> {
  const host = settings.host;
  const password = settings.password;
  if (!isLoopback(host) && password === '') {
    throw new UsageError(
      `tidewatch start: --host ${host} is reachable from other machines; set --password (or TIDEWATCH_PASSWORD) first`,
    );
  }
  for (const flag of ['generator-source', 'input-source'] as const)
    if (isSystemRelation(settings[flag]))
      throw new UsageError(
        `tidewatch start: --${flag} ${settings[flag]}: tidewatch feeds that source itself`,
      );
  setLimits({ queryMemoryBytes: settings['query-memory-limit'], maxTextBytes: settings['max-text-size'] });
  const pipelines = pipelineFiles(settings, io);
  const dashboard = dashboardOf(settings, io);
  let data: DataDir;
  try {
    data = DataDir.open(resolve(io.cwd, settings['data-dir']), `tidewatch ${VERSION}`);
  } catch (error) {
    if (!isStoreError(error)) throw error;
    io.stderr.write(`tidewatch: ${error.message}\n`);
    return 1;
  }
  try {
    let saved: SavedPanels;
    try {
      saved = SavedPanels.open(data.path);
      withSavedPanels(dashboard, saved.list(), join(data.path, SAVED_PANELS_FILE));
    } catch (error) {
      if (error instanceof DashboardError) throw new UsageError(`tidewatch start: ${error.message}`);
      throw error;
    }
    return await serve(settings, io, stopped, pipelines, dashboard, saved, data);
  } finally {
    data.close();
  }
}

async function serve(
  settings: Settings,
  io: Io,
  stopped: AbortSignal,
  pipelines: readonly string[],
  dashboard: Dashboard,
  saved: SavedPanels,
  data: DataDir,
): Promise<number> {
  const host = settings.host;
  const password = settings.password;
  const dataDir = data.path;
  const tls = readTls(settings);

  // A commit that fails (disk full…) stops tidewatch: later epochs could not be made durable.
  const fatal = new AbortController();
  let fatalError: Error | undefined;
  const signal = AbortSignal.any([stopped, fatal.signal]);
  const feeds = settings['generator-source'];
  const blocklists = new Blocklists();
  const applied: string[] = [];
  const startNotices: string[] = [];
  let durable: DurableEngine;
  let system: SystemParameters;
  try {
    const barrier = settings['barrier-interval-ms'];
    system = new SystemParameters(
      join(dataDir, 'system-parameters.json'),
      barrier === 0 ? undefined : barrier,
    );
    durable = await openDurableEngine({
      data,
      setUp: async (engine, startUp) => {
        // Before the pipelines: a pipeline's views may read the audit trail.
        await engine.execute(AUDIT_SOURCE_DDL);
        const apply = async (file: string) => {
          const pipeline = builtInPipeline(file, PACKAGE_ROOT);
          const upgrade =
            pipeline === undefined
              ? undefined
              : planUpgrade(engine, readFileSync(file, 'utf8'), pipeline, startUp.origins);
          await applyPipelines(engine, [file]);
          applied.push(file);
          if (upgrade === undefined || upgrade.changed.size === 0) return;
          const shown = publicPath(file, io.cwd);
          if (!settings['pipeline-upgrade']) {
            startNotices.push(
              `pipeline ${shown}: views ${[...upgrade.changed.keys()].join(', ')} keep the definitions of an older tidewatch (--no-pipeline-upgrade)`,
            );
            return;
          }
          const rebuilt = await upgradeViews(shown, upgrade, startUp.replaceViews);
          startNotices.push(
            `pipeline ${shown}: views ${[...upgrade.changed.keys()].join(', ')} brought up to date; ` +
              `${rebuilt.join(', ')} built again from the retained raw events (--retain-hours)`,
          );
        };
        for (const file of pipelines) await apply(file);
        // The detections read the reference pipeline's source: with other pipelines they have nothing to read.
        if (!settings.detections || engine.getRelation(DETECTED_SOURCE) === undefined) return;
        await apply(join(PACKAGE_ROOT, DETECTIONS_PIPELINE));
      },
      readCopy: readCopyRows,
      queryMemoryBytes: settings['query-memory-limit'],
      storeMemoryBytes: settings['store-memory-limit'],
      engine: {
        idleTimeoutMs: settings['idle-timeout'] * 1000,
        checkSource,
        checkSink: (spec) => {
          sinkConfig(spec, io.cwd);
        },
        epochMs: system.barrierIntervalMs,
      },
      openSink: (spec, store) =>
        openSink(spec, {
          store,
          cwd: io.cwd,
          stdout: io.stdout,
          // A target's errors may quote its URL: never with the password in it.
          stderr: { write: (text: string) => io.stderr.write(redactUrl(text)) },
          dataDir,
          blocklists,
          onDeadLetter: (sink, letter) =>
            io.stderr.write(
              redactUrl(`tidewatch: sink ${sink}: dead letter ${letter.dedupKey}: ${letter.reason}\n`),
            ),
        }),
      connectorFor: (spec) => sourceConnector(spec, io.cwd),
      decoderFor: (spec, format) => {
        const decoder = format === undefined ? sourceDecoder(spec) : inputDecoder(format, spec);
        return (bytes) => decoder.decode(bytes);
      },
      logFsync: settings['log-fsync'] as FsyncPolicy,
      logSegmentBytes: settings['log-segment-size'],
      retention: { hours: settings['retain-hours'], bytes: settings['retain-bytes'] },
      onFatal: (error) => {
        fatalError = error;
        fatal.abort();
      },
    });
  } catch (error) {
    if (error instanceof PipelineError) io.stderr.write(`tidewatch: pipeline ${error.message}\n`);
    else if (isStoreError(error)) io.stderr.write(`tidewatch: ${error.message}\n`);
    else throw error;
    return 1;
  }
  const { engine } = durable;
  system.onChange((ms) => engine.setEpochMs(ms));
  // The audit trail is read by those a superuser grants it to, not by every reader.
  const readable = [
    ...engine.relations().filter((r) => !isSystemRelation(r.name)),
    { name: DEAD_LETTERS, kind: 'source' as const },
    { name: ATTACK_LABELS, kind: 'source' as const },
  ];
  try {
    await durable.changeAccess((catalog) =>
      ensureBuiltInUsers(catalog, readable, settings['grafana-password'] || undefined),
    );
  } catch (error) {
    await durable.close();
    if (!isStoreError(error)) throw error;
    io.stderr.write(`tidewatch: ${error.message}\n`);
    return 1;
  }
  const sourceTotals = () => {
    const sources = new Set(engine.list('source'));
    return engine
      .sourceStats()
      .filter((s) => sources.has(s.name))
      .map((s) => [s.name, s.rows + s.lateRows] as const);
  };
  // Counted from what the start restored, before anything feeds the sources.
  const intake = new IntakeCounter(sourceTotals());
  const input = settings.input;
  const generating = settings.generator && input === '';
  /** Lines read from stdin (`--input -`), once stdin ends. */
  let stdinLines: Promise<number> | undefined;
  // The generator's log is read even without the generator: what a crash left in it is replayed.
  let generated: ReturnType<DurableEngine['logInput']>;
  let audit: AuditTrail;
  /** What feeds a source instead of its own connector: --input's files, or nothing (its log input). */
  const instead = new Map<string, ReturnType<typeof fileInput> | null>();
  try {
    audit = new AuditTrail(durable.logInput(AUDIT_SOURCE)?.input, (line) =>
      io.stderr.write(`tidewatch: ${line}\n`),
    );
    generated = durable.logInput(feeds);
    if (generating) instead.set(feeds, null);
    if (input !== '') {
      const target = settings['input-source'];
      const spec = engine.sourceSpec(target);
      if (spec === undefined) {
        await durable.close();
        throw new UsageError(
          `tidewatch start: --input feeds source "${target}", which no pipeline creates (set --input-source)`,
        );
      }
      const decoder = inputDecoder(settings.format, spec);
      engine.allowLateness(target, settings['input-lateness'] * 1_000_000);
      instead.set(target, input === '-' ? null : fileInput(input, io.cwd, decoder));
      if (input === '-') {
        const fed = durable.logInput(target, { kind: 'stdin', format: settings.format });
        if (fed !== undefined && io.stdin !== undefined) stdinLines = pumpStdin(io.stdin, fed.input, signal);
      }
    }
    await durable.feedConnectors(instead);
  } catch (error) {
    await durable.close();
    if (error instanceof SqlError) {
      io.stderr.write(`tidewatch: --format ${settings.format}: ${error.message}\n`);
      return 2;
    }
    if (!isStoreError(error)) throw error;
    io.stderr.write(`tidewatch: ${error.message}\n`);
    return 1;
  }
  if (generating && generated === undefined) {
    await durable.close();
    throw new UsageError(
      `tidewatch start: the generator feeds source "${feeds}", which no pipeline creates (set --generator-source, or --no-generator)`,
    );
  }

  const startedAt = Date.now();
  const loopDelay = new EventLoopDelay();
  // DuckDB's count of its memory, sampled for the status (reading it is a query).
  let duckdbMemory: number | undefined;
  const sampleDuckdbMemory = () =>
    durable.store.memoryBytes().then(
      (bytes) => {
        duckdbMemory = bytes;
      },
      () => undefined,
    );
  void sampleDuckdbMemory();
  const duckdbMemorySampler = setInterval(sampleDuckdbMemory, DUCKDB_MEMORY_SAMPLE_MS);
  duckdbMemorySampler.unref();
  const events = intake.meter;
  const status = () => ({
    started_at: new Date(startedAt).toISOString(),
    uptime_seconds: Math.floor((Date.now() - startedAt) / 1000),
    events_total: intake.update(sourceTotals()),
    events_per_second: events.perSecond(),
    attack_episodes_total: durable.attackLabels(),
    generator: settings.generator,
    // Names a person can place, not the machine's paths.
    pipelines: applied.map((path) => publicPath(path, io.cwd)),
    epoch: engine.epoch,
    committed_epoch: durable.store.lastEpoch() ?? null,
    commit_latency_ms: durable.commitLatency(),
    memory: memoryFigures(duckdbMemory),
    event_loop_delay_ms: loopDelay.figures(),
    sources: sourceProgress(engine, durable.ingestion()),
    views: engine.viewStats(),
    sinks: durable.sinks().map(shownStatus),
  });

  let pg: PgServer;
  const backend = new TidewatchPgBackend({
    execute: (sql, params, tokens) => durable.execute(sql, params, tokens),
    insertValues: (bulk) => durable.insertValues(bulk),
    flush: () => durable.flush(),
    system,
    describeParams: (sql, declared) => engine.describeParams(sql, declared),
    connectReader: () => durable.store.connectReader(),
    relations: () => engine.relations(),
    insertRows: (table, rows, writtenAs) => durable.insertRows(table, rows, writtenAs),
    subscriptions: durable.store,
    storeVersion: () => durable.store.version,
    ingestion: () => sourceIngestion(durable.ingestion()),
    access: { catalog: durable.access, change: (edit) => durable.changeAccess(edit) },
    onAudit: (event) => audit.record(event),
    sinks: () => catalogSinks(engine.sinks(), durable.sinks()),
    views: () => engine.viewStats().map(({ name, errors, lastError }) => ({ name, errors, lastError })),
    settingDefaults: {
      statement_timeout: settings['statement-timeout'],
      max_connections: String(settings['max-connections']),
    },
  });
  try {
    pg = await listenPg(backend, {
      host,
      port: settings['pg-port'],
      ...(password ? { password } : {}),
      ...(settings['pg-auth'] === 'md5' ? { auth: 'md5' as const } : {}),
      ...(tls === undefined ? {} : { tls }),
      maxConnections: settings['max-connections'],
      maxStatementBytes: settings['max-statement-size'],
      // The server's password is root's; every other user logs in with its own.
      passwordUser: ROOT_USER,
      userSecret: (user) => scramSecretOf(durable.access.now.user(user)),
      isSuperuser: (user) => backend.isSuperuser(user),
      onLogin: (login) => audit.record({ kind: 'login', ...login }),
      onUnexpectedError: (error) =>
        io.stderr.write(`tidewatch: PostgreSQL endpoint: ${(error as Error).stack ?? String(error)}\n`),
    });
  } catch (error) {
    await durable.close();
    io.stderr.write(
      `tidewatch: cannot listen on ${host}:${settings['pg-port']} (PostgreSQL): ${(error as Error).message}\n`,
    );
    return 1;
  }

  let api: Awaited<ReturnType<typeof startHttpApi>>;
  const live = new LiveFeed((listener) => durable.store.onCommitted(listener));
  const panelSession = await backend.readOnlySession();
  const sqlBoxSession = await backend.readOnlySession();
  const alertsReader = await durable.store.connectReader();
  const closeDashboard = () => {
    live.close();
    panelSession.close();
    sqlBoxSession.close();
    alertsReader.closeSync();
  };
  // Wrong bearer tokens and wrong bouncer keys are failed logins of one throttle.
  const credentials = new CredentialGate({ onRefused: (r) => audit.record(credentialAudit(r)) });
  try {
    api = await startHttpApi({
      host,
      port: settings['http-port'],
      ...(password ? { token: password } : {}),
      routes: { '/api/status': status, '/api/views': viewRows(engine) },
      ingest: ingestInto(durable),
      // The decisions API checks its bouncers' X-Api-Key instead of the bearer token.
      isPublic: (path) => isWebAsset(path) || isDecisionsApiPath(path),
      credentials,
      extend: async (app) => {
        registerDecisionsApi(app, { blocklists, dataDir, credentials });
        registerDashboardApi(app, {
          dashboard,
          saved,
          panels: panelSession,
          sqlBox: sqlBoxSession,
          live,
          committedEpoch: () => durable.store.lastEpoch() ?? null,
        });
        registerAlertsApi(app, {
          sent: (limit) => readSentAlerts(alertsReader, limit),
          sinks: () => durable.sinks(),
        });
        await registerWebAssets(app, WEB_ROOT);
      },
    });
  } catch (error) {
    closeDashboard();
    await pg.close();
    await backend.close();
    await durable.close();
    io.stderr.write(
      `tidewatch: cannot listen on ${host}:${settings['http-port']}: ${(error as Error).message}\n`,
    );
    return 1;
  }

  const shown = (path: string) =>
    relative(io.cwd, path).startsWith('..') ? path : relative(io.cwd, path) || '.';
  const lines = [
    `tidewatch ${VERSION}`,
    `  dashboard        ${api.url}/${password ? '#token=…  (add the --password as the token)' : ''}`,
    `  HTTP API         ${api.url}  (status: ${api.url}/api/status)`,
    `  PostgreSQL       postgresql://root@${urlHost(pg.host)}:${pg.port}/dev  (psql -h ${pg.host} -p ${pg.port} -U root dev)`,
    `  data directory   ${shown(dataDir)}${
      durable.restoredEpoch === undefined
        ? data.created
          ? ' (new)'
          : ''
        : `, resumed at epoch ${durable.restoredEpoch} (${formatCount(durable.replayedRecords())} events replayed from the logs` +
          `${durable.replayedWrites > 0 ? `, ${formatCount(durable.replayedWrites)} table writes from the DML log` : ''})`
    }`,
    `  pipelines        ${applied.length ? applied.map(shown).join(', ') : 'none (empty engine)'}`,
    `  generator        ${generating ? `${settings['generator-rate']} events/s into ${feeds}, attacks: ${settings['generator-attacks'].join(',') || 'none'}` : 'off'}`,
    ...(input === ''
      ? []
      : [
          `  input            ${input === '-' ? 'stdin' : input} (${settings.format}) into ${settings['input-source']}`,
        ]),
    `  ingest           POST ${api.url}/ingest/<source>  (NDJSON, a JSON array or log lines)`,
  ];
  for (const notice of [...durable.notices, ...startNotices]) io.stderr.write(`tidewatch: ${notice}\n`);
  io.stdout.write(`${lines.join('\n')}\nPress Ctrl-C to stop.\n`);

  const line = new StatusLine(io.stdout);
  const every = (settings['status-interval'] || (line.interactive ? 1 : 10)) * 1000;
  const ticker = setInterval(() => {
    const uptime = formatUptime(Date.now() - startedAt);
    intake.update(sourceTotals());
    const rate = formatCount(events.perSecond());
    const views = engine.viewStats();
    const viewRows = views.reduce((sum, v) => sum + v.rows, 0);
    const late = engine.sourceStats().reduce((sum, s) => sum + s.lateRows, 0);
    line.show(
      `tidewatch ${uptime} | ${rate} events/s | ${formatCount(events.total)} events` +
        `${late > 0 ? ` (${formatCount(late)} late)` : ''} | ` +
        `${views.length} views, ${formatCount(viewRows)} rows | ${durable.attackLabels()} attack episodes`,
    );
  }, every);

  const counting: RecordOutput = {
    write: (batch: readonly LogRecord[], started: readonly BatchEpisode[] = []) => {
      if (generated === undefined) return;
      const first = generated.input.nextOffset;
      // Each episode's label is durable before its first event is in the log.
      durable.recordAttackLabels(
        feeds,
        started.map(({ label, index }) => ({ label, offset: first + index })),
      );
      return generated.input.append(batch.map(toJsonLine), batch.map(toSourceRecord));
    },
    close: async () => {},
  };
  const clock = generatorClock(settings['generator-rate'], settings['generator-start'], '1');
  const seeded = settings['generator-seed'] !== '';
  const generator = generating
    ? drive(
        {
          traffic: {
            ...clock.traffic,
            seed: seedFrom(settings['generator-seed']),
            attacks: attacksFrom(settings['generator-attacks']),
          },
          speedup: clock.speedup,
          signal,
          // A seeded generator continues its sequence after what the log already holds.
          ...(seeded ? { skip: generated?.input.nextOffset ?? 0 } : {}),
          ...(settings['generator-count'] > 0 ? { count: settings['generator-count'] } : {}),
        },
        counting,
      )
    : Promise.resolve({ records: 0 });

  void stdinLines?.then((n) => {
    if (!signal.aborted)
      io.stderr.write(`\ntidewatch: stdin ended after ${formatCount(n)} lines; serving on\n`);
  });
  let exitCode = 0;
  try {
    await generator;
    if (!signal.aborted) await new Promise((resolve) => signal.addEventListener('abort', resolve));
  } catch (error) {
    if (error instanceof SourceDropped) {
      io.stderr.write(`\ntidewatch: ${error.message}: the generator stopped; serving on\n`);
      if (!signal.aborted) await new Promise((resolve) => signal.addEventListener('abort', resolve));
    } else {
      io.stderr.write(`\ntidewatch: generator failed: ${(error as Error).message}\n`);
      exitCode = 1;
    }
  } finally {
    clearInterval(ticker);
    clearInterval(duckdbMemorySampler);
    line.done();
    live.close();
    loopDelay.close();
    await api.close();
    panelSession.close();
    sqlBoxSession.close();
    alertsReader.closeSync();
    await stdinLines;
    await pg.close();
    await backend.close();
    await durable.close();
  }
  if (fatalError !== undefined) {
    io.stderr.write(`tidewatch: stopping, the last epoch could not be made durable: ${fatalError.message}\n`);
    exitCode = 1;
  }
  io.stdout.write(
    `tidewatch stopped after ${formatUptime(Date.now() - startedAt)}: ${formatCount(intake.update(sourceTotals()))} events\n`,
  );
  return exitCode;
}

/**
 * `POST /ingest/<source>`: the units go to the source's durable log (decoded by its FORMAT when
 * read back) and are answered once fsynced; 404 for no such source, 429 while it lags.
 */
function ingestInto(durable: DurableEngine): IngestHandler {
  return async (source, units) => {
    if (isSystemRelation(source))
      throw new HttpError(403, `source "${source}" is tidewatch's own: it takes no posts`);
    const fed = durable.logInput(source);
    if (fed === undefined) throw new HttpError(404, `no source named "${source}"`);
    if (fed.input.lagging())
      throw new HttpError(429, `source ${source} is behind; send again later`, { 'retry-after': '1' });
    try {
      await fed.input.appendDurably(units);
    } catch (e) {
      if (e instanceof SourceDropped) throw new HttpError(404, `no source named "${source}"`);
      throw e;
    }
    return units.length;
  };
}
