/** Leaked username/password pairs tried against the login form from one address: many accounts, few hits. */
import { BROWSER_AGENTS } from '../agents.ts';
import { hostileIp } from '../network.ts';
import { randomUsername } from '../population.ts';
import type { Random } from '../random.ts';
import type { LogRecord } from '../record.ts';
import { NO_REFERRER } from '../referrers.ts';
import type { Visitor } from '../response.ts';
import type { SimulatedServer } from '../server.ts';
import { ENDPOINTS, type Page, SITE_PAGES } from '../site.ts';
import type { AttackContext, Episode } from './episode.ts';

const LOGIN_URL = (SITE_PAGES.login[0] as Page).url;

export class CredentialStuffing implements Episode {
  readonly actorIp: string;
  readonly actorUser = null;
  readonly target = '/login';
  private readonly random: Random;
  private readonly context: AttackContext;
  private readonly server: SimulatedServer;
  private readonly visitor: Visitor;

  constructor(random: Random, context: AttackContext) {
    this.random = random;
    this.context = context;
    this.server = context.server;
    this.actorIp = hostileIp(random);
    const agent = random.chance(0.7) ? BROWSER_AGENTS.pick(random) : 'python-requests/2.31.0';
    this.visitor = { ip: this.actorIp, agent, referrer: NO_REFERRER, userId: null, username: null };
  }

  request(time: number): LogRecord {
    const random = this.random;
    const users = this.context.users;
    const visitor = this.visitor;
    let status = 401;
    if (users.length > 0 && random.chance(0.45)) {
      const user = random.pick(users);
      visitor.userId = user.id;
      visitor.username = user.name;
      if (random.chance(0.03)) status = 302;
    } else {
      visitor.userId = null;
      visitor.username = randomUsername(random);
    }
    return this.server.serve(random, time, visitor, LOGIN_URL, ENDPOINTS.login, 'login', status);
  }
}
