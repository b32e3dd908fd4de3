/**
 * The generator's ground truth, kept exactly once with the events it describes.
 *
 * Each label is a line of `attack-labels.ndjson` in the data directory, naming the source its
 * events go to and the offset of its first event in that source's durable log. It is written
 * and fsynced before that event is appended, so no event of an episode is in a log without its
 * label. A crash between the two leaves a label whose first event is beyond the log's end: at
 * start, when the source's log is opened, such labels are cut from the file before anything is
 * appended again (`cutOrphans`). A label reaches the store (`tidewatch_attack_labels`) in the
 * epoch whose commit consumes its first event (`release`), so a restart knows from the
 * committed offsets which labels the store holds already.
 */
import { closeSync, existsSync, fsyncSync, openSync, readFileSync, truncateSync, writeSync } from 'node:fs';
import { writeFileAtomically } from '../store/atomic-file.ts';
import type { AttackLabelRow } from '../store/view-store.ts';

/** A label as the generator makes it (AttackLabel), without where its events went. */
export type AttackLabel = Omit<AttackLabelRow, 'source'>;

/** A label line: the label, its source, and the offset of its first event in that source's log. */
interface LabelLine extends AttackLabelRow {
  readonly offset: number;
}

export interface AttackLabelFileOptions {
  /** Whether appends are fsynced (false with the fsync policy `never`). */
  readonly fsync: boolean;
  /** The first offset of a source's log not consumed by the last commit. */
  readonly committed: (source: string) => number;
  /** Where what the file repairs is reported (a cut line, labels of events a crash lost). */
  readonly notices: string[];
}

export class AttackLabelFile {
  readonly #path: string;
  readonly #options: AttackLabelFileOptions;
  /** Every line of the file as written, and parsed (null: a line of another form, kept as it is). */
  #lines: { readonly text: string; readonly label: LabelLine | null }[];
  /** Labels whose first event no commit consumed yet, in file order. */
  #pending: LabelLine[];
  #fd: number | undefined;

  constructor(path: string, options: AttackLabelFileOptions) {
    this.#path = path;
    this.#options = options;
    const text = existsSync(path) ? readFileSync(path, 'utf8') : '';
    const end = text.lastIndexOf('\n') + 1;
    if (end < text.length) {
      // A line cut by a crash in the middle of its write: its event was never appended.
      truncateSync(path, Buffer.byteLength(text.slice(0, end)));
      options.notices.push(`${path}: cut an incomplete last line of ${text.length - end} characters`);
    }
    this.#lines = text
      .slice(0, end)
      .split('\n')
      .filter((text) => text !== '')
      .map((text) => ({ text, label: parseLine(text) }));
    this.#pending = this.#lines
      .map((l) => l.label)
      .filter((l): l is LabelLine => l !== null && l.offset >= options.committed(l.source));
  }

  /** Labels in the file (every run's). */
  get total(): number {
    return this.#lines.length;
  }

  /**
   * Drops the labels of `source` whose first event is at or beyond `logEnd`, the end of its log
   * as opened: their events never made it into the log. Call before anything is appended to it.
   */
  cutOrphans(source: string, logEnd: number): number {
    const orphan = (l: LabelLine | null) => l !== null && l.source === source && l.offset >= logEnd;
    const cut = this.#lines.filter((l) => orphan(l.label)).length;
    if (cut === 0) return 0;
    this.#closeFd();
    this.#lines = this.#lines.filter((l) => !orphan(l.label));
    this.#pending = this.#pending.filter((l) => !orphan(l));
    writeFileAtomically(this.#path, this.#lines.map((l) => `${l.text}\n`).join(''));
    this.#options.notices.push(
      `${this.#path}: cut ${cut} label(s) of events a crash kept out of ${source}'s log`,
    );
    return cut;
  }

  /** Writes labels whose first events are about to be appended to `source`'s log at `offset`s. */
  append(source: string, labels: readonly { readonly label: AttackLabel; readonly offset: number }[]): void {
    if (labels.length === 0) return;
    const lines = labels.map(({ label, offset }) => {
      const line: LabelLine = { ...label, source, offset };
      return { text: JSON.stringify(line), label: line };
    });
    this.#fd ??= openSync(this.#path, 'a');
    const bytes = Buffer.from(lines.map((l) => `${l.text}\n`).join(''));
    for (let at = 0; at < bytes.length; ) at += writeSync(this.#fd, bytes, at);
    if (this.#options.fsync) fsyncSync(this.#fd);
    for (const l of lines) {
      this.#lines.push(l);
      this.#pending.push(l.label);
    }
  }

  /** The labels whose first event is before `offsets[source]` (what an epoch consumed), once. */
  release(offsets: Readonly<Record<string, number>>): AttackLabelRow[] {
    const released: AttackLabelRow[] = [];
    this.#pending = this.#pending.filter((l) => {
      const consumed = offsets[l.source];
      if (consumed === undefined || l.offset >= consumed) return true;
      const { offset: _, ...row } = l;
      released.push(row);
      return false;
    });
    return released;
  }

  close(): void {
    this.#closeFd();
  }

  #closeFd(): void {
    if (this.#fd !== undefined) closeSync(this.#fd);
    this.#fd = undefined;
  }
}

function parseLine(line: string): LabelLine | null {
  try {
    const l = JSON.parse(line) as Partial<LabelLine>;
    // Lines written before labels named their events (no source, no offset) stay in the file only.
    return typeof l.source === 'string' && Number.isSafeInteger(l.offset) ? (l as LabelLine) : null;
  } catch {
    return null;
  }
}
