/** The traffic generator: normal browsing at a steady rate, with attack episodes merged in by event time. */
import { AttackStream } from './attack-stream.ts';
import { EPISODES } from './attacks/catalog.ts';
import type { AttackContext } from './attacks/episode.ts';
import { BrowsingTraffic } from './browsing.ts';
import { createPopulation } from './population.ts';
import { Random } from './random.ts';
import type { LogRecord } from './record.ts';
import { type AttackLabel, type AttackRequest, DEFAULT_RATES, SCENARIOS } from './scenarios.ts';
import { SimulatedServer } from './server.ts';

export type { AttackLabel, AttackRequest, ScenarioName } from './scenarios.ts';
export { parseAttackList, SCENARIOS } from './scenarios.ts';

export interface TrafficOptions {
  seed: number;
  /** Base traffic, events per second of event time. */
  rate: number;
  /** Event time of the first event (ms since the epoch). */
  startMs: number;
  attacks?: AttackRequest[];
  attackDurationSec?: number;
  attackGapSec?: number;
  /** Registered users in the population. */
  users?: number;
  /**
   * If given, records are stamped with clock() instead of their synthetic arrival time, and attack
   * episodes follow clock() too; `rate` then only sizes the population online at once.
   */
  clock?: () => number;
}

/** An attack episode as it begins: its label (ending when planned) and the sequence number of its first record. */
export interface EpisodeStart {
  readonly label: AttackLabel;
  /** How many records next() had returned before the episode's first one. */
  readonly record: number;
}

/** Independent random streams, so that adding attacks leaves the normal traffic as it was. */
const STREAM_POPULATION = 1;
const STREAM_ARRIVALS = 2;
const STREAM_BROWSING = 3;
const STREAM_INCIDENTS = 4;
const STREAM_ATTACKS = 100;

/** Offset of the first episode of the first requested scenario; the next ones follow at this step. */
const FIRST_ATTACK_DELAY_MS = 500;
const ATTACK_STAGGER_MS = 500;

export class TrafficGenerator {
  private readonly browsing: BrowsingTraffic;
  private readonly arrivals: Random;
  private readonly spacingSpanMs: number;
  private readonly clock: (() => number) | null;
  private streams: AttackStream[];
  private baseTime: number;
  /** Earliest time an attack stream needs attention (a request or the end of an episode). */
  private attackDue = Number.POSITIVE_INFINITY;
  /** Earliest attack request. */
  private attackRequest = Number.POSITIVE_INFINITY;
  private lastTime: number;
  private labels: AttackLabel[] = [];
  private started: EpisodeStart[] = [];
  /** Records returned by next() so far. */
  private records = 0;

  constructor(options: TrafficOptions) {
    const { seed, rate, startMs } = options;
    if (!Number.isFinite(seed)) throw new Error(`traffic seed must be a number, got ${seed}`);
    if (!(rate > 0 && Number.isFinite(rate)))
      throw new Error(`traffic rate must be a positive number, got ${rate}`);
    if (!Number.isFinite(startMs)) throw new Error(`traffic start must be a time in ms, got ${startMs}`);
    const userCount = options.users ?? 1000;
    if (!(Number.isInteger(userCount) && userCount >= 0)) {
      throw new Error(`users must be a non-negative integer, got ${userCount}`);
    }
    const durationSec = positive(options.attackDurationSec ?? 60, 'attackDurationSec');
    const gapSec = positive(options.attackGapSec ?? 120, 'attackGapSec');

    const users = createPopulation(userCount, new Random(seed, STREAM_POPULATION));
    const server = new SimulatedServer(new Random(seed, STREAM_INCIDENTS), startMs);
    this.browsing = new BrowsingTraffic(new Random(seed, STREAM_BROWSING), server, users, rate);
    this.arrivals = new Random(seed, STREAM_ARRIVALS);
    this.spacingSpanMs = 2000 / rate;
    this.clock = options.clock ?? null;
    this.baseTime = startMs;
    this.lastTime = startMs;

    const context: AttackContext = { server, users };
    this.streams = (options.attacks ?? []).map(({ scenario, rate: attackRate }, i) => {
      if (!SCENARIOS.includes(scenario)) throw new Error(`unknown attack scenario "${scenario}"`);
      const schedule = {
        firstStartMs: startMs + FIRST_ATTACK_DELAY_MS + i * ATTACK_STAGGER_MS,
        durationMs: durationSec * 1000,
        gapMs: gapSec * 1000,
        rate: positive(attackRate ?? DEFAULT_RATES[scenario], `rate of ${scenario}`),
      };
      return new AttackStream(
        scenario,
        EPISODES[scenario],
        schedule,
        new Random(seed, STREAM_ATTACKS + i),
        context,
      );
    });
    this.updateAttackDue();
  }

  /** The next record, in non-decreasing event-time order. */
  next(): LogRecord {
    const record = this.nextRecord();
    this.records++;
    return record;
  }

  private nextRecord(): LogRecord {
    if (this.clock !== null) return this.nextOnClock(this.clock);
    const time = this.baseTime;
    if (this.attackDue <= time) {
      const attack = this.dueAttack(time, false);
      if (attack !== null) return attack;
    }
    this.baseTime = time + this.arrivals.float() * this.spacingSpanMs;
    return this.browsing.next(time);
  }

  /** Event time (ms) of the record next() would return. */
  peekTime(): number {
    if (this.clock !== null) return Math.floor(Math.max(this.lastTime, this.clock()));
    return Math.floor(Math.min(this.baseTime, this.attackRequest));
  }

  /** Labels of the episodes finished so far (each returned once). */
  takeLabels(): AttackLabel[] {
    const labels = this.labels;
    this.labels = [];
    return labels;
  }

  /** Episodes begun so far (each returned once), in the order of their first records. */
  takeStarted(): EpisodeStart[] {
    const started = this.started;
    this.started = [];
    return started;
  }

  /** Labels not taken yet, then those of episodes still running, ended at their last request; stops the attacks. */
  finish(): AttackLabel[] {
    const labels = this.takeLabels();
    for (const stream of this.streams) {
      const label = stream.finish();
      if (label !== null) labels.push(label);
    }
    this.streams = [];
    this.updateAttackDue();
    return labels;
  }

  private nextOnClock(clock: () => number): LogRecord {
    const now = Math.max(this.lastTime, clock());
    this.lastTime = now;
    if (this.attackDue <= now) {
      const attack = this.dueAttack(now, true);
      if (attack !== null) return attack;
    }
    return this.browsing.next(now);
  }

  /** The earliest attack request due by `limit`, closing the episodes that end on the way. */
  private dueAttack(limit: number, stampWithLimit: boolean): LogRecord | null {
    for (;;) {
      let first: AttackStream | null = null;
      for (const stream of this.streams) {
        if (stream.due <= limit && (first === null || stream.due < first.due)) first = stream;
      }
      if (first === null) return null;
      if (first.closing) {
        const label = first.close();
        if (label !== null) this.labels.push(label);
        this.updateAttackDue();
        continue;
      }
      const record = first.request(stampWithLimit ? limit : first.due);
      const started = first.takeStarted();
      if (started !== null) this.started.push({ label: started, record: this.records });
      this.updateAttackDue();
      return record;
    }
  }

  private updateAttackDue(): void {
    let due = Number.POSITIVE_INFINITY;
    let request = Number.POSITIVE_INFINITY;
    for (const stream of this.streams) {
      due = Math.min(due, stream.due);
      request = Math.min(request, stream.nextRequestTime());
    }
    this.attackDue = due;
    this.attackRequest = request;
  }
}

function positive(value: number, name: string): number {
  if (!(value > 0 && Number.isFinite(value)))
    throw new Error(`${name} must be a positive number, got ${value}`);
  return value;
}
