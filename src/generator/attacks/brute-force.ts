/** Many failed logins on one account from one address; now and then the password is finally guessed. */
import { BROWSER_AGENTS } from '../agents.ts';
import { hostileIp } from '../network.ts';
import type { User } from '../population.ts';
import type { Random } from '../random.ts';
import type { LogRecord } from '../record.ts';
import { NO_REFERRER } from '../referrers.ts';
import type { Visitor } from '../response.ts';
import type { SimulatedServer } from '../server.ts';
import { ENDPOINTS, type Page, SITE_PAGES } from '../site.ts';
import type { AttackContext, Episode, EpisodeWindow } from './episode.ts';

const TOOL_AGENTS = ['Mozilla/5.0 (Hydra)', 'python-requests/2.31.0', 'Go-http-client/1.1'];
const LOGIN_URL = (SITE_PAGES.login[0] as Page).url;

export class BruteForce implements Episode {
  readonly actorIp: string;
  readonly actorUser: string;
  readonly target: string;
  private readonly random: Random;
  private readonly server: SimulatedServer;
  private readonly visitor: Visitor;
  private readonly crackedAt: number;
  private attempts = 0;

  constructor(random: Random, context: AttackContext, window: EpisodeWindow) {
    this.random = random;
    this.server = context.server;
    const victim = random.pick(context.users) as User | undefined;
    this.actorIp = hostileIp(random);
    this.actorUser = victim?.name ?? 'admin';
    this.target = this.actorUser;
    this.visitor = {
      ip: this.actorIp,
      agent: random.chance(0.5) ? BROWSER_AGENTS.pick(random) : random.pick(TOOL_AGENTS),
      referrer: NO_REFERRER,
      userId: victim?.id ?? null,
      username: this.actorUser,
    };
    const expectedAttempts = ((window.end - window.start) / 1000) * window.rate;
    this.crackedAt = random.chance(0.25)
      ? Math.max(20, Math.floor(expectedAttempts * random.between(0.6, 0.95)))
      : Number.POSITIVE_INFINITY;
  }

  request(time: number): LogRecord {
    this.attempts += 1;
    if (this.attempts < this.crackedAt) {
      return this.server.serve(this.random, time, this.visitor, LOGIN_URL, ENDPOINTS.login, 'login', 401);
    }
    if (this.attempts === this.crackedAt) {
      return this.server.serve(this.random, time, this.visitor, LOGIN_URL, ENDPOINTS.login, 'login', 302);
    }
    const page = this.random.pick(SITE_PAGES.account);
    return this.server.serve(this.random, time, this.visitor, page.url, page.endpoint, 'view_page', 200);
  }
}
