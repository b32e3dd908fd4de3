/**
 * Slows password guessing per client address: after a few failed logins from an address, each
 * further attempt from it waits, the wait doubling with every failure, and attempts from one
 * address are taken one at a time (parallel connections gain nothing). Other addresses are not
 * slowed. A success, or a quiet spell, forgets the failures.
 *
 * The PostgreSQL endpoint holds an attempt for its wait (`attempt`); the HTTP API refuses a
 * request while its address waits instead (`waitLeftMs`, `failed`), holding no socket for it.
 */

export interface LoginThrottleOptions {
  /** Failures an address may have before its attempts wait (default 3). */
  readonly freeFailures?: number;
  /** The first wait (default 100 ms), doubled per failure beyond the free ones. */
  readonly baseDelayMs?: number;
  /** The longest wait (default 10 s). */
  readonly maxDelayMs?: number;
  /** An address without a failure this long starts afresh (default 15 min). */
  readonly forgetAfterMs?: number;
}

/** Addresses remembered before those quiet long enough are swept out. */
const SWEEP_ABOVE = 10_000;

interface AddressRecord {
  failures: number;
  lastFailureAt: number;
  /** The attempt in progress from this address, which the next one waits for. */
  turn: Promise<void>;
}

export class LoginThrottle {
  readonly #free: number;
  readonly #baseMs: number;
  readonly #maxMs: number;
  readonly #forgetMs: number;
  readonly #byAddress = new Map<string, AddressRecord>();

  constructor(options: LoginThrottleOptions = {}) {
    this.#free = options.freeFailures ?? 3;
    this.#baseMs = options.baseDelayMs ?? 100;
    this.#maxMs = options.maxDelayMs ?? 10_000;
    this.#forgetMs = options.forgetAfterMs ?? 15 * 60_000;
  }

  /** How long the next attempt from `address` waits now. */
  delayMs(address: string, now = Date.now()): number {
    const r = this.#record(address, now);
    const beyond = (r?.failures ?? 0) - this.#free;
    return beyond <= 0 ? 0 : Math.min(this.#maxMs, this.#baseMs * 2 ** (beyond - 1));
  }

  /** How much longer `address` waits before its next attempt is checked: 0 when it may try now. */
  waitLeftMs(address: string, now = Date.now()): number {
    const r = this.#record(address, now);
    if (r === undefined) return 0;
    return Math.max(0, r.lastFailureAt + this.delayMs(address, now) - now);
  }

  /** Counts a failed attempt from `address` that was not run through `attempt`. */
  failed(address: string, now = Date.now()): void {
    const r = this.#record(address, now) ?? { failures: 0, lastFailureAt: 0, turn: Promise.resolve() };
    r.failures++;
    r.lastFailureAt = now;
    this.#byAddress.set(address, r);
    if (this.#byAddress.size > SWEEP_ABOVE) this.#forgetQuiet(now);
  }

  /** Drops the addresses whose failures are forgotten: many addresses must not grow the map for good. */
  #forgetQuiet(now: number): void {
    for (const [address, r] of this.#byAddress)
      if (now - r.lastFailureAt > this.#forgetMs) this.#byAddress.delete(address);
  }

  /**
   * Runs one login attempt from `address` after the attempts before it from there and the wait
   * its failures earned; `attempt` resolves true when the password was right.
   */
  async attempt<T>(
    address: string,
    attempt: () => Promise<T>,
    succeeded: (result: T) => boolean,
  ): Promise<T> {
    const record = this.#record(address, Date.now()) ?? {
      failures: 0,
      lastFailureAt: 0,
      turn: Promise.resolve(),
    };
    this.#byAddress.set(address, record);
    const before = record.turn;
    let done: () => void = () => undefined;
    record.turn = new Promise<void>((resolve) => {
      done = resolve;
    });
    try {
      await before;
      const wait = this.delayMs(address);
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      const result = await attempt();
      if (succeeded(result)) record.failures = 0;
      else {
        record.failures++;
        record.lastFailureAt = Date.now();
      }
      return result;
    } finally {
      done();
      if (record.failures === 0 && this.#byAddress.get(address) === record) this.#byAddress.delete(address);
    }
  }

  #record(address: string, now: number): AddressRecord | undefined {
    const r = this.#byAddress.get(address);
    if (r !== undefined && r.failures > 0 && now - r.lastFailureAt > this.#forgetMs) r.failures = 0;
    return r;
  }
}
