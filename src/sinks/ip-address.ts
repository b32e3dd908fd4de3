/**
 * IP addresses as a block list keeps them: one canonical text per address (IPv6 compressed and
 * lower-case, an IPv4-mapped IPv6 address as its IPv4 address, which is how nginx and a firewall
 * see such a client), and an allow-list of addresses and CIDR ranges of both families.
 */
import { BlockList, isIP, SocketAddress } from 'node:net';

export type IpFamily = 'ipv4' | 'ipv6';

export interface IpAddress {
  readonly text: string;
  readonly family: IpFamily;
}

const MAPPED_V4 = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i;

/** The address `text` names, canonical; undefined when it is not one IP address. */
export function parseIp(text: string): IpAddress | undefined {
  const t = text.trim();
  const version = isIP(t);
  if (version === 0) return undefined;
  const family: IpFamily = version === 4 ? 'ipv4' : 'ipv6';
  const canonical = new SocketAddress({ address: t, family }).address;
  const mapped = MAPPED_V4.exec(canonical);
  if (mapped !== null) return { text: mapped[1] as string, family: 'ipv4' };
  return { text: canonical, family };
}

/** An address or a CIDR range (`10.0.0.0/8`, `2001:db8::/32`); undefined when it is neither. */
export function parseRange(text: string): { address: IpAddress; prefix: number } | undefined {
  const [ip, bits, extra] = text.trim().split('/');
  if (ip === undefined || extra !== undefined) return undefined;
  const address = parseIp(ip);
  if (address === undefined) return undefined;
  const max = address.family === 'ipv4' ? 32 : 128;
  if (bits === undefined) return { address, prefix: max };
  if (!/^\d{1,3}$/.test(bits) || Number(bits) > max) return undefined;
  return { address, prefix: Number(bits) };
}

/** Addresses and ranges never to block. */
export class AllowList {
  readonly #list = new BlockList();
  /** Entries that were neither an address nor a range, ignored. */
  readonly invalid: readonly string[];

  constructor(entries: Iterable<string>) {
    const invalid: string[] = [];
    for (const entry of entries) {
      const range = parseRange(entry);
      if (range === undefined) invalid.push(entry);
      else this.#list.addSubnet(range.address.text, range.prefix, range.address.family);
    }
    this.invalid = invalid;
  }

  allows(ip: IpAddress): boolean {
    return this.#list.check(ip.text, ip.family);
  }
}

/** Whether `ip` lies in the range `range` (an address or CIDR text, as parsed by parseRange). */
export function inRange(ip: IpAddress, range: { address: IpAddress; prefix: number }): boolean {
  if (ip.family !== range.address.family) return false;
  const list = new BlockList();
  list.addSubnet(range.address.text, range.prefix, range.address.family);
  return list.check(ip.text, ip.family);
}
