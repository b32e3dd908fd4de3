/** The web server as the log sees it: answers requests, with occasional 5xx bursts and degradations. */
import type { Random } from './random.ts';
import type { LogRecord, UserAction } from './record.ts';
import { respond, type Visitor } from './response.ts';
import { ENDPOINTS, type Endpoint } from './site.ts';

/** Endpoints that fail now and then on their own (a deploy, a database hiccup). */
const FLAKY_ENDPOINTS: readonly Endpoint[] = [
  ENDPOINTS.search,
  ENDPOINTS.checkout,
  ENDPOINTS.product,
  ENDPOINTS.apiProducts,
  ENDPOINTS.adminReports,
  ENDPOINTS.downloads,
];

const MEAN_INCIDENT_GAP_MS = 240_000;

export class SimulatedServer {
  /** Draws the incident schedule only, so that it does not depend on who sends requests when. */
  private readonly schedule: Random;
  private incident: Endpoint | null = null;
  private incidentSwitch: number;
  private degraded: Endpoint | null = null;
  private degradedUntil = 0;
  private degradedSlowdown = 1;

  constructor(schedule: Random, startMs: number) {
    this.schedule = schedule;
    this.incidentSwitch = startMs + schedule.exponential(MEAN_INCIDENT_GAP_MS);
  }

  /** Requests to `endpoint` are slow and often fail until `until` (the degradation scenario). */
  degrade(endpoint: Endpoint, until: number, slowdown: number): void {
    this.degraded = endpoint;
    this.degradedUntil = until;
    this.degradedSlowdown = slowdown;
  }

  /** Logs the answer to a request: the status the application meant to give, unless the server fails. */
  serve(
    random: Random,
    time: number,
    visitor: Visitor,
    url: string,
    endpoint: Endpoint,
    action: UserAction,
    intended: number,
  ): LogRecord {
    if (time >= this.incidentSwitch) this.switchIncidents(time);
    let status = intended;
    let slowdown = 1;
    if (endpoint === this.degraded && time < this.degradedUntil) {
      slowdown = this.degradedSlowdown * random.between(0.6, 1.4);
      if (random.float() < 0.35) status = random.chance(0.5) ? 503 : random.chance(0.6) ? 504 : 500;
    } else if (endpoint === this.incident && random.float() < 0.3) {
      status = random.chance(0.7) ? 503 : 502;
    } else {
      const u = random.float();
      if (u < 0.0015) status = u < 0.001 ? 500 : u < 0.0013 ? 502 : 503;
    }
    return respond(random, time, visitor, url, endpoint, action, status, slowdown);
  }

  private switchIncidents(time: number): void {
    while (time >= this.incidentSwitch) {
      if (this.incident === null) {
        this.incident = this.schedule.pick(FLAKY_ENDPOINTS);
        this.incidentSwitch += this.schedule.between(5_000, 20_000);
      } else {
        this.incident = null;
        this.incidentSwitch += this.schedule.exponential(MEAN_INCIDENT_GAP_MS);
      }
    }
  }
}
