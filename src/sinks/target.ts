/**
 * Where a sink's messages go: one module per connector implements this. A target delivers a
 * batch in order and says how far it got; the delivery (delivery.ts) retries, dead-letters and
 * acknowledges.
 */
import type { SinkMessage } from './alert-stream.ts';

export interface DeliveryFailure {
  /** Worth trying again (a 5xx, 429, a timeout, a refused connection); else a dead letter. */
  readonly retry: boolean;
  readonly reason: string;
  /** The target asked for this much patience (HTTP `Retry-After`). */
  readonly retryAfterMs?: number;
}

export interface DeliveryResult {
  /** How many messages of the batch, from its start, the target acknowledged. */
  readonly delivered: number;
  /** Why the message after them was not. */
  readonly failure?: DeliveryFailure;
}

export interface SinkTarget {
  /** Delivers `messages` in order, stopping at the first one not acknowledged. */
  deliver(messages: readonly SinkMessage[], signal: AbortSignal): Promise<DeliveryResult>;
  close(): Promise<void>;
}
