/** Where sessions come from, as the short source names of the reference data ("google", "direct", …). */
import { WeightedTable } from './random.ts';

export const REFERRER_SHARES = [
  ['google', 0.38],
  ['direct', 0.3],
  ['bing', 0.07],
  ['facebook', 0.05],
  ['reddit', 0.04],
  ['newsletter', 0.04],
  ['duckduckgo', 0.03],
  ['twitter', 0.03],
  ['linkedin', 0.03],
  ['yahoo', 0.02],
  ['github', 0.01],
] as const;

export const REFERRERS = new WeightedTable<string>(REFERRER_SHARES);

/** The referrer recorded for crawlers, scripts and attack tools, which send none. */
export const NO_REFERRER = 'direct';
