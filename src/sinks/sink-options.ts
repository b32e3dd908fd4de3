/**
 * A sink's `WITH (…)` options and `FORMAT … ENCODE …` clause, checked and made into what its
 * delivery needs. This is what CREATE SINK runs: an unknown connector is 0A000, a missing,
 * unknown or bad option 22023 naming it — never a sink that silently delivers nothing.
 *
 * Options every sink takes, as RisingWave names them where it has them:
 *
 * * `connector` — `webhook`, `file`, `log`, `kafka`, `blackhole`;
 * * `type` — `append-only` or `upsert` (or `FORMAT PLAIN | UPSERT ENCODE JSON`); an append-only
 *   sink over a relation that retracts rows needs `force_append_only = 'true'`, which drops
 *   deletions and turns updates into insertions, as in RisingWave;
 * * `primary_key` — the columns naming an alert (default: the relation's key, else every column);
 * * `snapshot` — `true` (default): the relation's rows at CREATE are delivered first;
 * * `throttle.key`, `throttle.period` — tidewatch's: at most one notification per key and period
 *   (the key defaults to `primary_key`);
 * * `retry.backoff.ms`, `retry.backoff.max.ms` — the first delay between attempts and its cap.
 */
import { resolve } from 'node:path';
import type { KafkaSecurity } from '../connectors/kafka/client-options.ts';
import {
  KafkaConfigError,
  parseBootstrap,
  SECURITY_PROPERTIES,
  securityFromProperties,
} from '../connectors/kafka/client-options.ts';
import type { SinkSpec } from '../engine/sink-catalog.ts';
import { SqlError, SqlState } from '../sql/errors.ts';
import { intervalMicros, parseInterval } from '../sql/literals.ts';

export type SinkType = 'append-only' | 'upsert';

export interface WebhookConfig {
  readonly kind: 'webhook';
  readonly url: string;
  /** Sent with every request, `Authorization: Bearer …` among them when `auth.token` is given. */
  readonly headers: Readonly<Record<string, string>>;
  readonly timeoutMs: number;
  /** `json`: tidewatch's message as it is; `slack`: `{text}` for Slack's incoming webhooks. */
  readonly payload: 'json' | 'slack';
}

export interface FileConfig {
  readonly kind: 'file';
  /** Absolute. */
  readonly path: string;
}

export interface LogConfig {
  readonly kind: 'log';
  readonly target: 'stderr' | 'stdout';
}

export interface KafkaConfig {
  readonly kind: 'kafka';
  readonly bootstrap: readonly string[];
  readonly topic: string;
  readonly security: KafkaSecurity;
  readonly clientId: string | undefined;
  readonly timeoutMs: number;
}

export interface BlackholeConfig {
  readonly kind: 'blackhole';
}

export type ConnectorConfig = WebhookConfig | FileConfig | LogConfig | KafkaConfig | BlackholeConfig;

export interface Throttle {
  /** Column indexes. */
  readonly key: readonly number[];
  readonly periodMs: number;
}

export interface SinkConfig {
  readonly connector: ConnectorConfig;
  readonly type: SinkType;
  /** An append-only sink over a relation that retracts rows: retractions are dropped. */
  readonly forceAppendOnly: boolean;
  /** Column indexes naming an alert (an upsert's key). */
  readonly primaryKey: readonly number[];
  /** The primary key was given (`primary_key`), not derived. */
  readonly primaryKeyGiven: boolean;
  readonly throttle: Throttle | undefined;
  readonly snapshot: boolean;
  readonly backoff: { readonly firstMs: number; readonly maxMs: number };
}

export const SINK_CONNECTORS = ['webhook', 'file', 'log', 'kafka', 'blackhole'] as const;

const COMMON = new Set([
  'connector',
  'type',
  'force_append_only',
  'primary_key',
  'snapshot',
  'throttle.key',
  'throttle.period',
  'retry.backoff.ms',
  'retry.backoff.max.ms',
]);

const CONNECTOR_OPTIONS: Readonly<Record<(typeof SINK_CONNECTORS)[number], (key: string) => boolean>> = {
  webhook: (k) =>
    k === 'url' || k === 'auth.token' || k === 'timeout' || k === 'payload' || k.startsWith('headers.'),
  file: (k) => k === 'path',
  log: (k) => k === 'target',
  kafka: (k) =>
    k === 'topic' ||
    k === 'properties.bootstrap.server' ||
    k === 'properties.client.id' ||
    k === 'properties.message.timeout.ms' ||
    (SECURITY_PROPERTIES as readonly string[]).includes(k),
  blackhole: () => false,
};

function invalid(message: string): SqlError {
  return new SqlError(SqlState.invalidParameterValue, message);
}

function bool(options: SinkSpec['options'], name: string, fallback: boolean): boolean {
  const v = options.get(name);
  if (v === undefined) return fallback;
  const t = v.trim().toLowerCase();
  if (t === 'true') return true;
  if (t === 'false') return false;
  throw invalid(`${name} must be 'true' or 'false', not '${v}'`);
}

/** Milliseconds of an interval option (`'10 minutes'`, `'5s'`), positive and without months. */
function durationMs(name: string, text: string): number {
  const iv = parseInterval(text);
  const micros = iv === undefined ? undefined : intervalMicros(iv);
  if (micros === undefined || !(micros > 0))
    throw invalid(`${name} must be a positive interval such as '10 minutes' or '5s', not '${text}'`);
  return micros / 1000;
}

function positiveInteger(name: string, text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!/^\d+$/.test(text.trim()) || !(n > 0))
    throw invalid(`${name} must be a positive integer, not '${text}'`);
  return n;
}

/** Column indexes of a comma-separated list of the sink's column names. */
function columnList(spec: SinkSpec, name: string, text: string): number[] {
  const names = text
    .split(',')
    .map((n) => n.trim())
    .filter((n) => n !== '');
  if (names.length === 0) throw invalid(`${name} names no column`);
  return names.map((n) => {
    const i = spec.columns.findIndex((c) => c.name === n || c.name === n.toLowerCase());
    if (i < 0)
      throw invalid(
        `${name}: "${n}" is not a column of "${spec.from}" (${spec.columns.map((c) => c.name).join(', ')})`,
      );
    return i;
  });
}

/** `type` and the FORMAT clause, which must agree; undefined when neither says. */
function sinkType(spec: SinkSpec): { type: SinkType | undefined; force: boolean } {
  const given = spec.options.get('type')?.toLowerCase();
  if (given !== undefined && given !== 'append-only' && given !== 'upsert')
    throw new SqlError(
      given === 'debezium' ? SqlState.featureNotSupported : SqlState.invalidParameterValue,
      `sink type '${given}' is not supported (append-only or upsert)`,
    );
  let force = bool(spec.options, 'force_append_only', false);
  const f = spec.format;
  if (f === undefined) return { type: given, force };
  if (f.encode !== 'JSON')
    throw new SqlError(SqlState.featureNotSupported, `sink ENCODE ${f.encode} is not supported (JSON)`);
  if (f.format !== 'PLAIN' && f.format !== 'UPSERT')
    throw new SqlError(
      SqlState.featureNotSupported,
      `sink FORMAT ${f.format} is not supported (PLAIN or UPSERT)`,
    );
  const unknown = [...f.options.keys()].filter((k) => k !== 'force_append_only');
  if (unknown.length > 0)
    throw invalid(`FORMAT ${f.format} ENCODE JSON option ${unknown.join(', ')} is not supported`);
  force = force || bool(f.options, 'force_append_only', false);
  const type: SinkType = f.format === 'PLAIN' ? 'append-only' : 'upsert';
  if (given !== undefined && given !== type)
    throw invalid(`type = '${given}' contradicts FORMAT ${f.format}`);
  return { type, force };
}

function connectorConfig(
  spec: SinkSpec,
  name: (typeof SINK_CONNECTORS)[number],
  cwd: string,
): ConnectorConfig {
  const o = spec.options;
  switch (name) {
    case 'webhook': {
      const url = o.get('url');
      if (url === undefined || url === '') throw invalid("webhook sink needs url = 'http://…'");
      let parsed: URL;
      try {
        parsed = new URL(url);
      } catch {
        throw invalid(`webhook url '${url}' is not a URL`);
      }
      if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')
        throw invalid(`webhook url '${url}' is not http:// or https://`);
      const headers: Record<string, string> = {};
      for (const [k, v] of o)
        if (k.startsWith('headers.')) {
          const header = k.slice('headers.'.length);
          if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(header))
            throw invalid(`'${k}' does not name an HTTP header`);
          if (/[\r\n]/.test(v)) throw invalid(`header ${header}: a value cannot hold a line break`);
          headers[header.toLowerCase()] = v;
        }
      const token = o.get('auth.token');
      if (token !== undefined) {
        if (/[\r\n]/.test(token)) throw invalid('auth.token cannot hold a line break');
        headers.authorization = `Bearer ${token}`;
      }
      const payload = (o.get('payload') ?? 'json').toLowerCase();
      if (payload !== 'json' && payload !== 'slack')
        throw invalid(`payload must be 'json' or 'slack', not '${payload}'`);
      const timeout = o.get('timeout');
      return {
        kind: 'webhook',
        url: parsed.href,
        headers,
        timeoutMs: timeout === undefined ? 10_000 : durationMs('timeout', timeout),
        payload,
      };
    }
    case 'file': {
      const path = o.get('path');
      if (path === undefined || path === '') throw invalid("file sink needs path = 'alerts.ndjson'");
      return { kind: 'file', path: resolve(cwd, path) };
    }
    case 'log': {
      const target = (o.get('target') ?? 'stderr').toLowerCase();
      if (target !== 'stderr' && target !== 'stdout')
        throw invalid(`target must be 'stderr' or 'stdout', not '${target}'`);
      return { kind: 'log', target };
    }
    case 'kafka': {
      const topic = o.get('topic');
      if (topic === undefined || topic === '') throw invalid("Kafka sink needs topic = '…'");
      const servers = o.get('properties.bootstrap.server');
      if (servers === undefined) throw invalid("Kafka sink needs properties.bootstrap.server = 'host:port'");
      try {
        return {
          kind: 'kafka',
          bootstrap: parseBootstrap(servers),
          topic,
          security: securityFromProperties(Object.fromEntries(o)),
          clientId: o.get('properties.client.id'),
          timeoutMs: positiveInteger(
            'properties.message.timeout.ms',
            o.get('properties.message.timeout.ms'),
            5000,
          ),
        };
      } catch (e) {
        if (e instanceof KafkaConfigError) throw invalid(e.message);
        throw e;
      }
    }
    case 'blackhole':
      return { kind: 'blackhole' };
  }
}

/**
 * The configuration a sink's definition gives (SqlError 0A000 or 22023 when it gives none that
 * works). `cwd` resolves a relative file path. Nothing is contacted.
 */
export function sinkConfig(spec: SinkSpec, cwd = process.cwd()): SinkConfig {
  const connector = spec.options.get('connector')?.toLowerCase();
  if (connector === undefined || connector === '')
    throw invalid(`a sink needs connector = '…' (${SINK_CONNECTORS.join(', ')})`);
  if (!(SINK_CONNECTORS as readonly string[]).includes(connector))
    throw new SqlError(
      SqlState.featureNotSupported,
      `sink connector '${connector}' is not supported (tidewatch delivers to ${SINK_CONNECTORS.join(', ')})`,
    );
  const name = connector as (typeof SINK_CONNECTORS)[number];
  const own = CONNECTOR_OPTIONS[name];
  const unknown = [...spec.options.keys()].filter((k) => !COMMON.has(k) && !own(k));
  if (unknown.length > 0)
    throw invalid(
      `${name} sink option${unknown.length > 1 ? 's' : ''} ${unknown.map((k) => `'${k}'`).join(', ')} not supported`,
    );

  const { type: declared, force } = sinkType(spec);
  if (declared === undefined && name === 'kafka')
    throw invalid("Kafka sink needs type = 'append-only' | 'upsert' (or FORMAT PLAIN | UPSERT ENCODE JSON)");
  const type = declared ?? 'upsert';
  if (force && type !== 'append-only') throw invalid("force_append_only = 'true' is for append-only sinks");
  if (type === 'append-only' && !spec.appendOnly && !force)
    throw invalid(
      `the sink cannot be append-only: "${spec.from}" retracts rows. Set force_append_only = 'true' to drop deletions and deliver updates as insertions, or type = 'upsert'`,
    );

  const pkText = spec.options.get('primary_key');
  const primaryKey =
    pkText !== undefined
      ? columnList(spec, 'primary_key', pkText)
      : (spec.key ?? spec.columns.map((_, i) => i));

  const periodText = spec.options.get('throttle.period');
  const keyText = spec.options.get('throttle.key');
  if (keyText !== undefined && periodText === undefined)
    throw invalid("throttle.key needs throttle.period = '10 minutes'");
  const throttle =
    periodText === undefined
      ? undefined
      : {
          key: keyText === undefined ? primaryKey : columnList(spec, 'throttle.key', keyText),
          periodMs: durationMs('throttle.period', periodText),
        };

  const firstMs = positiveInteger('retry.backoff.ms', spec.options.get('retry.backoff.ms'), 200);
  const maxMs = positiveInteger('retry.backoff.max.ms', spec.options.get('retry.backoff.max.ms'), 30_000);
  if (maxMs < firstMs) throw invalid('retry.backoff.max.ms must not be below retry.backoff.ms');

  return {
    connector: connectorConfig(spec, name, cwd),
    type,
    forceAppendOnly: force,
    primaryKey,
    primaryKeyGiven: pkText !== undefined,
    throttle,
    snapshot: bool(spec.options, 'snapshot', true),
    backoff: { firstMs, maxMs },
  };
}

/** What CREATE SINK checks: its connector and options, as SqlErrors. */
export function checkSink(spec: SinkSpec): void {
  sinkConfig(spec);
}
