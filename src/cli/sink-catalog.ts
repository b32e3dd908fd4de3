/**
 * The sinks as the PostgreSQL endpoint's catalog shows them (rw_sinks, tidewatch_sinks): each
 * sink's definition from the engine's catalog, with how its delivery is doing now.
 */
import type { SinkSpec } from '../engine/engine.ts';
import type { SinkStatus } from '../runtime/sink.ts';
import { sinkConfig } from '../sinks/sink-options.ts';
import { redactDefinition, redactOptions, redactUrl } from '../sql/secret-options.ts';
import type { CatalogSink } from '../store/query/ad-hoc-session.ts';

/** RisingWave's name of a sink's type. */
function sinkType(spec: SinkSpec): string {
  try {
    const config = sinkConfig(spec);
    if (config.type === 'upsert') return 'SINK_TYPE_UPSERT';
    return config.forceAppendOnly ? 'SINK_TYPE_FORCE_APPEND_ONLY' : 'SINK_TYPE_APPEND_ONLY';
  } catch {
    return 'SINK_TYPE_UNSPECIFIED';
  }
}

/** A sink's delivery status as shown (/api/status, tidewatch_sinks): its last error without a URL's password. */
export function shownStatus(status: SinkStatus): SinkStatus {
  return status.lastError === undefined ? status : { ...status, lastError: redactUrl(status.lastError) };
}

export function catalogSinks(specs: readonly SinkSpec[], statuses: readonly SinkStatus[]): CatalogSink[] {
  return specs.map((spec) => {
    const status = statuses.find((s) => s.name === spec.name);
    return {
      name: spec.name,
      from: spec.from,
      // Shown to every session: secrets redacted (the engine keeps them).
      definition: redactDefinition(spec.definition),
      options: redactOptions(Object.fromEntries(spec.options)),
      ...(spec.format === undefined
        ? {}
        : {
            format: {
              format: spec.format.format,
              encode: spec.format.encode,
              options: redactOptions(Object.fromEntries(spec.format.options)),
            },
          }),
      sinkType: sinkType(spec),
      ...(status === undefined ? {} : { delivery: shownStatus(status) }),
    };
  });
}
