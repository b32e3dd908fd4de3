/**
 * `tidewatch analyze FILE…`: the reference pipeline and the detections over a finished log, as
 * fast as they go, then a report of what happened in it (or the detections as NDJSON) — no data
 * directory, no server.
 */
import { createReadStream } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CombinedViews } from '../analyze/combined-views.ts';
import { FinishedLog } from '../analyze/finished-log.ts';
import { detectionsNdjson, TOP_TALKERS_SQL, textReport } from '../analyze/report.ts';
import { SqlError } from '../sql/errors.ts';
import { PipelineThread, PipelineThreadError } from './analyze-threads.ts';
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
    // The first pipeline file's views here, each later file's on a thread of its own.
    const threads = PIPELINES.slice(1).map(
      (_, i) =>
        new PipelineThread({ pipelines: PIPELINES, own: i + 1, source: SOURCE, format: settings.format }),
    );
    const log = new FinishedLog();
    try {
      try {
        await applyPipelines(log.engine, PIPELINES.slice(0, 1));
        await log.engine.execute(TOP_TALKERS_SQL);
      } catch (error) {
        if (!(error instanceof PipelineError)) throw error;
        return pipelineFailed(error, io);
      }
      const spec = log.engine.sourceSpec(SOURCE);
      if (spec === undefined) throw new Error(`the pipelines create no source ${SOURCE}`);
      try {
        log.input(SOURCE, inputDecoder(settings.format, spec));
      } catch (error) {
        if (!(error instanceof SqlError)) throw error;
        throw new UsageError(`tidewatch analyze: --format ${settings.format}: ${error.message}`);
      }
      // The threads start meanwhile; the first chunks wait for them in their queues.
      for (const file of files) {
        const chunks =
          file === '-'
            ? (io.stdin ?? process.stdin)
            : createReadStream(resolve(io.cwd, file), { highWaterMark: 1 << 20 });
        try {
          for await (const chunk of chunks as AsyncIterable<Uint8Array>) {
            for (const t of threads) await t.write(chunk);
            log.write(chunk);
          }
        } catch (error) {
          if (error instanceof PipelineThreadError) return pipelineFailed(error, io);
          const code = (error as NodeJS.ErrnoException).code;
          if (code === undefined) throw error;
          io.stderr.write(`tidewatch: analyze: cannot read ${file}: ${(error as Error).message}\n`);
          return 1;
        }
        for (const t of threads) t.endInput();
        log.endInput();
      }
      try {
        await Promise.all(threads.map((t) => t.ready()));
      } catch (error) {
        if (error instanceof PipelineThreadError) return pipelineFailed(error, io);
        throw error;
      }
      log.close();
      const views = new CombinedViews(log.engine, await Promise.all(threads.map((t) => t.close())));
      const seconds = (performance.now() - began) / 1000;
      io.stdout.write(
        settings.json
          ? detectionsNdjson(views)
          : textReport({
              views,
              read: log.read,
              inputs: files.map((f) => (f === '-' ? 'stdin' : f)),
              format: settings.format,
              seconds,
              top: settings.top,
            }),
      );
      return 0;
    } finally {
      log.engine.close();
      await Promise.all(threads.map((t) => t.terminate()));
    }
  },
});

function pipelineFailed(error: Error, io: Io): number {
  io.stderr.write(`tidewatch: pipeline ${error.message}\n`);
  return 1;
}
