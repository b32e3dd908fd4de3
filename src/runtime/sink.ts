/**
 * What a sink's delivery gives the runtime: something to start once the sink's CREATE is
 * committed (its queue then exists in the store), to wake at each commit (its queue may have
 * grown), to stop when the sink is dropped or tidewatch stops, and to ask how it is doing. The
 * delivery keeps its own position in the store, so a start simply starts it again.
 */

/** A message a sink gave up on (its target refused it for good). */
export interface SinkDeadLetter {
  readonly dedupKey: string;
  readonly reason: string;
}

/** How a sink is doing, as `/api/status` and `tidewatch_sinks` show it. */
export interface SinkStatus {
  readonly name: string;
  /** `webhook`, `file`, `log`, `kafka`, `blackhole`. */
  readonly connector: string;
  /** The table or view it reads. */
  readonly from: string;
  /** `delivering`, `idle` (nothing queued), `retrying`, `stopped`, `failed`. */
  readonly state: string;
  /** Messages the target acknowledged, since the sink was created. */
  readonly delivered: number;
  /** Changes queued and not delivered yet. */
  readonly pending: number;
  /** Failed attempts tried again, since this start. */
  readonly retries: number;
  /** Messages given up on (a 4xx), since the sink was created. */
  readonly deadLetters: number;
  /** Notifications throttling held back, since the sink was created. */
  readonly heldBack: number;
  /** The last epoch whose messages are all delivered; null before the first. */
  readonly deliveredEpoch: number | null;
  readonly lastError?: string;
  readonly lastDeadLetter?: SinkDeadLetter;
}

export interface RunningSink {
  start(): void;
  /** Something was committed. */
  wake(): void;
  /** Stops delivering; what is not acknowledged is delivered at the next start. */
  stop(): Promise<void>;
  status(): SinkStatus;
}
