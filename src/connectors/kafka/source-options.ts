/**
 * A Kafka source's `WITH (…)` options, as RisingWave names them, turned into the reader's
 * options:
 *
 *   connector = 'kafka', topic = '…', properties.bootstrap.server = 'host:port,…',
 *   scan.startup.mode = 'earliest' | 'latest', scan.startup.timestamp.millis = '…',
 *   properties.security.protocol, properties.sasl.*, properties.ssl.*, properties.client.id
 *
 * A timestamp wins over the mode, as in RisingWave. Options tidewatch does not act on are
 * refused by name rather than ignored.
 */
import {
  KafkaConfigError,
  parseBootstrap,
  SECURITY_PROPERTIES,
  securityFromProperties,
} from './client-options.ts';
import type { KafkaReaderOptions, Startup } from './reader.ts';

const KNOWN = new Set<string>([
  'connector',
  'topic',
  'properties.bootstrap.server',
  'scan.startup.mode',
  'scan.startup.timestamp.millis',
  'scan.startup.timestamp_millis',
  'properties.client.id',
  ...SECURITY_PROPERTIES,
]);

export function readerOptionsFromWith(options: Readonly<Record<string, string>>): KafkaReaderOptions {
  const unknown = Object.keys(options).filter((k) => !KNOWN.has(k));
  if (unknown.length > 0)
    throw new KafkaConfigError(
      `Kafka source option${unknown.length > 1 ? 's' : ''} ${unknown.map((k) => `'${k}'`).join(', ')} not supported`,
    );
  const connector = options.connector;
  if (connector !== undefined && connector.toLowerCase() !== 'kafka')
    throw new KafkaConfigError(`connector '${connector}' is not 'kafka'`);
  const topic = options.topic;
  if (topic === undefined || topic === '') throw new KafkaConfigError("Kafka source needs topic = '…'");
  const servers = options['properties.bootstrap.server'];
  if (servers === undefined)
    throw new KafkaConfigError("Kafka source needs properties.bootstrap.server = 'host:port'");

  let startup: Startup = { mode: 'earliest' };
  const mode = options['scan.startup.mode']?.toLowerCase();
  if (mode !== undefined) {
    if (mode !== 'earliest' && mode !== 'latest')
      throw new KafkaConfigError(`scan.startup.mode '${mode}' is not 'earliest' or 'latest'`);
    startup = { mode };
  }
  const millis = options['scan.startup.timestamp.millis'] ?? options['scan.startup.timestamp_millis'];
  if (millis !== undefined) {
    if (!/^\d{1,15}$/.test(millis))
      throw new KafkaConfigError(`scan.startup.timestamp.millis '${millis}' is not milliseconds since 1970`);
    startup = { timestampMs: Number(millis) };
  }
  const clientId = options['properties.client.id'];
  return {
    bootstrap: parseBootstrap(servers),
    topic,
    startup,
    security: securityFromProperties(options),
    ...(clientId !== undefined ? { clientId } : {}),
  };
}
