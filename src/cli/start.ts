import { accessSync, constants, readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { isAbsolute, join, relative, resolve } from 'node:path';

import { AccessCatalog, ROOT_USER } from '../auth/access-catalog.ts';
import { ensureBuiltInUsers } from '../auth/built-in-users.ts';
import { type Dashboard, DashboardError, loadDashboard } from '../dashboard/panels.ts';
import { isDecisionsApiPath, registerDecisionsApi } from '../decisions/decisions-api.ts';
import type { CommittedState } from '../runtime/durable-engine.ts';
import { EventLoopDelay } from '../runtime/event-loop-delay.ts';
import { memoryFigures } from '../runtime/memory-figures.ts';
import { committedState } from '../runtime/saved-state.ts';
import { SinkDeliveries } from '../runtime/sink-deliveries.ts';
import { SystemParameters } from '../runtime/system-parameters.ts';
import { registerAlertsApi } from '../serve/alerts-api.ts';
import { CredentialGate } from '../serve/credential-gate.ts';
import { registerDashboardApi } from '../serve/dashboard-api.ts';
import { startHttpApi } from '../serve/http.ts';
import { LiveFeed } from '../serve/live-feed.ts';
import { TidewatchPgBackend } from '../serve/pg-backend.ts';
import { isLoopback, listenPg, type PgServer } from '../serve/pgwire/server.ts';
import { SAVED_PANELS_FILE, SavedPanels, withSavedPanels } from '../serve/saved-panels.ts';
import { isWebAsset, registerWebAssets } from '../serve/web-assets.ts';
import { Blocklists } from '../sinks/blocklists.ts';
import { openSink } from '../sinks/open-sink.ts';
import { SqlError } from '../sql/errors.ts';
import { setLimits } from '../sql/limits.ts';
import { isSystemRelation } from '../sql/reserved-names.ts';
import { redactUrl } from '../sql/secret-options.ts';
import { DataDir } from '../store/data-dir.ts';
import { isStoreError } from '../store/errors.ts';
import { readSentAlerts } from '../store/sent-alerts.ts';
import { ATTACK_LABELS, DEAD_LETTERS, ViewStore } from '../store/view-store.ts';
import { credentialAudit, scramSecretOf } from './access-audit.ts';
import { AuditTrail } from './audit-trail.ts';
import type { Io } from './command.ts';
import type { FedEngine, OpenedEngine } from './engine-calls.ts';
import type { EngineClient } from './engine-client.ts';
import { UsageError } from './flags.ts';
import { storedViewContents, viewRows } from './http-answers.ts';
import { onInterrupt } from './interrupt.ts';
import { DEFAULT_DASHBOARD, DEFAULT_PIPELINES, PACKAGE_ROOT, publicPath } from './package-files.ts';
import { PipelineError } from './pipelines.ts';
import { catalogSinks, shownStatus } from './sink-catalog.ts';
import type { StartSettings } from './start-command.ts';
import { formatCount, formatUptime, IntakeCounter, StatusLine } from './status-line.ts';
import { VERSION } from './version.ts';

/** How often /api/status's `memory.duckdb_mb` is read from DuckDB. */
const DUCKDB_MEMORY_SAMPLE_MS = 5000;
const WEB_ROOT = join(PACKAGE_ROOT, 'dist', 'web');

type Settings = StartSettings;

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

/** Runs `tidewatch start` with `engine`, the engine's thread (started, not open yet; closed by the caller). */
export async function start(settings: Settings, io: Io, engine: EngineClient): Promise<number> {
  // Listening from the first moment: a Ctrl-C during start-up stops cleanly too.
  const stop = new AbortController();
  const stopWatching = onInterrupt(() => stop.abort());
  try {
    return await run(settings, io, stop.signal, engine);
  } finally {
    stopWatching();
  }
}

async function run(settings: Settings, io: Io, stopped: AbortSignal, engine: EngineClient): Promise<number> {
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
    return await serve(settings, io, stopped, pipelines, dashboard, saved, data, engine);
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
  engine: EngineClient,
): Promise<number> {
  const host = settings.host;
  const password = settings.password;
  const dataDir = data.path;
  const tls = readTls(settings);
  const print = (line: string) => io.stderr.write(`tidewatch: ${line}\n`);

  // A commit that fails (disk full…) stops tidewatch: later epochs could not be made durable.
  const fatal = new AbortController();
  let fatalError: Error | undefined;
  const failFatal = (error: Error) => {
    fatalError ??= error;
    fatal.abort();
  };
  const signal = AbortSignal.any([stopped, fatal.signal]);
  const blocklists = new Blocklists();
  const input = settings.input;
  const generating = settings.generator && input === '';
  let system: SystemParameters;
  let store: ViewStore;
  let committed: CommittedState;
  try {
    const barrier = settings['barrier-interval-ms'];
    system = new SystemParameters(
      join(dataDir, 'system-parameters.json'),
      barrier === 0 ? undefined : barrier,
    );
    store = await ViewStore.open(join(dataDir, 'tidewatch.duckdb'), {
      queryMemoryBytes: settings['query-memory-limit'],
      storeMemoryBytes: settings['store-memory-limit'],
    });
  } catch (error) {
    await engine.close();
    if (!isStoreError(error)) throw error;
    print(error.message);
    return 1;
  }
  try {
    committed = await committedState(store);
  } catch (error) {
    await engine.close();
    await store.close();
    if (!isStoreError(error)) throw error;
    print(error.message);
    return 1;
  }
  const access = new AccessCatalog(committed.state?.access);
  const sinks = new SinkDeliveries(store, (spec, from) =>
    openSink(spec, {
      store: from,
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
  );
  let engineClosed = false;
  const closeEngine = async () => {
    if (engineClosed) return;
    engineClosed = true;
    await engine.close();
    await sinks.stop();
    await store.close();
  };
  const generatorEnded = Promise.withResolvers<{ dropped: boolean; message: string } | undefined>();
  let opened: OpenedEngine;
  try {
    opened = await engine.open({
      dataDir,
      pipelines,
      committed,
      epochMs: system.barrierIntervalMs,
      subscriptions: store.subscriptions().map((s) => ({ name: s.name, view: s.view })),
      store,
      access,
      onFatal: failFatal,
      onCatalog: (catalog) => {
        sinks.reconcile(catalog.sinks).catch((error: unknown) => print(`sinks: ${(error as Error).message}`));
      },
      onGeneratorEnded: (ended) => generatorEnded.resolve(ended),
      onStdinEnded: (n) => {
        if (!signal.aborted)
          io.stderr.write(`\ntidewatch: stdin ended after ${formatCount(n)} lines; serving on\n`);
      },
    });
  } catch (error) {
    await closeEngine();
    if (error instanceof PipelineError) print(`pipeline ${error.message}`);
    else if (isStoreError(error)) print(error.message);
    else throw error;
    return 1;
  }
  try {
    return await serveWith(engine);
  } finally {
    // Also after an unexpected error: the engine's thread would keep the process alive.
    await closeEngine();
  }

  async function serveWith(engine: EngineClient): Promise<number> {
    const audit = new AuditTrail((entry) => engine.audit(entry), print);
    system.onChange((ms) => engine.setEpochMs(ms));
    const changeAccess = async <T>(edit: (catalog: AccessCatalog) => T): Promise<T> => {
      const result = edit(access);
      await engine.flush();
      return result;
    };
    const objects = new Set([...engine.relations(), ...engine.catalog().sinks].map((o) => o.name));
    access.change((a) => a.forgetOwnersExcept((object) => objects.has(object)));
    // The audit trail is read by those a superuser grants it to, not by every reader.
    const readable = [
      ...engine.relations().filter((r) => !isSystemRelation(r.name)),
      { name: DEAD_LETTERS, kind: 'source' as const },
      { name: ATTACK_LABELS, kind: 'source' as const },
    ];
    let intake: IntakeCounter;
    let fed: FedEngine;
    try {
      await changeAccess((catalog) =>
        ensureBuiltInUsers(catalog, readable, settings['grafana-password'] || undefined),
      );
      // Counted from what the start restored, before anything feeds the sources.
      intake = new IntakeCounter((await engine.status()).sourceTotals);
      fed = await engine.feed();
    } catch (error) {
      await closeEngine();
      if (error instanceof UsageError) throw error;
      if (error instanceof SqlError) {
        print(`--format ${settings.format}: ${error.message}`);
        return 2;
      }
      if (!isStoreError(error)) throw error;
      print(error.message);
      return 1;
    }

    const startedAt = Date.now();
    const loopDelay = new EventLoopDelay();
    // DuckDB's count of its memory, sampled for the status (reading it is a query).
    let duckdbMemory: number | undefined;
    const sampleDuckdbMemory = () =>
      store.memoryBytes().then(
        (bytes) => {
          duckdbMemory = bytes;
        },
        () => undefined,
      );
    void sampleDuckdbMemory();
    const duckdbMemorySampler = setInterval(sampleDuckdbMemory, DUCKDB_MEMORY_SAMPLE_MS);
    duckdbMemorySampler.unref();
    const events = intake.meter;
    const status = async () => {
      const now = await engine.status();
      return {
        started_at: new Date(startedAt).toISOString(),
        uptime_seconds: Math.floor((Date.now() - startedAt) / 1000),
        events_total: intake.update(now.sourceTotals),
        events_per_second: events.perSecond(),
        attack_episodes_total: now.attackEpisodes,
        generator: settings.generator,
        // Names a person can place, not the machine's paths.
        pipelines: opened.applied.map((path) => publicPath(path, io.cwd)),
        epoch: now.epoch,
        committed_epoch: store.lastEpoch() ?? null,
        commit_latency_ms: now.commitLatency,
        memory: memoryFigures(duckdbMemory, { used: now.heapUsedBytes, total: now.heapTotalBytes }),
        event_loop_delay_ms: loopDelay.figures(),
        engine_event_loop_delay_ms: now.eventLoopDelay,
        sources: now.sources,
        views: now.views,
        sinks: sinks.statuses().map(shownStatus),
      };
    };

    let pg: PgServer;
    const backend = new TidewatchPgBackend({
      execute: (sql, params, tokens) => engine.execute(sql, params, tokens),
      insertValues: (text) => engine.insertValues(text),
      flush: () => engine.flush(),
      system,
      describeParams: (sql, declared) => engine.describeParams(sql, declared),
      connectReader: () => store.connectReader(),
      relations: () => engine.relations(),
      insertRows: (table, rows, writtenAs) => engine.insertRows(table, rows, writtenAs),
      copyRows: (copy, data) => engine.copyRows(copy, data),
      subscriptions: store,
      storeVersion: () => store.version,
      ingestion: () => engine.ingestion(),
      access: { catalog: access, change: changeAccess },
      onAudit: (event) => audit.record(event),
      sinks: () => catalogSinks(engine.catalog().sinks, sinks.statuses()),
      views: () => engine.viewErrors(),
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
        userSecret: (user) => scramSecretOf(access.now.user(user)),
        isSuperuser: (user) => backend.isSuperuser(user),
        onLogin: (login) => audit.record({ kind: 'login', ...login }),
        onUnexpectedError: (error) =>
          io.stderr.write(`tidewatch: PostgreSQL endpoint: ${(error as Error).stack ?? String(error)}\n`),
      });
    } catch (error) {
      await closeEngine();
      io.stderr.write(
        `tidewatch: cannot listen on ${host}:${settings['pg-port']} (PostgreSQL): ${(error as Error).message}\n`,
      );
      return 1;
    }

    let api: Awaited<ReturnType<typeof startHttpApi>>;
    const live = new LiveFeed((listener) => store.onCommitted(listener));
    const panelSession = await backend.readOnlySession();
    const sqlBoxSession = await backend.readOnlySession();
    const alertsReader = await store.connectReader();
    const viewsReader = await store.connectReader();
    const closeDashboard = () => {
      live.close();
      panelSession.close();
      sqlBoxSession.close();
      alertsReader.closeSync();
      viewsReader.closeSync();
    };
    // Wrong bearer tokens and wrong bouncer keys are failed logins of one throttle.
    const credentials = new CredentialGate({ onRefused: (r) => audit.record(credentialAudit(r)) });
    try {
      api = await startHttpApi({
        host,
        port: settings['http-port'],
        ...(password ? { token: password } : {}),
        routes: {
          '/api/status': status,
          '/api/views': viewRows((name) =>
            storedViewContents(engine.relations(), name, (view) => store.readRows(viewsReader, view)),
          ),
        },
        ingest: (source, units) => engine.ingest(source, units),
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
            committedEpoch: () => store.lastEpoch() ?? null,
          });
          registerAlertsApi(app, {
            sent: (limit) => readSentAlerts(alertsReader, limit),
            sinks: () => sinks.statuses(),
          });
          await registerWebAssets(app, WEB_ROOT);
        },
      });
    } catch (error) {
      closeDashboard();
      await pg.close();
      await backend.close();
      await closeEngine();
      io.stderr.write(
        `tidewatch: cannot listen on ${host}:${settings['http-port']}: ${(error as Error).message}\n`,
      );
      return 1;
    }

    const shown = (path: string) =>
      relative(io.cwd, path).startsWith('..') ? path : relative(io.cwd, path) || '.';
    const feeds = settings['generator-source'];
    const lines = [
      `tidewatch ${VERSION}`,
      `  dashboard        ${api.url}/${password ? '#token=…  (add the --password as the token)' : ''}`,
      `  HTTP API         ${api.url}  (status: ${api.url}/api/status)`,
      `  PostgreSQL       postgresql://root@${urlHost(pg.host)}:${pg.port}/dev  (psql -h ${pg.host} -p ${pg.port} -U root dev)`,
      `  data directory   ${shown(dataDir)}${
        opened.restoredEpoch === undefined
          ? data.created
            ? ' (new)'
            : ''
          : `, resumed at epoch ${opened.restoredEpoch} (${formatCount(fed.replayedRecords)} events replayed from the logs` +
            `${opened.replayedWrites > 0 ? `, ${formatCount(opened.replayedWrites)} table writes from the DML log` : ''})`
      }`,
      `  pipelines        ${opened.applied.length ? opened.applied.map(shown).join(', ') : 'none (empty engine)'}`,
      `  generator        ${generating ? `${settings['generator-rate']} events/s into ${feeds}, attacks: ${settings['generator-attacks'].join(',') || 'none'}` : 'off'}`,
      ...(input === ''
        ? []
        : [
            `  input            ${input === '-' ? 'stdin' : input} (${settings.format}) into ${settings['input-source']}`,
          ]),
      `  ingest           POST ${api.url}/ingest/<source>  (NDJSON, a JSON array or log lines)`,
    ];
    for (const notice of fed.notices) print(notice);
    io.stdout.write(`${lines.join('\n')}\nPress Ctrl-C to stop.\n`);

    const line = new StatusLine(io.stdout);
    const every = (settings['status-interval'] || (line.interactive ? 1 : 10)) * 1000;
    const ticker = setInterval(() => {
      void engine.status().then(
        (now) => {
          const uptime = formatUptime(Date.now() - startedAt);
          intake.update(now.sourceTotals);
          const rate = formatCount(events.perSecond());
          const viewRows = now.views.reduce((sum, v) => sum + v.rows, 0);
          const late = now.sources.reduce((sum, s) => sum + s.lateRows, 0);
          line.show(
            `tidewatch ${uptime} | ${rate} events/s | ${formatCount(events.total)} events` +
              `${late > 0 ? ` (${formatCount(late)} late)` : ''} | ` +
              `${now.views.length} views, ${formatCount(viewRows)} rows | ${now.attackEpisodes} attack episodes`,
          );
        },
        () => undefined,
      );
    }, every);

    const stoppedNow = new Promise<'stopped'>((resolve) => {
      if (signal.aborted) resolve('stopped');
      else signal.addEventListener('abort', () => resolve('stopped'), { once: true });
    });
    let exitCode = 0;
    try {
      const ended = generating ? await Promise.race([generatorEnded.promise, stoppedNow]) : await stoppedNow;
      if (ended !== 'stopped' && ended !== undefined) {
        if (ended.dropped)
          io.stderr.write(`\ntidewatch: ${ended.message}: the generator stopped; serving on\n`);
        else {
          io.stderr.write(`\ntidewatch: generator failed: ${ended.message}\n`);
          exitCode = 1;
        }
      }
      if (exitCode === 0) await stoppedNow;
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
      viewsReader.closeSync();
      await pg.close();
      await backend.close();
      const total = intake.update((await engine.status().catch(() => undefined))?.sourceTotals ?? []);
      await closeEngine();
      if (input === '-') (io.stdin as Partial<NodeJS.ReadStream> | undefined)?.destroy?.();
      if (fatalError !== undefined) {
        io.stderr.write(
          `tidewatch: stopping, the last epoch could not be made durable: ${fatalError.message}\n`,
        );
        exitCode = 1;
      }
      io.stdout.write(
        `tidewatch stopped after ${formatUptime(Date.now() - startedAt)}: ${formatCount(total)} events\n`,
      );
    }
    return exitCode;
  }
}
