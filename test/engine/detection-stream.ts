/**
 * Generator streams through both default pipelines in process, and the generator's labels as
 * the ground truth the `detections` view is scored against.
 */
import { readFileSync } from 'node:fs';
import { toSourceRecord } from '../../src/connectors/generator-source.ts';
import { Engine } from '../../src/engine/engine.ts';
import type { LogRecord } from '../../src/generator/record.ts';
import { type AttackLabel, type ScenarioName, TrafficGenerator } from '../../src/generator/traffic.ts';
import type { Row } from '../../src/stream/value.ts';

export const REFERENCE_SQL = readFileSync(
  new URL('../../pipelines/website-security.sql', import.meta.url),
  'utf8',
);
export const DETECTIONS_SQL = readFileSync(
  new URL('../../pipelines/detections.sql', import.meta.url),
  'utf8',
);
export const START_MS = Date.parse('2024-01-25T12:00:00Z');
export const WINDOW_MICROS = 60_000_000;

export interface StreamOptions {
  readonly seed: number;
  readonly scenarios: readonly ScenarioName[];
  readonly seconds: number;
  /** Normal traffic, events per simulated second. */
  readonly rate?: number;
  /** Where the simulated time starts (START_MS when omitted). */
  readonly startMs?: number;
}

export interface DetectionRun {
  readonly engine: Engine;
  readonly labels: readonly AttackLabel[];
  readonly records: readonly LogRecord[];
}

/** Both pipelines fed `seconds` of simulated traffic, an epoch ended every 2,000 records. */
export async function runStream(options: StreamOptions): Promise<DetectionRun> {
  const engine = new Engine({ autoEpoch: false, idleTimeoutMs: 0 });
  await engine.execute(REFERENCE_SQL);
  await engine.execute(DETECTIONS_SQL);
  return { engine, ...streamInto(engine, options) };
}

/** Feeds `seconds` of simulated traffic into `engine`'s pipelines, an epoch ended every 2,000 records. */
export function streamInto(
  engine: Engine,
  options: StreamOptions,
): { readonly records: LogRecord[]; readonly labels: AttackLabel[] } {
  const startMs = options.startMs ?? START_MS;
  const generator = new TrafficGenerator({
    seed: options.seed,
    rate: options.rate ?? 200,
    startMs,
    attacks: options.scenarios.map((scenario) => ({ scenario })),
  });
  const end = startMs + options.seconds * 1000;
  const records: LogRecord[] = [];
  let batch: LogRecord[] = [];
  const pushBatch = () => {
    engine.push('website_logs_source', batch.map(toSourceRecord));
    engine.flush();
    batch = [];
  };
  while (generator.peekTime() < end) {
    const record = generator.next();
    records.push(record);
    batch.push(record);
    if (batch.length === 2000) pushBatch();
  }
  pushBatch();
  return { records, labels: [...generator.takeLabels(), ...generator.finish()] };
}

/** A `detections` row as named fields. */
export interface Detection {
  readonly scenario: string;
  readonly actor: string;
  readonly windowStart: number;
  readonly windowEnd: number;
  readonly severity: string;
  readonly evidence: string;
}

export function detections(engine: Engine): Detection[] {
  return engine.rows('detections').map((r: Row) => ({
    scenario: r[0] as string,
    actor: r[1] as string,
    windowStart: r[2] as number,
    windowEnd: r[3] as number,
    severity: r[4] as string,
    evidence: r[5] as string,
  }));
}

/**
 * Whether a detection names the label's actor: its address or account, or for degradation
 * (no attacker) its route, whose `:name` parameters stand for any one path segment.
 */
export function namesActor(label: AttackLabel, actor: string): boolean {
  if (actor === label.actor_ip || actor === label.actor_user) return true;
  if (label.scenario !== 'degradation') return false;
  const route = label.target.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/:[a-z]+/g, '[^/]+');
  return new RegExp(`^${route}$`).test(actor);
}

function micros(iso: string): number {
  return Date.parse(iso) * 1000;
}

/** What the detections say about one episode. */
export interface EpisodeScore {
  readonly label: AttackLabel;
  /** Windows (of one minute) from the episode's start to the end of its first detection's window. */
  readonly windowsToDetect: number | undefined;
}

/** Each episode's earliest detection of its scenario and actor, over a window that overlaps the episode. */
export function scoreEpisodes(labels: readonly AttackLabel[], found: readonly Detection[]): EpisodeScore[] {
  return labels.map((label) => {
    const start = micros(label.start);
    const end = micros(label.end);
    const ends = found
      .filter(
        (d) =>
          d.scenario === label.scenario &&
          namesActor(label, d.actor) &&
          d.windowEnd > start &&
          d.windowStart <= end,
      )
      .map((d) => d.windowEnd);
    const first = ends.length === 0 ? undefined : Math.min(...ends);
    return {
      label,
      windowsToDetect: first === undefined ? undefined : Math.ceil((first - start) / WINDOW_MICROS),
    };
  });
}

/** Detections of anyone who attacked nothing: not an address, account or route of any label. */
export function falsePositives(labels: readonly AttackLabel[], found: readonly Detection[]): Detection[] {
  return found.filter((d) => !labels.some((label) => namesActor(label, d.actor)));
}
