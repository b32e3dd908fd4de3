/**
 * A sink's definition made into its running delivery: its options read (sink-options.ts), the
 * target its connector names, and the delivery reading its queue in the store.
 */
import type { SinkSpec } from '../engine/sink-catalog.ts';
import type { SinkDeadLetter } from '../runtime/sink.ts';
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
