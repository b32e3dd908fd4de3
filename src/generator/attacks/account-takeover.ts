/** A stolen account used from many addresses within minutes: logins, account changes, data export. */
import { BROWSER_AGENTS } from '../agents.ts';
import { hostileIp, residentialIp } from '../network.ts';
import type { User } from '../population.ts';
import type { Random } from '../random.ts';
import type { LogRecord, UserAction } from '../record.ts';
import { NO_REFERRER } from '../referrers.ts';
import type { Visitor } from '../response.ts';
import type { SimulatedServer } from '../server.ts';
import { ENDPOINTS, type Endpoint, SITE } from '../site.ts';
import type { AttackContext, Episode } from './episode.ts';

interface Move {
  readonly url: string;
  readonly endpoint: Endpoint;
  readonly action: UserAction;
  readonly status: number;
}

const LOGIN: Move = { url: `${SITE}/login`, endpoint: ENDPOINTS.login, action: 'login', status: 302 };
const ACCOUNT_MOVES: readonly Move[] = [
  { url: `${SITE}/account`, endpoint: ENDPOINTS.account, action: 'view_page', status: 200 },
  {
    url: `${SITE}/account/settings`,
    endpoint: ENDPOINTS.accountSettings,
    action: 'navigate_page',
    status: 200,
  },
  { url: `${SITE}/account/orders`, endpoint: ENDPOINTS.accountOrders, action: 'navigate_page', status: 200 },
  { url: `${SITE}/account/email`, endpoint: ENDPOINTS.accountEmail, action: 'submit_form', status: 302 },
  {
    url: `${SITE}/account/password`,
    endpoint: ENDPOINTS.accountPassword,
    action: 'submit_form',
    status: 302,
  },
  { url: `${SITE}/account/export`, endpoint: ENDPOINTS.accountExport, action: 'download_file', status: 200 },
];

export class AccountTakeover implements Episode {
  readonly actorIp: string;
  readonly actorUser: string;
  readonly target: string;
  private readonly random: Random;
  private readonly server: SimulatedServer;
  private readonly visitor: Visitor;
  /** Requests left from the current address, its login included, before the next address takes over. */
  private leftOnAddress = 0;
  private loggedIn = false;

  constructor(random: Random, context: AttackContext) {
    this.random = random;
    this.server = context.server;
    const victim = random.pick(context.users) as User | undefined;
    this.actorUser = victim?.name ?? 'admin';
    this.target = this.actorUser;
    this.visitor = {
      ip: '',
      agent: '',
      referrer: NO_REFERRER,
      userId: victim?.id ?? null,
      username: this.actorUser,
    };
    this.switchAddress();
    this.actorIp = this.visitor.ip;
  }

  request(time: number): LogRecord {
    if (this.leftOnAddress === 0) this.switchAddress();
    const move = this.loggedIn ? this.random.pick(ACCOUNT_MOVES) : LOGIN;
    this.loggedIn = true;
    this.leftOnAddress -= 1;
    return this.server.serve(
      this.random,
      time,
      this.visitor,
      move.url,
      move.endpoint,
      move.action,
      move.status,
    );
  }

  /** Residential proxies and hosting addresses alike, each with a browser of its own. */
  private switchAddress(): void {
    const random = this.random;
    this.visitor.ip = random.chance(0.5) ? hostileIp(random) : residentialIp(random);
    this.visitor.agent = BROWSER_AGENTS.pick(random);
    this.leftOnAddress = 2 + random.int(4);
    this.loggedIn = false;
  }
}
