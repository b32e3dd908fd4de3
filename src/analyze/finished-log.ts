/**
 * The pipelines over a log that is complete (files, or a pipe read to its end): its lines are
 * decoded and pushed as fast as the engine takes them, event time read from the records. No row
 * is late, whatever the order of the lines or the files: every window stays open until the end
 * (the source's watermark is held back), and then one watermark past the newest event closes
 * them all, as an idle source's would. Nothing is written anywhere: the results are the
 * engine's views.
 */

import type { RecordDecoder } from '../connectors/formats/index.ts';
import { Engine } from '../engine/engine.ts';
import type { Row } from '../stream/value.ts';

/** How far behind the newest event a row may be and still count: more than any log spans. */
const HOLD_WINDOWS_MICROS = 100 * 365 * 86_400_000_000;
/**
 * Rows pushed at a time. The whole log is one epoch (one barrier, at the end): every window is
 * open until then anyway, and each barrier would make every aggregate touched since the last
 * one emit its row again, and every view downstream redo its work — for a log whose lines are
 * not in time order (files concatenated, rotated logs), nearly every window at every barrier.
 */
const PUSH_ROWS = 16_384;

export interface FeedResult {
  /** Lines read (empty ones left out). */
  readonly lines: number;
  /** Lines that are no record of the format. */
  readonly rejected: number;
  /** The first of those: its line number (from 1, across the inputs) and why. */
  readonly firstRejected?: { readonly line: number; readonly reason: string };
}

export class FinishedLog {
  readonly engine: Engine;
  /** The engine's clock: still while the log is read, so that no source counts as idle before the end. */
  #clockMs = 0;
  #input: { readonly source: string; readonly decoder: RecordDecoder } | undefined;
  #lines = 0;
  #rejected = 0;
  #firstRejected: FeedResult['firstRejected'];
  #rows: Row[] = [];
  /** The start of a line that the last chunk cut. */
  #rest: Uint8Array | undefined;

  constructor() {
    this.engine = new Engine({ autoEpoch: false, idleTimeoutMs: 1, now: () => this.#clockMs });
  }

  /** Lines read so far, and those that are no record. */
  get read(): FeedResult {
    const first = this.#firstRejected;
    return {
      lines: this.#lines,
      rejected: this.#rejected,
      ...(first === undefined ? {} : { firstRejected: first }),
    };
  }

  /** Where the lines written next go: `source`, decoded by `decoder`. */
  input(source: string, decoder: RecordDecoder): void {
    this.engine.allowLateness(source, HOLD_WINDOWS_MICROS);
    this.#input = { source, decoder };
  }

  /** The next bytes of the input: its whole lines are decoded, a cut one waits for the next chunk. */
  write(chunk: Uint8Array): void {
    let start = 0;
    let bytes = chunk;
    if (this.#rest !== undefined) {
      bytes = Buffer.concat([this.#rest, chunk]);
      this.#rest = undefined;
    }
    for (let nl = bytes.indexOf(10, start); nl >= 0; nl = bytes.indexOf(10, start)) {
      this.#line(bytes.subarray(start, nl));
      start = nl + 1;
    }
    if (start < bytes.length) this.#rest = Uint8Array.prototype.slice.call(bytes, start);
  }

  /** The end of one input (a file): a last line without `\n` counts, and every row read is pushed. */
  endInput(): void {
    if (this.#rest !== undefined) this.#line(this.#rest);
    this.#rest = undefined;
    this.#push();
  }

  #line(bytes: Uint8Array): void {
    const input = this.#input;
    if (input === undefined) throw new Error('FinishedLog: write before input()');
    const end = bytes.length > 0 && bytes[bytes.length - 1] === 13 ? bytes.length - 1 : bytes.length;
    if (end === 0) return;
    this.#lines++;
    const d = input.decoder.decode(end === bytes.length ? bytes : bytes.subarray(0, end));
    if ('row' in d) {
      this.#rows.push(d.row);
      if (this.#rows.length === PUSH_ROWS) this.#push();
    } else {
      this.#rejected++;
      this.#firstRejected ??= { line: this.#lines, reason: d.error };
    }
  }

  #push(): void {
    if (this.#input === undefined || this.#rows.length === 0) return;
    this.engine.push(this.#input.source, this.#rows);
    this.#rows = [];
  }

  /** Ends the log: a watermark past the newest event of every source closes every window. */
  close(): void {
    const newest = Math.max(0, ...this.engine.sourceStats().map((s) => s.maxEventTime ?? 0));
    this.#clockMs = newest / 1000 + HOLD_WINDOWS_MICROS / 1000 + 86_400_000;
    // The log's one epoch ends; a view over another view's closed windows (a trailing baseline)
    // closes at the next barrier.
    this.engine.flush();
    this.engine.flush();
  }
}
