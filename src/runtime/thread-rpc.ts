/**
 * Calls between two threads over a message port: a call is answered by its handler's value or
 * error, a notice is not answered. Both sides may call and handle. Messages keep their order,
 * so a notice posted before an answer is handled before it. Values cross as structured clones;
 * an error keeps its class (when `errorClasses` knows it) and its own fields (SQLSTATE, kind,
 * HTTP status…), so that a caller handles it as if the call had been local.
 */

/** The end of a channel: a `MessagePort`, a `Worker`, or `parentPort`. */
export interface RpcPort {
  postMessage(message: unknown): void;
  on(event: 'message', listener: (message: unknown) => void): unknown;
}

type Message =
  | { readonly t: 'call'; readonly id: number; readonly method: string; readonly args: readonly unknown[] }
  | { readonly t: 'notice'; readonly method: string; readonly args: readonly unknown[] }
  | { readonly t: 'done'; readonly id: number; readonly value: unknown }
  | { readonly t: 'failed'; readonly id: number; readonly error: CrossingError };

export interface CrossingError {
  readonly className: string;
  readonly message: string;
  readonly stack: string | undefined;
  readonly fields: Readonly<Record<string, unknown>>;
}

// biome-ignore lint/suspicious/noExplicitAny: handlers take what their callers send
type Handler = (...args: any[]) => unknown;

/** Error classes known on both sides, by their class name. */
export type ErrorClasses = Readonly<Record<string, abstract new (...args: never[]) => Error>>;

export class ThreadRpc {
  readonly #port: RpcPort;
  readonly #errorClasses: ErrorClasses;
  readonly #handlers = new Map<string, Handler>();
  readonly #waiting = new Map<number, { resolve: (v: unknown) => void; reject: (e: unknown) => void }>();
  #nextId = 1;
  #closedBecause: Error | undefined;

  constructor(port: RpcPort, errorClasses: ErrorClasses) {
    this.#port = port;
    this.#errorClasses = errorClasses;
    port.on('message', (m) => this.#receive(m as Message));
  }

  /** Handles calls and notices named `method`. */
  handle(method: string, handler: Handler): void {
    this.#handlers.set(method, handler);
  }

  call<T>(method: string, ...args: unknown[]): Promise<T> {
    if (this.#closedBecause !== undefined) return Promise.reject(this.#closedBecause);
    const id = this.#nextId++;
    return new Promise<T>((resolve, reject) => {
      this.#waiting.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.#port.postMessage({ t: 'call', id, method, args } satisfies Message);
    });
  }

  notify(method: string, ...args: unknown[]): void {
    if (this.#closedBecause === undefined)
      this.#port.postMessage({ t: 'notice', method, args } satisfies Message);
  }

  /** The other side is gone: calls waiting and made from now on fail with `reason`. */
  close(reason: Error): void {
    this.#closedBecause ??= reason;
    for (const w of this.#waiting.values()) w.reject(reason);
    this.#waiting.clear();
  }

  #receive(m: Message): void {
    switch (m.t) {
      case 'call':
        void this.#answer(m.id, m.method, m.args);
        return;
      case 'notice': {
        const handler = this.#handlers.get(m.method);
        if (handler === undefined) throw new Error(`thread call: no handler of notice ${m.method}`);
        handler(...m.args);
        return;
      }
      case 'done':
      case 'failed': {
        const w = this.#waiting.get(m.id);
        if (w === undefined) return;
        this.#waiting.delete(m.id);
        if (m.t === 'done') w.resolve(m.value);
        else w.reject(this.revive(m.error));
      }
    }
  }

  async #answer(id: number, method: string, args: readonly unknown[]): Promise<void> {
    let message: Message;
    try {
      const handler = this.#handlers.get(method);
      if (handler === undefined) throw new Error(`thread call: no handler of ${method}`);
      message = { t: 'done', id, value: await handler(...args) };
    } catch (e) {
      message = { t: 'failed', id, error: crossing(e) };
    }
    if (this.#closedBecause !== undefined) return;
    try {
      this.#port.postMessage(message);
    } catch (e) {
      // A value that cannot be cloned is the handler's fault: its caller gets that error.
      this.#port.postMessage({ t: 'failed', id, error: crossing(e) } satisfies Message);
    }
  }

  /** An error as it crosses to the other side (`revive` there gives it back). */
  static crossing(e: unknown): CrossingError {
    return crossing(e);
  }

  revive(e: CrossingError): Error {
    const cls = this.#errorClasses[e.className];
    const error = Object.create(cls === undefined ? Error.prototype : cls.prototype) as Error;
    Object.assign(error, e.fields);
    Object.defineProperty(error, 'message', { value: e.message, writable: true, configurable: true });
    Object.defineProperty(error, 'stack', { value: e.stack, writable: true, configurable: true });
    return error;
  }
}

function crossing(e: unknown): CrossingError {
  if (!(e instanceof Error)) return { className: 'Error', message: String(e), stack: undefined, fields: {} };
  const fields: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(e)) {
    if (typeof value !== 'function' && key !== 'cause') fields[key] = value;
  }
  return { className: e.constructor.name, message: e.message, stack: e.stack, fields };
}
