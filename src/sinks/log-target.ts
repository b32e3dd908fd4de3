/**
 * The log sink: a line per message on stderr or stdout (`target`), for looking at what a sink
 * would send. `blackhole` takes everything and writes nothing, as RisingWave's does.
 */
import type { SinkMessage } from './alert-stream.ts';
import { logLine, type PayloadColumn } from './payload.ts';
import type { DeliveryResult, SinkTarget } from './target.ts';

export interface LineOutput {
  write(text: string): unknown;
}

export class LogTarget implements SinkTarget {
  readonly #out: LineOutput;
  readonly #columns: readonly PayloadColumn[];

  constructor(out: LineOutput, columns: readonly PayloadColumn[]) {
    this.#out = out;
    this.#columns = columns;
  }

  async deliver(messages: readonly SinkMessage[]): Promise<DeliveryResult> {
    this.#out.write(messages.map((m) => `${logLine(m, this.#columns)}\n`).join(''));
    return { delivered: messages.length };
  }

  async close(): Promise<void> {}
}

export class BlackholeTarget implements SinkTarget {
  async deliver(messages: readonly SinkMessage[]): Promise<DeliveryResult> {
    return { delivered: messages.length };
  }

  async close(): Promise<void> {}
}
