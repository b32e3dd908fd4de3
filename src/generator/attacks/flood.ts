/** A request flood from one address against one URL; the site sheds load more and more as it goes on. */
import { BROWSER_AGENTS } from '../agents.ts';
import { hostileIp } from '../network.ts';
import type { Random } from '../random.ts';
import type { LogRecord } from '../record.ts';
import { NO_REFERRER } from '../referrers.ts';
import type { Visitor } from '../response.ts';
import type { SimulatedServer } from '../server.ts';
import { type Page, SITE_PAGES } from '../site.ts';
import type { AttackContext, Episode, EpisodeWindow } from './episode.ts';

const TARGETS: readonly Page[] = [
  SITE_PAGES.home[0] as Page,
  SITE_PAGES.search[0] as Page,
  SITE_PAGES.login[0] as Page,
  SITE_PAGES.api[0] as Page,
];
const FLOOD_AGENTS = ['Go-http-client/1.1', 'python-requests/2.31.0', 'Mozilla/5.0 (compatible; MSIE 9.0)'];

export class Flood implements Episode {
  readonly actorIp: string;
  readonly actorUser = null;
  readonly target: string;
  private readonly random: Random;
  private readonly server: SimulatedServer;
  private readonly visitor: Visitor;
  private readonly page: Page;
  private readonly window: EpisodeWindow;

  constructor(random: Random, context: AttackContext, window: EpisodeWindow) {
    this.random = random;
    this.server = context.server;
    this.window = window;
    this.actorIp = hostileIp(random);
    const agent = random.chance(0.5) ? random.pick(FLOOD_AGENTS) : BROWSER_AGENTS.pick(random);
    this.visitor = { ip: this.actorIp, agent, referrer: NO_REFERRER, userId: null, username: null };
    this.page = random.pick(TARGETS);
    this.target = this.page.endpoint.route;
  }

  request(time: number): LogRecord {
    const progress = Math.min(1, (time - this.window.start) / (this.window.end - this.window.start));
    const u = this.random.float();
    const status = u < 0.7 * progress ? 429 : u < 0.7 * progress + 0.05 ? 503 : 200;
    const page = this.page;
    return this.server.serve(this.random, time, this.visitor, page.url, page.endpoint, 'view_page', status);
  }
}
