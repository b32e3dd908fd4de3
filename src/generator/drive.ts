/** Runs a traffic generator into an output, paced against the wall clock or as fast as the output takes it. */
import type { LogRecord } from './record.ts';
import type { AttackLabel } from './scenarios.ts';
import { TrafficGenerator, type TrafficOptions } from './traffic.ts';

export interface DriveOptions {
  traffic: TrafficOptions;
  /** Event time runs this many times faster than wall time; 'max' = unpaced. With `traffic.clock`, always unpaced. */
  speedup: number | 'max';
  /** Stop after this many records (base + attack), skipped ones included. */
  count?: number;
  /**
   * Generate and drop this many records first: a seeded generator then continues where an
   * earlier run that wrote them stopped (their labels are dropped too).
   */
  skip?: number;
  /** Stop when event time reaches `startMs + durationSec * 1000`. */
  durationSec?: number;
  /** Stop cleanly when aborted. */
  signal?: AbortSignal;
}

/** An attack episode that began in a batch: its label, and the index of its first record in the batch. */
export interface BatchEpisode {
  readonly label: AttackLabel;
  readonly index: number;
}

/** Where records go. `drive` awaits every write (backpressure) and closes the output when it stops. */
export interface RecordOutput {
  /** `started`: the episodes whose first record is in the batch. */
  write(batch: readonly LogRecord[], started?: readonly BatchEpisode[]): void | Promise<void>;
  close(): Promise<void>;
}

export interface LabelOutput {
  write(labels: readonly AttackLabel[]): void | Promise<void>;
  close(): Promise<void>;
}

/** Thrown by an output whose reader went away (a closed pipe): `drive` then stops quietly. */
export class OutputClosedError extends Error {
  constructor(message = 'the output was closed by its reader') {
    super(message);
    this.name = 'OutputClosedError';
  }
}

const TICK_MS = 10;
/**
 * Records per write at most, so that an unpaced run or a large speedup still writes in steady
 * steps. Small: `tidewatch start` generates on the engine's thread, which pushes each batch
 * through the views before the event loop turns again; 8,192 records held it some 300 ms.
 */
const MAX_BATCH = 1024;

export async function drive(
  options: DriveOptions,
  output: RecordOutput,
  labels?: LabelOutput,
): Promise<{ records: number }> {
  const { speedup, signal } = options;
  if (speedup !== 'max' && !(speedup > 0 && Number.isFinite(speedup))) {
    throw new Error(`speedup must be a positive number or 'max', got ${speedup}`);
  }
  const maxRecords = options.count ?? Number.POSITIVE_INFINITY;
  const { startMs } = options.traffic;
  const endTime =
    options.durationSec === undefined ? Number.POSITIVE_INFINITY : startMs + options.durationSec * 1000;
  const paced = speedup !== 'max' && options.traffic.clock === undefined;

  let records = 0;
  let failure: unknown = null;
  let generator: TrafficGenerator | null = null;
  try {
    generator = new TrafficGenerator(options.traffic);
    const skip = Math.min(options.skip ?? 0, maxRecords);
    for (; records < skip; records++) generator.next();
    generator.takeLabels();
    generator.takeStarted();
    const wallStart = performance.now();
    let finished = false;
    while (!finished && !signal?.aborted) {
      const limit = paced ? startMs + (performance.now() - wallStart) * speedup : Number.POSITIVE_INFINITY;
      const batch: LogRecord[] = [];
      for (;;) {
        const time = generator.peekTime();
        if (records + batch.length >= maxRecords || time >= endTime) {
          finished = true;
          break;
        }
        if (batch.length === MAX_BATCH || time > limit) break;
        batch.push(generator.next());
      }
      if (batch.length > 0) {
        const started = generator.takeStarted().map((s) => ({
          label: s.label,
          index: s.record - records,
        }));
        records += batch.length;
        await output.write(batch, started);
      }
      const ended = generator.takeLabels();
      if (labels !== undefined && ended.length > 0) await labels.write(ended);
      if (finished) break;
      // A full batch means we are behind: only let the event loop breathe; else wait for the next tick.
      await (batch.length === MAX_BATCH ? yieldToEventLoop() : sleep(TICK_MS, signal));
    }
  } catch (error) {
    if (!(error instanceof OutputClosedError)) failure = error;
  }
  try {
    const open = failure === null && generator !== null ? generator.finish() : [];
    if (labels !== undefined && open.length > 0) await labels.write(open);
  } catch (error) {
    failure = error;
  }
  for (const sink of [output, labels]) {
    try {
      await sink?.close();
    } catch (error) {
      if (failure === null && !(error instanceof OutputClosedError)) failure = error;
    }
  }
  if (failure !== null) throw failure;
  return { records };
}

function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    const onAbort = (): void => {
      clearTimeout(timer);
      resolve();
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
