/** The episode factory of every scenario. */
import type { ScenarioName } from '../scenarios.ts';
import { AccountTakeover } from './account-takeover.ts';
import { BadBot } from './bad-bot.ts';
import { BruteForce } from './brute-force.ts';
import { CredentialStuffing } from './credential-stuffing.ts';
import { Degradation } from './degradation.ts';
import type { EpisodeFactory } from './episode.ts';
import { Flood } from './flood.ts';
import { crossSiteScripting, sqlInjection } from './injection.ts';
import { PathScan } from './path-scan.ts';

export const EPISODES: Readonly<Record<ScenarioName, EpisodeFactory>> = {
  'brute-force': (random, context, window) => new BruteForce(random, context, window),
  'credential-stuffing': (random, context) => new CredentialStuffing(random, context),
  'path-scan': (random, context) => new PathScan(random, context),
  sqli: sqlInjection,
  xss: crossSiteScripting,
  'bad-bot': (random, context) => new BadBot(random, context),
  flood: (random, context, window) => new Flood(random, context, window),
  'account-takeover': (random, context) => new AccountTakeover(random, context),
  degradation: (random, context, window) => new Degradation(random, context, window),
};
