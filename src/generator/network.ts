/** IPv4 addresses of visitors, of attackers, and of crawlers inside their published networks. */
import { flatString } from './flat-string.ts';
import type { Random } from './random.ts';

/** First octets of consumer ISP and mobile networks across regions. */
const RESIDENTIAL_FIRST_OCTETS = [
  2, 24, 31, 37, 41, 46, 49, 50, 58, 62, 68, 71, 73, 76, 77, 78, 79, 81, 82, 84, 86, 87, 88, 90, 92, 93, 95,
  98, 99, 102, 106, 109, 112, 114, 117, 121, 122, 151, 174, 175, 176, 177, 178, 180, 186, 188, 189, 197, 200,
  201,
];

/** Hosting, VPN and Tor-exit networks that hostile traffic tends to come from; disjoint from the above. */
const HOSTILE_NETWORKS = [
  '185.220',
  '45.155',
  '193.142',
  '89.248',
  '141.98',
  '194.26',
  '103.152',
  '91.240',
  '80.82',
  '162.142',
  '179.43',
  '23.129',
];

function octet(random: Random): number {
  return 1 + random.int(254);
}

export function residentialIp(random: Random): string {
  return flatString(
    `${random.pick(RESIDENTIAL_FIRST_OCTETS)}.${random.int(256)}.${random.int(256)}.${octet(random)}`,
  );
}

export function hostileIp(random: Random): string {
  return flatString(`${random.pick(HOSTILE_NETWORKS)}.${random.int(256)}.${octet(random)}`);
}

/** An address inside one of the given /24 networks ("a.b.c"). */
export function ipInNetwork(random: Random, networks: readonly string[]): string {
  return flatString(`${random.pick(networks)}.${octet(random)}`);
}
