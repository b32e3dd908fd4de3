/** A scraper with a tool's user agent walking the product catalogue page by page. */
import { BAD_BOT_AGENTS } from '../agents.ts';
import { hostileIp } from '../network.ts';
import type { Random } from '../random.ts';
import type { LogRecord } from '../record.ts';
import { NO_REFERRER } from '../referrers.ts';
import type { Visitor } from '../response.ts';
import type { SimulatedServer } from '../server.ts';
import { type Page, SITE_PAGES } from '../site.ts';
import type { AttackContext, Episode } from './episode.ts';

const CATALOGUE: readonly Page[] = [
  ...SITE_PAGES.products,
  ...SITE_PAGES.category,
  ...SITE_PAGES.product,
  ...SITE_PAGES.api,
];

export class BadBot implements Episode {
  readonly actorIp: string;
  readonly actorUser = null;
  readonly target = '/products';
  private readonly random: Random;
  private readonly server: SimulatedServer;
  private readonly visitor: Visitor;
  private step: number;

  constructor(random: Random, context: AttackContext) {
    this.random = random;
    this.server = context.server;
    this.actorIp = hostileIp(random);
    const agent = random.pick(BAD_BOT_AGENTS);
    this.visitor = { ip: this.actorIp, agent, referrer: NO_REFERRER, userId: null, username: null };
    this.step = random.int(CATALOGUE.length);
  }

  request(time: number): LogRecord {
    const page = CATALOGUE[this.step % CATALOGUE.length] as Page;
    this.step += 1;
    const u = this.random.float();
    const status = u < 0.05 ? 429 : u < 0.09 ? 403 : 200;
    return this.server.serve(this.random, time, this.visitor, page.url, page.endpoint, 'view_page', status);
  }
}
