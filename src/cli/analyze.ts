/**
 * `tidewatch analyze FILE…`: the reference pipeline and the detections over a finished log, as
 * fast as they go, then a report of what happened in it (or the detections as NDJSON) — no data
 * directory, no server.
 */
import { createReadStream } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type FeedResult, FinishedLog } from '../analyze/finished-log.ts';
import { detectionsNdjson, TOP_TALKERS_SQL, textReport } from '../analyze/report.ts';
import { SqlError } from '../sql/errors.ts';
import { defineCommand, type Io } from './command.ts';
import { parseBoolean, parseNonEmpty, UsageError } from './flags.ts';
import { inputDecoder } from './inputs.ts';
import { applyPipelines, PipelineError } from './pipelines.ts';

const PACKAGE_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const PIPELINES = ['pipelines/website-security.sql', 'pipelines/detections.sql'].map((p) =>
  join(PACKAGE_ROOT, p),
);
const SOURCE = 'website_logs_source';

const flags = [
  {
    name: 'format',
    arg: 'FORMAT',
    help: 'what the files hold: json, combined, common, or an nginx log_format / Apache LogFormat string',
    default: 'combined' as string,
    parse: parseNonEmpty,
  },
  {
    name: 'json',
    help: 'print the detections as NDJSON (one JSON object a line) instead of the report',
    default: false as boolean,
    parse: parseBoolean,
  },
  {
    name: 'top',
    arg: 'N',
    help: 'top talkers the report shows',
    default: 10 as number,
    parse: (text: string) => {
      const n = Number(text);
      if (!Number.isInteger(n) || n < 1) throw new Error(`"${text}" is not a positive whole number`);
      return n;
    },
  },
] as const;

export const analyzeCommand = defineCommand({
  name: 'analyze',
  summary: 'Run the pipelines and detections over finished logs and report what happened',
  usage: 'tidewatch analyze [options] FILE… (- for stdin)',
  flags,
  takesArguments: true,
  details: [
    'Reads the files in order (- reads stdin), event time from the records, every window held',
    'open until the end, then prints the top talkers, the status codes and every detection with',
    'its evidence. Lines that are no record of --format are counted, the first one shown.',
  ],
  async run(settings, io: Io, files): Promise<number> {
    if (files.length === 0)
      throw new UsageError('tidewatch analyze: name the log files to read (- for stdin)');
    const began = performance.now();
    const log = new FinishedLog();
    try {
      await applyPipelines(log.engine, PIPELINES);
      await log.engine.execute(TOP_TALKERS_SQL);
    } catch (error) {
      if (!(error instanceof PipelineError)) throw error;
      io.stderr.write(`tidewatch: pipeline ${error.message}\n`);
      return 1;
    }
    const spec = log.engine.sourceSpec(SOURCE);
    if (spec === undefined) throw new Error(`the pipelines create no source ${SOURCE}`);
    let decoder: ReturnType<typeof inputDecoder>;
    try {
      decoder = inputDecoder(settings.format, spec);
    } catch (error) {
      if (!(error instanceof SqlError)) throw error;
      throw new UsageError(`tidewatch analyze: --format ${settings.format}: ${error.message}`);
    }
    let read: FeedResult = { lines: 0, rejected: 0 };
    for (const file of files) {
      const chunks =
        file === '-'
          ? (io.stdin ?? process.stdin)
          : createReadStream(resolve(io.cwd, file), { highWaterMark: 1 << 20 });
      try {
        read = await log.feed(SOURCE, decoder, chunks as AsyncIterable<Uint8Array>, read);
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code === undefined) throw error;
        io.stderr.write(`tidewatch: analyze: cannot read ${file}: ${(error as Error).message}\n`);
        log.engine.close();
        return 1;
      }
    }
    log.close();
    const seconds = (performance.now() - began) / 1000;
    io.stdout.write(
      settings.json
        ? detectionsNdjson(log.engine)
        : textReport({
            engine: log.engine,
            read,
            inputs: files.map((f) => (f === '-' ? 'stdin' : f)),
            format: settings.format,
            seconds,
            top: settings.top,
          }),
    );
    log.engine.close();
    return 0;
  },
});
