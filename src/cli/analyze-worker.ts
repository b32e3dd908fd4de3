/**
 * One of `tidewatch analyze`'s pipeline threads (see analyze-threads.ts): the pipeline files up
 * to its own applied to an engine of its own, the views of the earlier files dropped (they run
 * on another thread), then the log's bytes as the main thread reads them, and at the end the
 * rows of every view it kept.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { ViewContents } from '../analyze/combined-views.ts';
import { FinishedLog } from '../analyze/finished-log.ts';
import { SqlError, SqlState } from '../sql/errors.ts';
import { quoteIdentifier } from '../store/query/identifiers.ts';
import type { FromThread, ThreadSpec, ToThread } from './analyze-threads.ts';
import { inputDecoder } from './inputs.ts';
import { applyPipelines, PipelineError } from './pipelines.ts';

const spec = workerData as ThreadSpec;
const port = parentPort;
if (port === null) throw new Error('analyze-worker.ts runs as a worker thread');
const send = (message: FromThread) => port.postMessage(message);
const log = new FinishedLog();

/** Applies the pipelines and drops what another thread computes; the views this one keeps. */
async function prepare(): Promise<string[]> {
  const views = () => log.engine.list('materialized view');
  await applyPipelines(log.engine, spec.pipelines.slice(0, spec.own));
  const others = views();
  await applyPipelines(log.engine, [spec.pipelines[spec.own] as string]);
  // A view another one reads goes after it; one that a view of this file reads stays (computed
  // here too).
  let left = others;
  for (let dropped = true; dropped; ) {
    dropped = false;
    const still: string[] = [];
    for (const name of left) {
      try {
        await log.engine.execute(`DROP MATERIALIZED VIEW ${quoteIdentifier(name)}`);
        dropped = true;
      } catch (error) {
        if (!(error instanceof SqlError && error.sqlstate === SqlState.dependentObjectsStillExist))
          throw error;
        still.push(name);
      }
    }
    left = still;
  }
  const spec0 = log.engine.sourceSpec(spec.source);
  if (spec0 === undefined) throw new Error(`the pipelines create no source ${spec.source}`);
  log.input(spec.source, inputDecoder(spec.format, spec0));
  return views();
}

let kept: string[] = [];
try {
  kept = await prepare();
  send({ kind: 'ready' });
} catch (error) {
  send({
    kind: 'failed',
    message: error instanceof Error ? error.message : String(error),
    pipeline: error instanceof PipelineError,
  });
}

port.on('message', (message: ToThread) => {
  switch (message.kind) {
    case 'chunk':
      log.write(message.bytes);
      send({ kind: 'ack' });
      return;
    case 'end-input':
      log.endInput();
      return;
    case 'close': {
      log.close();
      const views: Record<string, ViewContents> = {};
      for (const name of kept) {
        const columns = log.engine.getRelation(name)?.columns ?? [];
        views[name] = {
          columns: columns.map((c) => ({ name: c.name, type: c.type })),
          rows: log.engine.rows(name),
        };
      }
      send({ kind: 'views', views });
      log.engine.close();
      port.close();
      return;
    }
  }
});
