/**
 * A sink's definition made into its running delivery: its options read (sink-options.ts), the
 * target its connector names, and the delivery reading its queue in the store.
 */
import type { SinkSpec } from '../engine/sink-catalog.ts';
import type { SinkDeadLetter } from '../runtime/sink.ts';
import { BlocklistTarget } from './blocklist-target.ts';
import type { Blocklists } from './blocklists.ts';
import { SinkDelivery, type SinkQueueStore } from './delivery.ts';
import { FileTarget } from './file-target.ts';
import { KafkaTarget } from './kafka-target.ts';
import { BlackholeTarget, type LineOutput, LogTarget } from './log-target.ts';
import { type SinkConfig, sinkConfig } from './sink-options.ts';
import type { SinkTarget } from './target.ts';
import { WebhookTarget } from './webhook-target.ts';

export interface SinkEnvironment {
  readonly store: SinkQueueStore;
  /** Resolves a relative file sink path. */
  readonly cwd: string;
  readonly stdout: LineOutput;
  readonly stderr: LineOutput;
  readonly onDeadLetter?: (sink: string, report: SinkDeadLetter) => void;
  /** Where blocklist sinks keep their lists; without it a blocklist sink cannot run. */
  readonly dataDir?: string;
  /** Where blocklist sinks show their blocks to the decisions API. */
  readonly blocklists?: Blocklists;
}

function targetOf(spec: SinkSpec, config: SinkConfig, env: SinkEnvironment): SinkTarget {
  const c = config.connector;
  switch (c.kind) {
    case 'webhook':
      return new WebhookTarget(c, spec.columns);
    case 'file':
      return new FileTarget(c, spec.columns);
    case 'log':
      return new LogTarget(c.target === 'stdout' ? env.stdout : env.stderr, spec.columns);
    case 'kafka':
      return new KafkaTarget(
        c,
        spec.columns,
        {
          type: config.type,
          key: config.type === 'upsert' || config.primaryKeyGiven ? config.primaryKey : [],
        },
        spec.name,
      );
    case 'blackhole':
      return new BlackholeTarget();
    case 'blocklist': {
      const dataDir = env.dataDir;
      if (dataDir === undefined) throw new Error(`blocklist sink ${spec.name} needs a data directory`);
      return new BlocklistTarget({
        sink: spec.name,
        config: c,
        primaryKey: config.primaryKey,
        dataDir,
        fresh: env.store.sinkProgress(spec.name) === undefined,
        connectReader: () => env.store.connectReader(),
        registry: env.blocklists,
        onError: (message) => env.stderr.write(`tidewatch: sink ${spec.name}: ${message}\n`),
      });
    }
  }
}

/** The delivery of a sink, not started. */
export function openSink(spec: SinkSpec, env: SinkEnvironment): SinkDelivery {
  const config = sinkConfig(spec, env.cwd);
  return new SinkDelivery({
    name: spec.name,
    from: spec.from,
    columns: spec.columns,
    config,
    target: targetOf(spec, config, env),
    store: env.store,
    onDeadLetter: (report) => env.onDeadLetter?.(spec.name, report),
  });
}
