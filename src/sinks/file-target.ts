/**
 * The file sink: each message a line of JSON (the generic payload) appended to `path`, a batch
 * written and fsynced before it counts as delivered. A failed write (no such directory, disk
 * full) is tried again; a crash between the write and the acknowledgement appends the batch
 * again, with the same deduplication keys.
 */
import { type FileHandle, open } from 'node:fs/promises';
import type { SinkMessage } from './alert-stream.ts';
import { genericPayload, type PayloadColumn } from './payload.ts';
import type { FileConfig } from './sink-options.ts';
import type { DeliveryResult, SinkTarget } from './target.ts';

export class FileTarget implements SinkTarget {
  readonly #path: string;
  readonly #columns: readonly PayloadColumn[];
  #file: FileHandle | undefined;

  constructor(config: FileConfig, columns: readonly PayloadColumn[]) {
    this.#path = config.path;
    this.#columns = columns;
  }

  async deliver(messages: readonly SinkMessage[]): Promise<DeliveryResult> {
    const text = messages.map((m) => `${JSON.stringify(genericPayload(m, this.#columns))}\n`).join('');
    try {
      this.#file ??= await open(this.#path, 'a');
      await this.#file.appendFile(text);
      await this.#file.datasync();
      return { delivered: messages.length };
    } catch (e) {
      await this.#file?.close().catch(() => undefined);
      this.#file = undefined;
      return {
        delivered: 0,
        failure: { retry: true, reason: `appending to ${this.#path}: ${(e as Error).message}` },
      };
    }
  }

  async close(): Promise<void> {
    await this.#file?.close();
    this.#file = undefined;
  }
}
