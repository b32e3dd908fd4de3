/** Attack scenarios by name, their default rates, and the `name[:rate],…` lists that request them. */

export const SCENARIOS = [
  'brute-force',
  'credential-stuffing',
  'path-scan',
  'sqli',
  'xss',
  'bad-bot',
  'flood',
  'account-takeover',
  'degradation',
] as const;
export type ScenarioName = (typeof SCENARIOS)[number];

export const SCENARIO_ALIASES: Readonly<Record<string, ScenarioName>> = { scan: 'path-scan' };

/** Attack events per second of event time during an episode, unless a rate is requested. */
export const DEFAULT_RATES: Readonly<Record<ScenarioName, number>> = {
  'brute-force': 5,
  'credential-stuffing': 10,
  'path-scan': 10,
  sqli: 2,
  xss: 2,
  'bad-bot': 8,
  flood: 200,
  'account-takeover': 1,
  degradation: 10,
};

export interface AttackRequest {
  scenario: ScenarioName;
  rate?: number;
}

/** Ground truth of one attack episode, written to the label stream (never into the records). */
export interface AttackLabel {
  scenario: ScenarioName;
  /** The attacking address; for account-takeover the first of its many; null for degradation (no attacker). */
  actor_ip: string | null;
  /** The account attacked or used, when there is one. */
  actor_user: string | null;
  /** What was attacked: a username, a route such as `/search`, or the site. */
  target: string;
  /** ISO 8601 event times; every attack record of the episode lies in [start, end]. */
  start: string;
  end: string;
}

export function scenarioNamed(name: string): ScenarioName | undefined {
  return (SCENARIOS as readonly string[]).includes(name) ? (name as ScenarioName) : SCENARIO_ALIASES[name];
}

/** Parses `brute-force,scan:20` into attack requests; throws an Error naming the first bad item. */
export function parseAttackList(text: string): AttackRequest[] {
  if (text.trim() === '') return [];
  const requests: AttackRequest[] = [];
  for (const rawItem of text.split(',')) {
    const item = rawItem.trim();
    const [name = '', rateText, ...extra] = item.split(':');
    const scenario = scenarioNamed(name.trim());
    if (scenario === undefined) {
      throw new Error(
        `unknown attack scenario "${item}" (known: ${SCENARIOS.join(', ')}; alias: scan = path-scan)`,
      );
    }
    if (requests.some((request) => request.scenario === scenario)) {
      throw new Error(`attack scenario "${item}" is listed twice`);
    }
    if (rateText === undefined) {
      requests.push({ scenario });
      continue;
    }
    const rate = Number(rateText.trim());
    if (extra.length > 0 || rateText.trim() === '' || !Number.isFinite(rate) || rate <= 0) {
      throw new Error(`bad attack item "${item}": the rate after ':' must be a positive number of events/s`);
    }
    requests.push({ scenario, rate });
  }
  return requests;
}
