/** One endpoint turns slow and fails often for ordinary visitors (no attacker: an operational incident). */
import { BROWSER_AGENTS } from '../agents.ts';
import { residentialIp } from '../network.ts';
import type { Random } from '../random.ts';
import type { LogRecord } from '../record.ts';
import { REFERRERS } from '../referrers.ts';
import type { Visitor } from '../response.ts';
import type { SimulatedServer } from '../server.ts';
import { ENDPOINTS, type Page, SITE_PAGES } from '../site.ts';
import type { AttackContext, Episode, EpisodeWindow } from './episode.ts';

/** Endpoints whose URLs all match their route, so that the label's target names them exactly. */
const VULNERABLE: readonly (readonly Page[])[] = [
  SITE_PAGES.search,
  SITE_PAGES.product,
  SITE_PAGES.category,
  SITE_PAGES.api.filter((page) => page.endpoint === ENDPOINTS.apiProducts),
];

export class Degradation implements Episode {
  readonly actorIp = null;
  readonly actorUser = null;
  readonly target: string;
  private readonly random: Random;
  private readonly server: SimulatedServer;
  private readonly pages: readonly Page[];
  private readonly visitor: Visitor;

  constructor(random: Random, context: AttackContext, window: EpisodeWindow) {
    this.random = random;
    this.server = context.server;
    this.pages = random.pick(VULNERABLE);
    const endpoint = (this.pages[0] as Page).endpoint;
    this.target = endpoint.route;
    this.server.degrade(endpoint, window.end, random.between(8, 15));
    this.visitor = { ip: '', agent: '', referrer: '', userId: null, username: null };
  }

  request(time: number): LogRecord {
    const random = this.random;
    const visitor = this.visitor;
    visitor.ip = residentialIp(random);
    visitor.agent = BROWSER_AGENTS.pick(random);
    visitor.referrer = REFERRERS.pick(random);
    const page = this.pages[random.skewedIndex(this.pages.length)] as Page;
    const action = random.chance(0.6) ? 'view_page' : 'navigate_page';
    return this.server.serve(random, time, visitor, page.url, page.endpoint, action, 200);
  }
}
