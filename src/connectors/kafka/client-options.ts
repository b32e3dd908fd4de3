/**
 * What every Kafka client of tidewatch is given: the bootstrap brokers and the security settings,
 * read from RisingWave's `properties.*` names (`properties.security.protocol`,
 * `properties.sasl.mechanism`, …) into @platformatic/kafka's connection options. What that
 * client cannot do is refused here, by name, before anything connects.
 */
import { readFileSync } from 'node:fs';
import type { ConnectionOptions as TlsOptions } from 'node:tls';
import type { SASLOptions } from '@platformatic/kafka';

/** A setting that cannot work (a bad value, an unsupported mechanism, an unreadable file). */
export class KafkaConfigError extends Error {
  override readonly name = 'KafkaConfigError';
}

export type SecurityProtocol = 'PLAINTEXT' | 'SSL' | 'SASL_PLAINTEXT' | 'SASL_SSL';
export type SaslMechanism = 'PLAIN' | 'SCRAM-SHA-256' | 'SCRAM-SHA-512';

export interface KafkaSecurity {
  readonly protocol: SecurityProtocol;
  readonly sasl?: { readonly mechanism: SaslMechanism; readonly username: string; readonly password: string };
  /** For SSL and SASL_SSL: PEM contents, and whether the broker's certificate is checked (default yes). */
  readonly tls?: {
    readonly ca?: string;
    readonly cert?: string;
    readonly key?: string;
    readonly passphrase?: string;
    readonly verify?: boolean;
  };
}

export const PLAINTEXT: KafkaSecurity = { protocol: 'PLAINTEXT' };

const PROTOCOLS: readonly SecurityProtocol[] = ['PLAINTEXT', 'SSL', 'SASL_PLAINTEXT', 'SASL_SSL'];
const MECHANISMS: readonly SaslMechanism[] = ['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512'];
/** Mechanisms RisingWave knows and tidewatch's client does not offer. */
const REFUSED_MECHANISMS: Readonly<Record<string, string>> = {
  GSSAPI: 'Kerberos (GSSAPI) is not supported; use PLAIN or SCRAM-SHA-256/512',
  OAUTHBEARER: 'OAUTHBEARER is not supported; use PLAIN or SCRAM-SHA-256/512',
};

/** The `properties.*` names this module reads; any other `properties.` name is refused. */
export const SECURITY_PROPERTIES = [
  'properties.security.protocol',
  'properties.sasl.mechanism',
  'properties.sasl.username',
  'properties.sasl.password',
  'properties.ssl.ca.location',
  'properties.ssl.certificate.location',
  'properties.ssl.key.location',
  'properties.ssl.key.password',
  'properties.ssl.endpoint.identification.algorithm',
] as const;

/** `host:port[,host:port…]` as a list; throws KafkaConfigError naming a bad entry. */
export function parseBootstrap(text: string): string[] {
  const brokers = text
    .split(',')
    .map((b) => b.trim())
    .filter((b) => b !== '');
  if (brokers.length === 0) throw new KafkaConfigError('no Kafka bootstrap broker given (host:port)');
  for (const broker of brokers) {
    const match = /^(\[[^\]]+\]|[^:[\]]+):(\d{1,5})$/.exec(broker);
    const port = match ? Number(match[2]) : 0;
    if (!match || port < 1 || port > 65535)
      throw new KafkaConfigError(`"${broker}" is not a Kafka broker address (host:port)`);
  }
  return brokers;
}

/**
 * The security settings given by RisingWave's `properties.*` names (the keys of `properties`
 * other than `properties.*` ones are not looked at). PLAINTEXT when none is given.
 */
export function securityFromProperties(properties: Readonly<Record<string, string>>): KafkaSecurity {
  const get = (name: (typeof SECURITY_PROPERTIES)[number]): string | undefined => properties[name];
  const protocolText = (get('properties.security.protocol') ?? 'PLAINTEXT').toUpperCase();
  if (!(PROTOCOLS as readonly string[]).includes(protocolText))
    throw new KafkaConfigError(
      `properties.security.protocol '${protocolText}' is not one of ${PROTOCOLS.join(', ')}`,
    );
  const protocol = protocolText as SecurityProtocol;
  const usesSasl = protocol === 'SASL_PLAINTEXT' || protocol === 'SASL_SSL';
  const usesTls = protocol === 'SSL' || protocol === 'SASL_SSL';

  const mechanismText = get('properties.sasl.mechanism');
  const username = get('properties.sasl.username');
  const password = get('properties.sasl.password');
  if (!usesSasl && (mechanismText !== undefined || username !== undefined || password !== undefined))
    throw new KafkaConfigError(
      `properties.sasl.* given with properties.security.protocol '${protocol}': use SASL_PLAINTEXT or SASL_SSL`,
    );
  let sasl: KafkaSecurity['sasl'];
  if (usesSasl) {
    const mechanism = (mechanismText ?? 'PLAIN').toUpperCase();
    const refused = REFUSED_MECHANISMS[mechanism];
    if (refused !== undefined) throw new KafkaConfigError(`properties.sasl.mechanism: ${refused}`);
    if (!(MECHANISMS as readonly string[]).includes(mechanism))
      throw new KafkaConfigError(
        `properties.sasl.mechanism '${mechanismText}' is not one of ${MECHANISMS.join(', ')}`,
      );
    if (username === undefined || password === undefined)
      throw new KafkaConfigError(
        `${protocol} with ${mechanism} needs properties.sasl.username and properties.sasl.password`,
      );
    sasl = { mechanism: mechanism as SaslMechanism, username, password };
  }

  const tlsNames = SECURITY_PROPERTIES.filter((n) => n.startsWith('properties.ssl.'));
  const givenTls = tlsNames.filter((n) => get(n) !== undefined);
  if (!usesTls && givenTls.length > 0)
    throw new KafkaConfigError(
      `${givenTls[0]} given with properties.security.protocol '${protocol}': use SSL or SASL_SSL`,
    );
  let tls: KafkaSecurity['tls'];
  if (usesTls) {
    const file = (name: (typeof SECURITY_PROPERTIES)[number]): string | undefined => {
      const path = get(name);
      if (path === undefined) return undefined;
      try {
        return readFileSync(path, 'utf8');
      } catch (error) {
        throw new KafkaConfigError(`${name} '${path}' cannot be read: ${(error as Error).message}`);
      }
    };
    const identification = get('properties.ssl.endpoint.identification.algorithm');
    if (identification !== undefined && identification !== 'none' && identification !== 'https')
      throw new KafkaConfigError(
        `properties.ssl.endpoint.identification.algorithm '${identification}' is not 'https' or 'none'`,
      );
    const cert = file('properties.ssl.certificate.location');
    const key = file('properties.ssl.key.location');
    if ((cert === undefined) !== (key === undefined))
      throw new KafkaConfigError(
        'properties.ssl.certificate.location and properties.ssl.key.location go together',
      );
    const ca = file('properties.ssl.ca.location');
    const passphrase = get('properties.ssl.key.password');
    tls = {
      ...(ca !== undefined ? { ca } : {}),
      ...(cert !== undefined ? { cert } : {}),
      ...(key !== undefined ? { key } : {}),
      ...(passphrase !== undefined ? { passphrase } : {}),
      verify: identification !== 'none',
    };
  }
  return { protocol, ...(sasl ? { sasl } : {}), ...(tls ? { tls } : {}) };
}

/** @platformatic/kafka's `tls` and `sasl` options for these settings. */
export function connectionOptions(security: KafkaSecurity): { tls?: TlsOptions; sasl?: SASLOptions } {
  const options: { tls?: TlsOptions; sasl?: SASLOptions } = {};
  if (security.tls !== undefined) {
    const { ca, cert, key, passphrase, verify } = security.tls;
    options.tls = {
      ...(ca !== undefined ? { ca } : {}),
      ...(cert !== undefined ? { cert } : {}),
      ...(key !== undefined ? { key } : {}),
      ...(passphrase !== undefined ? { passphrase } : {}),
      rejectUnauthorized: verify !== false,
      ...(verify === false ? { checkServerIdentity: () => undefined } : {}),
    };
  }
  if (security.sasl !== undefined) {
    const { mechanism, username, password } = security.sasl;
    options.sasl = { mechanism, username, password };
  }
  return options;
}

/**
 * One line saying why a Kafka call failed: the distinct innermost reasons of the client's
 * nested errors (`connect ECONNREFUSED 127.0.0.1:9092`, a broker's error name), not its stack.
 */
export function describeKafkaError(error: unknown): string {
  const reasons: string[] = [];
  const visit = (e: unknown, depth: number): void => {
    if (depth > 8) return;
    if (!(e instanceof Error)) {
      reasons.push(String(e));
      return;
    }
    const nested = (e as { errors?: unknown }).errors;
    const children = [...(Array.isArray(nested) ? nested : []), ...(e.cause !== undefined ? [e.cause] : [])];
    if (children.length === 0) {
      const apiId = (e as { apiId?: unknown }).apiId;
      reasons.push(
        typeof apiId === 'string' && !e.message.includes(apiId) ? `${apiId}: ${e.message}` : e.message,
      );
      return;
    }
    for (const child of children) visit(child, depth + 1);
  };
  visit(error, 0);
  const distinct = [...new Set(reasons)];
  const text = distinct.slice(0, 3).join('; ');
  return distinct.length > 3 ? `${text}; …` : text;
}
