/**
 * The dashboard's live stream: one Server-Sent Events stream per page, one event per committed
 * epoch, naming the relations the epoch changed so the page asks again for those panels only.
 */
import type { ServerResponse } from 'node:http';

export interface CommitEvent {
  readonly epoch: number;
  readonly committedAt: string;
  readonly changed: readonly string[];
}

/** Comments sent while nothing commits, so that proxies keep the stream open. */
const KEEP_ALIVE_MS = 15_000;

export class LiveFeed {
  readonly #clients = new Set<ServerResponse>();
  readonly #keepAlive: NodeJS.Timeout;
  #last: CommitEvent | undefined;

  /** `onCommitted`: the store's commit listener registration. */
  constructor(onCommitted: (listener: (epoch: number, changed: readonly string[]) => void) => void) {
    onCommitted((epoch, changed) =>
      this.#send({ epoch, committedAt: new Date().toISOString(), changed: [...changed].sort() }),
    );
    this.#keepAlive = setInterval(() => {
      for (const c of this.#clients) c.write(': keep-alive\n\n');
    }, KEEP_ALIVE_MS);
    this.#keepAlive.unref();
  }

  /** Takes over `response` as an event stream until its client goes away; the last commit first. */
  attach(response: ServerResponse, headers: Readonly<Record<string, string>>): void {
    response.writeHead(200, {
      ...headers,
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      'x-accel-buffering': 'no',
    });
    response.write('retry: 1000\n\n');
    if (this.#last !== undefined) response.write(eventText(this.#last));
    this.#clients.add(response);
    response.on('close', () => this.#clients.delete(response));
  }

  get clients(): number {
    return this.#clients.size;
  }

  close(): void {
    clearInterval(this.#keepAlive);
    for (const c of this.#clients) c.end();
    this.#clients.clear();
  }

  #send(event: CommitEvent): void {
    this.#last = event;
    const text = eventText(event);
    for (const c of this.#clients) c.write(text);
  }
}

function eventText(e: CommitEvent): string {
  return `event: commit\nid: ${e.epoch}\ndata: ${JSON.stringify(e)}\n\n`;
}
