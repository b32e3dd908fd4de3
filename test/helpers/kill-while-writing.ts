/**
 * A client that runs a list of statements through the PostgreSQL endpoint of a
 * `RestartableServer` while a driver kills the server with SIGKILL at chosen moments and starts
 * it again right after the exit.
 *
 * The client runs the statements in order, each until it is acknowledged. A statement that
 * failed because of a kill (the answer lost, or the connection gone) may have applied or not —
 * the client cannot know — so it is run again on a new session once the server is back: the
 * statements must be idempotent (an INSERT of primary-keyed rows, `IF NOT EXISTS`, `IF EXISTS`).
 * A statement that fails on a server nobody killed is retried a few times, then fails the run.
 */
import type pg from 'pg';
import type { RestartableServer } from './restartable-server.ts';

/** Errors a live server (one not being killed) may answer for one statement before the run fails. */
const MAX_LIVE_ERRORS = 3;

export class RetryingWriter {
  /** Statements 0 … acknowledged − 1 are acknowledged. */
  acknowledged = 0;
  /** Whether a statement has been sent and not answered. */
  inFlight = false;
  /** Attempts (a statement, its session's connection or setup) that failed because the server was killed. */
  failedByKill = 0;
  readonly #server: RestartableServer;
  readonly #statements: readonly string[];
  readonly #sessionSetup: readonly string[];
  #waiting: { n: number; resolve: () => void }[] = [];
  #held: Promise<void> | undefined;

  /** `sessionSetup` runs first on every new session (`SET …`). */
  constructor(
    server: RestartableServer,
    statements: readonly string[],
    sessionSetup: readonly string[] = [],
  ) {
    this.#server = server;
    this.#statements = statements;
    this.#sessionSetup = sessionSetup;
  }

  /** Resolves once `n` statements are acknowledged. */
  reached(n: number): Promise<void> {
    if (this.acknowledged >= n) return Promise.resolve();
    return new Promise((resolve) => this.#waiting.push({ n, resolve }));
  }

  /**
   * Keeps the client from sending its next statement (one in flight goes on) until the
   * returned function is called.
   */
  hold(): () => void {
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    this.#held = held;
    return () => {
      if (this.#held === held) this.#held = undefined;
      release();
    };
  }

  async run(): Promise<void> {
    let client: pg.Client | undefined;
    /** The start of the server `client` is connected to. */
    let clientRun = 0;
    for (const [i, sql] of this.#statements.entries()) {
      const liveErrors: string[] = [];
      for (;;) {
        await this.#server.whenUp();
        while (this.#held !== undefined) await this.#held;
        const run = this.#server.starts;
        if (client !== undefined && clientRun !== run) {
          // Connected to a server killed since: nothing was sent to it.
          client.end().catch(() => undefined);
          client = undefined;
        }
        try {
          if (client === undefined) {
            client = await this.#server.connect();
            clientRun = run;
            for (const setup of this.#sessionSetup) await client.query(setup);
          }
          this.inFlight = true;
          try {
            await client.query(sql);
          } finally {
            this.inFlight = false;
          }
          break;
        } catch (e) {
          const old = client;
          client = undefined;
          old?.end().catch(() => undefined);
          if (this.#server.starts !== run || !this.#server.up) {
            this.failedByKill++;
            continue;
          }
          liveErrors.push((e as Error).message);
          if (liveErrors.length >= MAX_LIVE_ERRORS)
            throw new Error(
              `statement ${i} (${sql.slice(0, 80)}): the server, up and not being killed, failed it ${liveErrors.length} times: ${liveErrors.join('; ')}`,
            );
        }
      }
      this.acknowledged = i + 1;
      const ready = this.#waiting.filter((w) => w.n <= this.acknowledged);
      this.#waiting = this.#waiting.filter((w) => w.n > this.acknowledged);
      for (const w of ready) w.resolve();
    }
    await client?.end().catch(() => undefined);
  }
}

/** A kill: once `after` statements are acknowledged, wait `delayMs` (the client goes on), kill. */
export interface KillMoment {
  readonly after: number;
  readonly delayMs: number;
}

/**
 * `count` kill moments drawn from `random` over `statements` statements, in order: the first
 * `rightAfter` drawn come right after an acknowledgement (what was acknowledged must be there),
 * the others up to `maxDelayMs` later (often while a statement runs); the last kill comes right
 * after the last statement is acknowledged.
 */
export function killMoments(
  random: () => number,
  count: number,
  statements: number,
  options: { readonly maxDelayMs: number; readonly rightAfter: number },
): KillMoment[] {
  const moments = Array.from({ length: count - 1 }, (_, k) => ({
    after: Math.floor(random() * statements),
    delayMs: k < options.rightAfter ? 0 : random() * options.maxDelayMs,
  })).sort((a, b) => a.after - b.after);
  moments.push({ after: statements, delayMs: 0 });
  return moments;
}

/** What a kill found: how far the client was, and whether a statement was in flight. */
export interface Kill {
  /** 1 for the first kill. */
  readonly number: number;
  /** Statements acknowledged before the kill. */
  readonly acknowledged: number;
  readonly inFlight: boolean;
}

/**
 * Runs `writer` while killing `server` at `moments`, restarting it right after each exit and
 * calling `check` once it is up again, before the client sends anything more. Resolves with
 * every kill once the writer is done and the last check has run; rejects if the server exits
 * on its own or the writer fails.
 */
export async function killWhileWriting(
  server: RestartableServer,
  writer: RetryingWriter,
  moments: readonly KillMoment[],
  check: (kill: Kill) => Promise<void>,
): Promise<Kill[]> {
  const writing = writer.run();
  writing.catch(() => undefined); // awaited below
  const kills: Kill[] = [];
  const driving = (async () => {
    for (const [k, moment] of moments.entries()) {
      await Promise.race([writer.reached(moment.after), writing]);
      // A random moment, not a synchronisation: the client goes on writing meanwhile.
      if (moment.delayMs >= 1) await new Promise((r) => setTimeout(r, moment.delayMs));
      const kill = { number: k + 1, acknowledged: writer.acknowledged, inFlight: writer.inFlight };
      kills.push(kill);
      const release = writer.hold();
      try {
        await server.restart();
        await check(kill);
      } finally {
        release();
      }
    }
  })();
  await Promise.race([Promise.all([writing, driving]), server.failure]);
  return kills;
}
