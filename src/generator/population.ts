/** Registered users: account ids and names, the few addresses each uses, one browser each. */
import { BROWSER_AGENTS } from './agents.ts';
import { flatString } from './flat-string.ts';
import { residentialIp } from './network.ts';
import type { Random } from './random.ts';

export interface User {
  readonly id: string;
  readonly name: string;
  /** One to three addresses (home, mobile, office); the first is the usual one. */
  readonly ips: readonly string[];
  readonly agent: string;
  readonly admin: boolean;
  /** Has a session in progress (a user runs at most one at a time). */
  online: boolean;
}

const FIRST_NAMES = [
  'john',
  'maria',
  'wei',
  'fatima',
  'james',
  'anna',
  'luis',
  'sofia',
  'david',
  'emma',
  'omar',
  'yuki',
  'peter',
  'olga',
  'raj',
  'chloe',
  'ahmed',
  'lena',
  'carlos',
  'mia',
  'ivan',
  'sara',
  'kevin',
  'nina',
  'tom',
  'aisha',
  'lucas',
  'julia',
  'mohamed',
  'elena',
  'daniel',
  'priya',
  'marco',
  'hannah',
  'samuel',
  'lea',
  'diego',
  'zoe',
  'noah',
  'amira',
];
const LAST_NAMES = [
  'doe',
  'smith',
  'garcia',
  'chen',
  'khan',
  'mueller',
  'rossi',
  'silva',
  'kim',
  'nguyen',
  'novak',
  'ivanova',
  'brown',
  'dubois',
  'tanaka',
  'patel',
  'jensen',
  'lopez',
  'martin',
  'wilson',
  'costa',
  'ali',
  'fischer',
  'kowalski',
  'moreau',
  'santos',
  'young',
  'hughes',
  'walker',
  'berg',
];

function candidateName(random: Random): string {
  const first = random.pick(FIRST_NAMES);
  const last = random.pick(LAST_NAMES);
  switch (random.int(5)) {
    case 0:
      return `${first}_${last}`;
    case 1:
      return `${first}.${last}`;
    case 2:
      return `${first[0]}${last}${10 + random.int(90)}`;
    case 3:
      return `${first}${1960 + random.int(45)}`;
    default:
      return `${first}_${last[0]}${random.int(1000)}`;
  }
}

/** A plausible account name, as typed into a login form (real or not). */
export function randomUsername(random: Random): string {
  return candidateName(random);
}

export function createPopulation(count: number, random: Random): User[] {
  const names = new Set<string>();
  const users: User[] = [];
  for (let i = 0; i < count; i++) {
    let name = candidateName(random);
    while (names.has(name)) name = `${candidateName(random)}${random.int(100)}`;
    names.add(name);
    const ipCount = random.chance(0.5) ? 1 : random.chance(0.65) ? 2 : 3;
    const ips = Array.from({ length: ipCount }, () => residentialIp(random));
    users.push({
      id: String(10001 + i),
      name: flatString(name),
      ips,
      agent: BROWSER_AGENTS.pick(random),
      admin: i % 100 === 7,
      online: false,
    });
  }
  return users;
}
