/**
 * Normal traffic: registered users in sessions (login → browsing and actions → logout or expiry),
 * anonymous visitors and search-engine crawlers.
 */
import { BROWSER_AGENTS, CRAWLERS } from './agents.ts';
import {
  ADMIN_HABITS,
  ANONYMOUS_HABITS,
  ANONYMOUS_PAGES,
  CRAWLER_HABITS,
  type Habits,
  REGISTERED_HABITS,
  type Section,
} from './habits.ts';
import { ipInNetwork, residentialIp } from './network.ts';
import type { User } from './population.ts';
import type { Random, WeightedTable } from './random.ts';
import type { LogRecord, UserAction } from './record.ts';
import { NO_REFERRER, REFERRERS } from './referrers.ts';
import type { Visitor } from './response.ts';
import type { SimulatedServer } from './server.ts';
import { ENDPOINTS, type Endpoint, type Page, SITE_PAGES } from './site.ts';

const HOME_PAGE = SITE_PAGES.home[0] as Page;
const LOGIN_PAGE = SITE_PAGES.login[0] as Page;
const LOGOUT_URL = (SITE_PAGES.logout[0] as Page).url;
const ROBOTS_URL = (SITE_PAGES.robots[0] as Page).url;

/** Shares of records by kind of visitor. */
const REGISTERED_SHARE = 0.5;
const CRAWLER_SHARE = 0.12;
/** Mean seconds between two requests of one human session; sizes the pools of sessions running at once. */
const THINK_TIME_SEC = 20;

const PHASE_LOGIN = 0;
const PHASE_LAND = 1;
const PHASE_ROBOTS = 2;
const PHASE_BROWSE = 3;
const PHASE_END = 4;
const PHASE_GONE = 5;

class Session implements Visitor {
  readonly ip: string;
  readonly agent: string;
  readonly referrer: string;
  readonly userId: string | null;
  readonly username: string | null;
  readonly user: User | null;
  readonly pool: Pool;
  readonly habits: Habits;
  page: Page;
  phase: number;
  /** Browsing requests left before the session ends. */
  remaining: number;
  failedLogins = 0;
  slot = 0;

  constructor(
    pool: Pool,
    habits: Habits,
    user: User | null,
    ip: string,
    agent: string,
    referrer: string,
    page: Page,
    phase: number,
    remaining: number,
  ) {
    this.pool = pool;
    this.habits = habits;
    this.user = user;
    this.userId = user === null ? null : user.id;
    this.username = user === null ? null : user.name;
    this.ip = ip;
    this.agent = agent;
    this.referrer = referrer;
    this.page = page;
    this.phase = phase;
    this.remaining = remaining;
  }
}

class Pool {
  readonly sessions: Session[] = [];
  readonly target: number;
  constructor(target: number) {
    this.target = target;
  }
  add(session: Session): Session {
    session.slot = this.sessions.length;
    this.sessions.push(session);
    return session;
  }
  remove(session: Session): void {
    const last = this.sessions.pop() as Session;
    if (last !== session) {
      this.sessions[session.slot] = last;
      last.slot = session.slot;
    }
  }
}

function pickPage(random: Random, table: WeightedTable<Section>): Page {
  const section = table.pick(random);
  return section[random.skewedIndex(section.length)] as Page;
}

export class BrowsingTraffic {
  private readonly random: Random;
  private readonly server: SimulatedServer;
  private readonly users: readonly User[];
  private readonly registered: Pool;
  private readonly anonymous: Pool;
  private readonly crawlers: Pool;
  private readonly registeredShare: number;
  constructor(random: Random, server: SimulatedServer, users: readonly User[], rate: number) {
    this.random = random;
    this.server = server;
    this.users = users;
    this.registeredShare = users.length > 0 ? REGISTERED_SHARE : 0;
    const humans = rate * THINK_TIME_SEC;
    this.registered = new Pool(
      Math.min(Math.ceil(users.length * 0.3), Math.max(2, Math.round(humans * 0.5))),
    );
    this.anonymous = new Pool(Math.min(4000, Math.max(2, Math.round(humans * 0.38))));
    this.crawlers = new Pool(Math.min(12, Math.max(1, Math.round(rate * CRAWLER_SHARE))));
  }

  next(time: number): LogRecord {
    for (;;) {
      const record = this.advance(this.chooseSession(), time);
      if (record !== null) return record;
    }
  }

  private chooseSession(): Session {
    const random = this.random;
    const u = random.float();
    const pool =
      u < this.registeredShare ? this.registered : u < 1 - CRAWLER_SHARE ? this.anonymous : this.crawlers;
    const sessions = pool.sessions;
    if (sessions.length < pool.target && (sessions.length < 2 || random.float() < 0.35)) {
      const started = this.startSession(pool);
      if (started !== null) return started;
    }
    if (sessions.length === 0) return this.startSession(this.anonymous) as Session;
    return sessions[random.int(sessions.length)] as Session;
  }

  private startSession(pool: Pool): Session | null {
    const random = this.random;
    let session: Session;
    if (pool === this.registered) {
      const user = this.offlineUser();
      if (user === null) return null;
      user.online = true;
      const ips = user.ips;
      const ip = ips.length === 1 || random.chance(0.7) ? (ips[0] as string) : random.pick(ips);
      const habits = user.admin ? ADMIN_HABITS : REGISTERED_HABITS;
      const remaining = 1 + random.exponential(14);
      session = new Session(
        pool,
        habits,
        user,
        ip,
        user.agent,
        REFERRERS.pick(random),
        LOGIN_PAGE,
        PHASE_LOGIN,
        remaining,
      );
    } else if (pool === this.anonymous) {
      const ip = residentialIp(random);
      const referrer = REFERRERS.pick(random);
      const landing =
        referrer === 'direct' && random.chance(0.7) ? HOME_PAGE : pickPage(random, ANONYMOUS_PAGES);
      const agent = BROWSER_AGENTS.pick(random);
      session = new Session(
        pool,
        ANONYMOUS_HABITS,
        null,
        ip,
        agent,
        referrer,
        landing,
        PHASE_LAND,
        random.exponential(5),
      );
    } else {
      const crawler = CRAWLERS.pick(random);
      const ip = ipInNetwork(random, crawler.networks);
      const remaining = 10 + random.exponential(60);
      session = new Session(
        pool,
        CRAWLER_HABITS,
        null,
        ip,
        crawler.agent,
        NO_REFERRER,
        HOME_PAGE,
        PHASE_ROBOTS,
        remaining,
      );
    }
    return pool.add(session);
  }

  /** A registered user without a session, the more active users more often. */
  private offlineUser(): User | null {
    const users = this.users;
    for (let attempt = 0; attempt < 8; attempt++) {
      const user = users[this.random.skewedIndex(users.length)] as User;
      if (!user.online) return user;
    }
    return null;
  }

  private advance(session: Session, time: number): LogRecord | null {
    switch (session.phase) {
      case PHASE_LOGIN:
        return this.login(session, time);
      case PHASE_LAND:
        session.phase = session.remaining >= 1 ? PHASE_BROWSE : PHASE_END;
        return this.pageView(session, time, 'view_page', session.page);
      case PHASE_ROBOTS:
        session.phase = PHASE_BROWSE;
        return this.serve(session, time, ROBOTS_URL, ENDPOINTS.robots, 'view_page', 200);
      case PHASE_BROWSE:
        session.remaining -= 1;
        if (session.remaining <= 0) session.phase = PHASE_END;
        return this.browse(session, time);
      default:
        return this.end(session, time);
    }
  }

  private login(session: Session, time: number): LogRecord {
    const wrongPassword = this.random.float() < 0.05;
    const record = this.serve(
      session,
      time,
      LOGIN_PAGE.url,
      ENDPOINTS.login,
      'login',
      wrongPassword ? 401 : 302,
    );
    if (record.status_code === 302) {
      session.phase = PHASE_BROWSE;
    } else {
      session.failedLogins += 1;
      if (session.failedLogins >= 3) session.phase = PHASE_GONE;
    }
    return record;
  }

  private browse(session: Session, time: number): LogRecord {
    const random = this.random;
    const action = session.habits.actions.pick(random);
    switch (action) {
      case 'scroll_page':
      case 'close_window':
        return this.pageView(session, time, action, session.page);
      case 'submit_form':
        return this.submitForm(session, time);
      case 'download_file':
        return this.download(session, time);
      case 'upload_file':
        return this.upload(session, time);
      default: {
        const page = pickPage(random, session.habits.pages);
        session.page = page;
        return this.pageView(session, time, action, page);
      }
    }
  }

  private pageView(session: Session, time: number, action: UserAction, page: Page): LogRecord {
    const random = this.random;
    const endpoint = page.endpoint;
    if (endpoint.loginRequired && session.userId === null) {
      return this.serve(session, time, page.url, endpoint, action, 302);
    }
    if (endpoint.sensitive && !session.user?.admin) {
      return this.serve(session, time, page.url, endpoint, action, 403);
    }
    if (endpoint === ENDPOINTS.notFound) return this.serve(session, time, page.url, endpoint, action, 404);
    if (endpoint === ENDPOINTS.legacy) return this.serve(session, time, page.url, endpoint, action, 301);
    const u = random.float();
    if (u < 0.008) {
      const stale = random.pick(SITE_PAGES.stale);
      return this.serve(session, time, stale.url, stale.endpoint, action, 404);
    }
    const revisit = u < 0.07 && !endpoint.auth && action !== 'scroll_page' && action !== 'close_window';
    return this.serve(session, time, page.url, endpoint, action, revisit ? 304 : 200);
  }

  private submitForm(session: Session, time: number): LogRecord {
    const page = pickPage(this.random, session.habits.forms);
    const endpoint = page.endpoint;
    const u = this.random.float();
    const created = endpoint === ENDPOINTS.apiCart || endpoint === ENDPOINTS.comments;
    const status = u < 0.04 ? 422 : u < 0.45 ? 302 : created ? 201 : 200;
    return this.serve(session, time, page.url, endpoint, 'submit_form', status);
  }

  private download(session: Session, time: number): LogRecord {
    const random = this.random;
    const page = SITE_PAGES.downloads[random.skewedIndex(SITE_PAGES.downloads.length)] as Page;
    const u = random.float();
    if (u < 0.02) return this.serve(session, time, page.url, ENDPOINTS.notFound, 'download_file', 404);
    return this.serve(session, time, page.url, page.endpoint, 'download_file', u < 0.07 ? 206 : 200);
  }

  private upload(session: Session, time: number): LogRecord {
    const page = this.random.pick(SITE_PAGES.uploads);
    const u = this.random.float();
    const status = u < 0.04 ? 413 : u < 0.06 ? 415 : page.endpoint === ENDPOINTS.avatar ? 200 : 201;
    return this.serve(session, time, page.url, page.endpoint, 'upload_file', status);
  }

  private end(session: Session, time: number): LogRecord | null {
    session.pool.remove(session);
    const user = session.user;
    if (user !== null) user.online = false;
    if (session.phase === PHASE_GONE) return null;
    const u = this.random.float();
    if (user !== null) {
      if (u < 0.72) return this.serve(session, time, LOGOUT_URL, ENDPOINTS.logout, 'logout', 302);
      // otherwise the session expires, after the window was closed or not
      return u < 0.85 ? this.pageView(session, time, 'close_window', session.page) : null;
    }
    if (session.pool === this.anonymous && u < 0.35) {
      return this.pageView(session, time, 'close_window', session.page);
    }
    return null;
  }

  private serve(
    visitor: Visitor,
    time: number,
    url: string,
    endpoint: Endpoint,
    action: UserAction,
    intended: number,
  ): LogRecord {
    return this.server.serve(this.random, time, visitor, url, endpoint, action, intended);
  }
}
