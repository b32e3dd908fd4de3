/**
 * What each bouncer was last sent by `/v1/decisions/stream`, kept in the data directory
 * (`bouncer-streams.json`) so that a `startup=false` pull — even after a restart of tidewatch —
 * gets only what changed since its last pull: decisions new or extended (their `until` moved),
 * and decisions ended or lifted since.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomically } from '../store/atomic-file.ts';
import type { Decision } from './crowdsec-decisions.ts';

export const STREAMS_FILE = 'bouncer-streams.json';

type Sent = Readonly<Record<string, Decision>>;

export interface StreamAnswer {
  readonly new: readonly Decision[];
  readonly deleted: readonly Decision[];
}

export class DecisionStreams {
  readonly #file: string;
  #sent: Record<string, Sent>;

  constructor(dataDir: string) {
    this.#file = join(dataDir, STREAMS_FILE);
    this.#sent = existsSync(this.#file)
      ? (JSON.parse(readFileSync(this.#file, 'utf8')) as Record<string, Sent>)
      : {};
  }

  /**
   * A pull by `bouncer` of the decisions `active` now: all of them at start-up, else what
   * changed since its last pull. What it was sent is kept before the answer goes.
   */
  pull(bouncer: string, active: readonly Decision[], startup: boolean): StreamAnswer {
    const before = startup ? {} : (this.#sent[bouncer] ?? {});
    const now: Record<string, Decision> = {};
    for (const d of active) now[d.id] = d;
    const added = active.filter((d) => before[d.id]?.until !== d.until);
    const deleted = Object.values(before).filter((d) => now[d.id] === undefined);
    this.#sent = { ...this.#sent, [bouncer]: now };
    writeFileAtomically(this.#file, `${JSON.stringify(this.#sent)}\n`);
    return { new: added, deleted };
  }
}
