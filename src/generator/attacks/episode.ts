/** What every attack scenario provides: one episode at a time, with its actor and its requests. */
import type { User } from '../population.ts';
import type { Random } from '../random.ts';
import type { LogRecord } from '../record.ts';
import type { SimulatedServer } from '../server.ts';

export interface AttackContext {
  readonly server: SimulatedServer;
  readonly users: readonly User[];
}

/** Event-time bounds of an episode (ms) and its rate (events per second). */
export interface EpisodeWindow {
  readonly start: number;
  readonly end: number;
  readonly rate: number;
}

export interface Episode {
  readonly actorIp: string | null;
  readonly actorUser: string | null;
  readonly target: string;
  /** The episode's next request, answered at `time`. */
  request(time: number): LogRecord;
}

export type EpisodeFactory = (random: Random, context: AttackContext, window: EpisodeWindow) => Episode;
