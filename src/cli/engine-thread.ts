/**
 * The engine's thread of `tidewatch start`: the streaming engine with its durable logs, and
 * what feeds its sources (the generator, --input, stdin, connectors, HTTP posts). The thread
 * that started it (start.ts, through engine-client.ts) owns the store and serves clients; it
 * calls this one for statements, status and posts, and commits the epochs this one ends.
 * An epoch's barrier and checkpoint therefore never hold up a client's query.
 */

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parentPort, workerData } from 'node:worker_threads';
import { AUDIT_SOURCE, AUDIT_SOURCE_DDL } from '../auth/audit-source.ts';
import { toSourceRecord } from '../connectors/generator-source.ts';
import { type LogInput, SourceDropped } from '../connectors/log-input.ts';
import { checkSource, sourceConnector, sourceDecoder } from '../connectors/source-connectors.ts';
import type { RelationInfo } from '../engine/catalog.ts';
import type { ConvertedInsertValues } from '../engine/insert-values-rows.ts';
import type { SinkSpec } from '../engine/sink-catalog.ts';
import { type BatchEpisode, drive, type RecordOutput } from '../generator/drive.ts';
import { type LogRecord, toJsonLine } from '../generator/record.ts';
import { ChunkQueue } from '../runtime/chunk-queue.ts';
import { type DurableEngine, openDurableEngine } from '../runtime/durable-engine.ts';
import { EventLoopDelay } from '../runtime/event-loop-delay.ts';
import { RemoteEpochStore } from '../runtime/remote-epoch-store.ts';
import { type CrossingError, type RpcPort, ThreadRpc } from '../runtime/thread-rpc.ts';
import { copyFrom, readCopyRows } from '../serve/copy-from.ts';
import { HttpError } from '../serve/http-error.ts';
import type { PgCopyIn } from '../serve/pgwire/backend.ts';
import { sinkConfig } from '../sinks/sink-options.ts';
import type { CopyFromCommand } from '../sql/copy-statement.ts';
import { setLimits } from '../sql/limits.ts';
import { isSystemRelation } from '../sql/reserved-names.ts';
import type { FsyncPolicy } from '../store/durable-log.ts';
import { type AuditEntry, appendAuditRecord } from './audit-trail.ts';
import {
  type CatalogCopy,
  ENGINE_CALLS,
  type EngineOpening,
  type EngineStatus,
  type EngineThreadData,
  type FedEngine,
  type OpenedEngine,
} from './engine-calls.ts';
import { ERROR_CLASSES } from './error-classes.ts';
import { UsageError } from './flags.ts';
import { attacksFrom, generatorClock, seedFrom } from './generator-flags.ts';
import { sourceProgress } from './http-answers.ts';
import { fileInput, inputDecoder, pumpStdin } from './inputs.ts';
import { DETECTED_SOURCE, DETECTIONS_PIPELINE, PACKAGE_ROOT, publicPath } from './package-files.ts';
import { builtInPipeline, planUpgrade, upgradeViews } from './pipeline-upgrade.ts';
import { applyPipelines } from './pipelines.ts';
import { sourceIngestion } from './source-ingestion.ts';

if (parentPort !== null) runEngineThread(parentPort, workerData as EngineThreadData);

function runEngineThread(port: RpcPort, data: EngineThreadData): void {
  const { settings, cwd } = data;
  let dataDir = '';
  const rpc = new ThreadRpc(port, ERROR_CLASSES);
  const store = new RemoteEpochStore(rpc);
  setLimits({ queryMemoryBytes: settings['query-memory-limit'], maxTextBytes: settings['max-text-size'] });
  const loopDelay = new EventLoopDelay();
  const stop = new AbortController();
  let durable: DurableEngine | undefined;
  const opened = (): DurableEngine => {
    if (durable === undefined) throw new Error('the engine is not open');
    return durable;
  };
  let sentCatalog = -1;
  const sinkIds = new WeakMap<SinkSpec, number>();
  let nextSinkId = 1;
  const sinkId = (spec: SinkSpec): number => {
    let id = sinkIds.get(spec);
    if (id === undefined) {
      id = nextSinkId++;
      sinkIds.set(spec, id);
    }
    return id;
  };
  /** The catalog, to the serving thread before the answer of the call that changed it. */
  const sendCatalog = () => {
    const engine = opened().engine;
    if (engine.catalogHistory.length === sentCatalog) return;
    sentCatalog = engine.catalogHistory.length;
    const relations = engine.relations().map(
      (r): RelationInfo => ({
        name: r.name,
        kind: r.kind,
        columns: r.columns,
        definition: r.definition,
        key: r.key,
        appendOnly: r.appendOnly,
        ...(r.source === undefined ? {} : { source: r.source }),
      }),
    );
    const sinks = engine.sinks().map((s) => ({ ...s, id: sinkId(s) }));
    rpc.notify(ENGINE_CALLS.catalog, { relations, sinks } satisfies CatalogCopy);
  };
  const feeds = settings['generator-source'];
  const applied: string[] = [];

  const startNotices: string[] = [];
  rpc.handle(ENGINE_CALLS.open, async (opening: EngineOpening): Promise<OpenedEngine> => {
    store.setSubscriptions(opening.subscriptions);
    dataDir = opening.dataDir;
    store.spoolInto(join(dataDir, 'spool'));
    durable = await openDurableEngine({
      dataDir,
      store,
      committed: opening.committed,
      onRelationDropped: (relation) => rpc.notify(ENGINE_CALLS.relationDropped, relation),
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
          const shown = publicPath(file, cwd);
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
        for (const file of opening.pipelines) await apply(file);
        // The detections read the reference pipeline's source: with other pipelines they have nothing to read.
        if (!settings.detections || engine.getRelation(DETECTED_SOURCE) === undefined) return;
        await apply(join(PACKAGE_ROOT, DETECTIONS_PIPELINE));
      },
      readCopy: readCopyRows,
      engine: {
        idleTimeoutMs: settings['idle-timeout'] * 1000,
        checkSource,
        checkSink: (spec) => {
          sinkConfig(spec, cwd);
        },
        epochMs: opening.epochMs,
      },
      connectorFor: (spec) => sourceConnector(spec, cwd),
      decoderFor: (spec, format) => {
        const decoder = format === undefined ? sourceDecoder(spec) : inputDecoder(format, spec);
        return (bytes) => decoder.decode(bytes);
      },
      logFsync: settings['log-fsync'] as FsyncPolicy,
      logSegmentBytes: settings['log-segment-size'],
      retention: { hours: settings['retain-hours'], bytes: settings['retain-bytes'] },
      onFatal: (error) => {
        stop.abort();
        rpc.notify(ENGINE_CALLS.fatal, ThreadRpc.crossing(error));
      },
    });
    sendCatalog();
    return {
      restoredEpoch: durable.restoredEpoch,
      replayedWrites: durable.replayedWrites,
      applied,
    };
  });

  let auditInput: LogInput | undefined;
  let generated: ReturnType<DurableEngine['logInput']>;
  rpc.handle(ENGINE_CALLS.feed, async (): Promise<FedEngine> => {
    const d = opened();
    const input = settings.input;
    const generating = settings.generator && input === '';
    const instead = new Map<string, ReturnType<typeof fileInput> | null>();
    auditInput = d.logInput(AUDIT_SOURCE)?.input;
    // The generator's log is read even without the generator: what a crash left in it is replayed.
    generated = d.logInput(feeds);
    if (generating) instead.set(feeds, null);
    let stdinLines: Promise<number> | undefined;
    if (input !== '') {
      const target = settings['input-source'];
      const spec = d.engine.sourceSpec(target);
      if (spec === undefined)
        throw new UsageError(
          `tidewatch start: --input feeds source "${target}", which no pipeline creates (set --input-source)`,
        );
      const decoder = inputDecoder(settings.format, spec);
      d.engine.allowLateness(target, settings['input-lateness'] * 1_000_000);
      instead.set(target, input === '-' ? null : fileInput(input, cwd, decoder));
      if (input === '-') {
        const fed = d.logInput(target, { kind: 'stdin', format: settings.format });
        if (fed !== undefined) stdinLines = pumpStdin(process.stdin, fed.input, stop.signal);
      }
    }
    await d.feedConnectors(instead);
    if (generating && generated === undefined)
      throw new UsageError(
        `tidewatch start: the generator feeds source "${feeds}", which no pipeline creates (set --generator-source, or --no-generator)`,
      );
    void stdinLines?.then((n) => rpc.notify(ENGINE_CALLS.stdinEnded, n));
    if (generating) void runGenerator().then((error) => rpc.notify(ENGINE_CALLS.generatorEnded, error));
    return { replayedRecords: d.replayedRecords(), notices: [...d.notices, ...startNotices] };
  });

  /** Runs the generator to its end; resolves with what stopped it (undefined: its count or a stop). */
  const runGenerator = async (): Promise<{ dropped: boolean; message: string } | undefined> => {
    const d = opened();
    const counting: RecordOutput = {
      write: (batch: readonly LogRecord[], started: readonly BatchEpisode[] = []) => {
        if (generated === undefined) return;
        const first = generated.input.nextOffset;
        // Each episode's label is durable before its first event is in the log.
        d.recordAttackLabels(
          feeds,
          started.map(({ label, index }) => ({ label, offset: first + index })),
        );
        return generated.input.append(batch.map(toJsonLine), batch.map(toSourceRecord));
      },
      close: async () => {},
    };
    const clock = generatorClock(settings['generator-rate'], settings['generator-start'], '1');
    const seeded = settings['generator-seed'] !== '';
    try {
      await drive(
        {
          traffic: {
            ...clock.traffic,
            seed: seedFrom(settings['generator-seed']),
            attacks: attacksFrom(settings['generator-attacks']),
          },
          speedup: clock.speedup,
          signal: stop.signal,
          // A seeded generator continues its sequence after what the log already holds.
          ...(seeded ? { skip: generated?.input.nextOffset ?? 0 } : {}),
          ...(settings['generator-count'] > 0 ? { count: settings['generator-count'] } : {}),
        },
        counting,
      );
      return undefined;
    } catch (error) {
      return { dropped: error instanceof SourceDropped, message: (error as Error).message };
    }
  };

  rpc.handle(ENGINE_CALLS.execute, async (sql, params, tokens, subscriptions) => {
    store.setSubscriptions(subscriptions);
    try {
      return await opened().execute(sql, params, tokens);
    } finally {
      sendCatalog();
    }
  });
  rpc.handle(ENGINE_CALLS.insertValues, async (converted: ConvertedInsertValues) => {
    // Converted for columns the table no longer has (a DDL crossed it): read here, with these.
    return (await opened().insertValues(converted)) ?? (await opened().insertValues(converted.text));
  });
  /** COPYs being read, by the serving thread's number: their data as it comes, and the reading's end. */
  const copies = new Map<number, { readonly chunks: ChunkQueue; readonly done: Promise<number> }>();
  rpc.handle(ENGINE_CALLS.copyBegin, (id: number, command: CopyFromCommand) => {
    const chunks = new ChunkQueue();
    let done: Promise<number>;
    try {
      const d = opened();
      const copy = copyFrom(command, {
        relations: () => d.engine.relations(),
        insertRows: (table, rows, writtenAs) => d.insertRows(table, rows, writtenAs),
      }).copyIn as PgCopyIn;
      done = copy.receive(chunks);
    } catch (e) {
      done = Promise.reject(e);
    }
    done.catch(() => rpc.notify(ENGINE_CALLS.copyFailed, id));
    copies.set(id, { chunks, done });
  });
  rpc.handle(ENGINE_CALLS.copyChunk, (id: number, chunk: Uint8Array) =>
    copies.get(id)?.chunks.push(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength)),
  );
  const copyEnded = (id: number, end: (chunks: ChunkQueue) => void): Promise<number> => {
    const c = copies.get(id);
    if (c === undefined) throw new Error(`no COPY ${id} in progress`);
    copies.delete(id);
    end(c.chunks);
    return c.done;
  };
  rpc.handle(ENGINE_CALLS.copyEnd, (id: number) => copyEnded(id, (chunks) => chunks.end()));
  rpc.handle(ENGINE_CALLS.copyAbort, (id: number, error: CrossingError) =>
    copyEnded(id, (chunks) => chunks.fail(rpc.revive(error))),
  );
  rpc.handle(ENGINE_CALLS.insertRows, (table, rows, writtenAs) =>
    opened().insertRows(table, rows, writtenAs),
  );
  rpc.handle(ENGINE_CALLS.flush, () => opened().flush());
  rpc.handle(ENGINE_CALLS.describeParams, (sql, declared) => opened().engine.describeParams(sql, declared));
  rpc.handle(ENGINE_CALLS.ingestion, () => sourceIngestion(opened().ingestion()));
  rpc.handle(ENGINE_CALLS.viewErrors, () =>
    opened()
      .engine.viewStats()
      .map(({ name, errors, lastError }) => ({ name, errors, lastError })),
  );
  rpc.handle(ENGINE_CALLS.status, (): EngineStatus => {
    const d = opened();
    const { engine } = d;
    const sources = new Set(engine.list('source'));
    const stats = engine.sourceStats();
    const heap = process.memoryUsage();
    return {
      epoch: engine.epoch,
      sourceTotals: stats
        .filter((s) => sources.has(s.name))
        .map((s) => [s.name, s.rows + s.lateRows] as const),
      sources: sourceProgress(engine, d.ingestion()),
      views: engine.viewStats(),
      attackEpisodes: d.attackLabels(),
      commitLatency: d.commitLatency(),
      eventLoopDelay: loopDelay.figures(),
      heapUsedBytes: heap.heapUsed,
      heapTotalBytes: heap.heapTotal,
    };
  });
  rpc.handle(ENGINE_CALLS.ingest, async (source: string, units: readonly string[]) => {
    if (isSystemRelation(source))
      throw new HttpError(403, `source "${source}" is tidewatch's own: it takes no posts`);
    const fed = opened().logInput(source);
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
  });
  rpc.handle(ENGINE_CALLS.audit, (entry: AuditEntry) => appendAuditRecord(auditInput, entry));
  rpc.handle(ENGINE_CALLS.setEpochMs, (ms: number) => durable?.engine.setEpochMs(ms));
  rpc.handle(ENGINE_CALLS.close, async () => {
    stop.abort();
    loopDelay.close();
    await durable?.close();
  });
}
