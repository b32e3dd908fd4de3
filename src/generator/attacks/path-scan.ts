/** One address requesting well-known files and admin tools that the site does not have. */
import { BAD_BOT_AGENTS, BROWSER_AGENTS } from '../agents.ts';
import { hostileIp } from '../network.ts';
import type { Random } from '../random.ts';
import type { LogRecord } from '../record.ts';
import { NO_REFERRER } from '../referrers.ts';
import type { Visitor } from '../response.ts';
import type { SimulatedServer } from '../server.ts';
import { ENDPOINTS, SITE } from '../site.ts';
import type { AttackContext, Episode } from './episode.ts';

const PROBES = [
  '/wp-admin/',
  '/wp-login.php',
  '/wp-config.php.bak',
  '/xmlrpc.php',
  '/wp-content/debug.log',
  '/.env',
  '/.env.production',
  '/.git/config',
  '/.git/HEAD',
  '/.svn/entries',
  '/.htaccess',
  '/.DS_Store',
  '/.aws/credentials',
  '/.ssh/id_rsa',
  '/phpmyadmin/',
  '/pma/index.php',
  '/myadmin/',
  '/phpinfo.php',
  '/info.php',
  '/server-status',
  '/admin.php',
  '/administrator/',
  '/config.php',
  '/config.json',
  '/config.yml',
  '/backup.zip',
  '/backup.sql',
  '/db.sql',
  '/dump.sql',
  '/database.sqlite',
  '/actuator/env',
  '/actuator/health',
  '/console/',
  '/manager/html',
  '/solr/admin/',
  '/jenkins/login',
  '/cgi-bin/luci',
  '/cgi-bin/test.cgi',
  '/vendor/phpunit/phpunit/src/Util/PHP/eval-stdin.php',
  '/boaform/admin/formLogin',
  '/HNAP1/',
  '/owa/auth/logon.aspx',
  '/autodiscover/autodiscover.xml',
  '/.well-known/security.txt.bak',
  '/debug/default/view',
  '/telescope/requests',
  '/_profiler/phpinfo',
  '/storage/logs/laravel.log',
  '/api/.env',
  '/docker-compose.yml',
];
const PREFIXES = ['', '/old', '/backup', '/wordpress', '/test', '/dev', '/app', '/site', '/new', '/v1'];
/** Paths the server refuses rather than reports missing. */
const FORBIDDEN = /^\/(\.git|\.svn|\.htaccess|server-status)/;

export class PathScan implements Episode {
  readonly actorIp: string;
  readonly actorUser = null;
  readonly target = SITE;
  private readonly random: Random;
  private readonly server: SimulatedServer;
  private readonly visitor: Visitor;
  private readonly order: number[];
  private step = 0;

  constructor(random: Random, context: AttackContext) {
    this.random = random;
    this.server = context.server;
    this.actorIp = hostileIp(random);
    const agent = random.chance(0.6) ? random.pick(BAD_BOT_AGENTS) : BROWSER_AGENTS.pick(random);
    this.visitor = { ip: this.actorIp, agent, referrer: NO_REFERRER, userId: null, username: null };
    // every probe once per prefix, in an order of the scanner's own
    this.order = Array.from({ length: PROBES.length * PREFIXES.length }, (_, i) => i);
    for (let i = this.order.length - 1; i > 0; i--) {
      const j = random.int(i + 1);
      [this.order[i], this.order[j]] = [this.order[j] as number, this.order[i] as number];
    }
  }

  request(time: number): LogRecord {
    const index = this.order[this.step % this.order.length] as number;
    this.step += 1;
    const probe = PROBES[index % PROBES.length] as string;
    const prefix = PREFIXES[Math.floor(index / PROBES.length)] as string;
    const status = prefix === '' && FORBIDDEN.test(probe) ? 403 : 404;
    return this.server.serve(
      this.random,
      time,
      this.visitor,
      SITE + prefix + probe,
      ENDPOINTS.probe,
      'view_page',
      status,
    );
  }
}
