/**
 * The webhook sink: one HTTP POST of JSON per message (tidewatch's message, or Slack's `{text}`),
 * its deduplication key in an `Idempotency-Key` header too. 2xx is delivered; 5xx, 429 (after
 * its `Retry-After`), a timeout and a connection that fails are tried again; any other answer
 * (4xx, a redirect) would be the same next time: a dead letter.
 */
import type { SinkMessage } from './alert-stream.ts';
import { genericPayload, type PayloadColumn, slackPayload } from './payload.ts';
import type { WebhookConfig } from './sink-options.ts';
import type { DeliveryFailure, DeliveryResult, SinkTarget } from './target.ts';

/** `Retry-After` in ms: seconds, or an HTTP date; undefined when absent or unreadable. */
function retryAfterMs(header: string | null, now = Date.now()): number | undefined {
  if (header === null) return undefined;
  if (/^\d+$/.test(header.trim())) return Number(header) * 1000;
  const at = Date.parse(header);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** What went wrong with a request that got no answer. */
function networkReason(e: unknown, timedOut: boolean, timeoutMs: number): string {
  if (timedOut) return `no answer within ${timeoutMs} ms`;
  const cause = (e as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? (e as Error).message;
}

export class WebhookTarget implements SinkTarget {
  readonly #config: WebhookConfig;
  readonly #columns: readonly PayloadColumn[];

  constructor(config: WebhookConfig, columns: readonly PayloadColumn[]) {
    this.#config = config;
    this.#columns = columns;
  }

  async deliver(messages: readonly SinkMessage[], signal: AbortSignal): Promise<DeliveryResult> {
    let delivered = 0;
    for (const message of messages) {
      const failure = await this.#post(message, signal);
      if (failure !== undefined) return { delivered, failure };
      delivered++;
    }
    return { delivered };
  }

  async #post(message: SinkMessage, stop: AbortSignal): Promise<DeliveryFailure | undefined> {
    const { url, headers, timeoutMs, payload } = this.#config;
    const body =
      payload === 'slack' ? slackPayload(message, this.#columns) : genericPayload(message, this.#columns);
    const timeout = AbortSignal.timeout(timeoutMs);
    let response: Response;
    try {
      response = await fetch(url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'user-agent': 'tidewatch',
          ...headers,
          'idempotency-key': message.dedupKey,
        },
        body: JSON.stringify(body),
        redirect: 'manual',
        signal: AbortSignal.any([stop, timeout]),
      });
      const text = await response.text();
      if (response.status >= 200 && response.status < 300) return undefined;
      const what = `POST ${url}: ${response.status} ${response.statusText}${text === '' ? '' : `: ${text.slice(0, 200)}`}`;
      if (response.status === 429 || response.status >= 500) {
        const after = retryAfterMs(response.headers.get('retry-after'));
        return { retry: true, reason: what, ...(after === undefined ? {} : { retryAfterMs: after }) };
      }
      return { retry: false, reason: what };
    } catch (e) {
      return { retry: true, reason: `POST ${url}: ${networkReason(e, timeout.aborted, timeoutMs)}` };
    }
  }

  async close(): Promise<void> {}
}
