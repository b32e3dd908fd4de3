/** The episodes of one requested scenario: each `duration` long, `gap` apart, each with a new actor. */
import type { AttackContext, Episode, EpisodeFactory } from './attacks/episode.ts';
import type { Random } from './random.ts';
import type { LogRecord } from './record.ts';
import type { AttackLabel, ScenarioName } from './scenarios.ts';

export interface AttackSchedule {
  readonly firstStartMs: number;
  readonly durationMs: number;
  readonly gapMs: number;
  /** Events per second during an episode. */
  readonly rate: number;
}

export class AttackStream {
  readonly scenario: ScenarioName;
  /** Event time of what is due next: the next attack request, or the end of the running episode. */
  due: number;
  /** True when what is due is the end of the episode. */
  closing = false;
  private readonly factory: EpisodeFactory;
  private readonly random: Random;
  private readonly context: AttackContext;
  private readonly schedule: AttackSchedule;
  private readonly meanSpacingMs: number;
  private episode: Episode | null = null;
  private start: number;
  private end: number;
  private nextRequest: number;
  private lastRequest = 0;
  /** The label of the episode the last request began, until taken. */
  private started: AttackLabel | null = null;

  constructor(
    scenario: ScenarioName,
    factory: EpisodeFactory,
    schedule: AttackSchedule,
    random: Random,
    context: AttackContext,
  ) {
    this.scenario = scenario;
    this.factory = factory;
    this.schedule = schedule;
    this.random = random;
    this.context = context;
    this.meanSpacingMs = 1000 / schedule.rate;
    this.start = schedule.firstStartMs;
    this.end = this.start + schedule.durationMs;
    this.nextRequest = this.start;
    this.due = this.start;
  }

  /** Event time of the next attack request (after the pause, if the episode is about to end). */
  nextRequestTime(): number {
    return this.closing ? this.end + this.schedule.gapMs : this.nextRequest;
  }

  /** The next request of the episode, stamped `time` (its due time, or the clock's). */
  request(time: number): LogRecord {
    if (this.episode === null) {
      this.episode = this.factory(this.random, this.context, {
        start: this.start,
        end: this.end,
        rate: this.schedule.rate,
      });
      this.started = this.label(this.end);
    }
    const record = this.episode.request(time);
    this.lastRequest = time;
    this.nextRequest += this.meanSpacingMs * (0.5 + this.random.float());
    this.updateDue();
    return record;
  }

  /**
   * The label of the episode the last `request` began (ending when it is planned to), once;
   * null when that request continued an episode.
   */
  takeStarted(): AttackLabel | null {
    const label = this.started;
    this.started = null;
    return label;
  }

  /** Ends the running episode and schedules the next one; the label of the one that ended, if it ran. */
  close(): AttackLabel | null {
    const label = this.label(Math.max(this.end, this.lastRequest));
    this.episode = null;
    this.start = this.end + this.schedule.gapMs;
    this.end = this.start + this.schedule.durationMs;
    this.nextRequest = this.start;
    this.updateDue();
    return label;
  }

  /** The label of the running episode, ended at its last request; the stream stops. */
  finish(): AttackLabel | null {
    const label = this.label(this.lastRequest);
    this.episode = null;
    this.due = Number.POSITIVE_INFINITY;
    this.closing = false;
    this.nextRequest = Number.POSITIVE_INFINITY;
    return label;
  }

  private updateDue(): void {
    this.closing = this.nextRequest >= this.end;
    this.due = this.closing ? this.end : this.nextRequest;
  }

  private label(end: number): AttackLabel | null {
    const episode = this.episode;
    if (episode === null) return null;
    return {
      scenario: this.scenario,
      actor_ip: episode.actorIp,
      actor_user: episode.actorUser,
      target: episode.target,
      start: new Date(Math.floor(this.start)).toISOString(),
      end: new Date(Math.floor(end)).toISOString(),
    };
  }
}
