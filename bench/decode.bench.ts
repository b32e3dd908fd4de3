// Record decoders of ingestion (src/connectors/formats) on one core: records/s from lines to
// typed rows of the reference schema.
//
// - JSON: reference records as the generator writes them (NdjsonEncoder), decoded from the
//   string lines and from the byte lines;
// - combined: the real Apache log of the shared data (10,000 lines) repeated to 500,000 lines;
// - nginx: a custom log_format (combined + $request_time) written from reference records.
//
// Same-run baseline: the NDJSON split into lines + JSON.parse + a read of every field. Beside the
// combined decoder: its matcher alone (fields found, nothing converted) and a matcher made of one
// regular expression for the whole line (groups only, nothing converted). GoAccess
// (Debian's `goaccess`), when installed, parses the same 500,000 combined lines into its HTML
// report; its time is the whole command's wall clock, beside tidewatch reading that file from
// disk. Best of rounds after a warm-up.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decoderFor, type RecordDecoder } from '../src/connectors/formats/index.ts';
import { timeLocal } from '../src/generator/combined-line.ts';
import { NdjsonEncoder } from '../src/generator/ndjson-encoder.ts';
import { LOG_RECORD_COLUMNS, type LogRecord, toJsonLine } from '../src/generator/record.ts';
import { TrafficGenerator } from '../src/generator/traffic.ts';
import { lookupType, type SqlType } from '../src/sql/types.ts';
import { bestOf, formatRate, report } from './measure.ts';

const N_JSON = 200_000;
const N_LOG = 500_000;
const APACHE_LOGS = '/work/shared/data/apache_logs';

const columns = LOG_RECORD_COLUMNS.map(([name, type]) => ({ name, type: lookupType(type) as SqlType }));
const generator = new TrafficGenerator({ seed: 1, rate: 200, startMs: Date.parse('2024-01-25T00:00:00Z') });
const records: LogRecord[] = Array.from({ length: N_JSON }, () => generator.next());

const encoder = new NdjsonEncoder();
for (const r of records) encoder.append(toJsonLine(r));
const ndjson = Buffer.from(encoder.take());
const ndjsonText = ndjson.toString('utf8');

/** A reference record as nginx logs it with `combined` + ` $request_time`. */
function nginxLine(r: LogRecord): string {
  const bytes = 200 + (r.response_time % 5000);
  return `${r.ip_address} - ${r.username ?? '-'} [${timeLocal(r.request_timestamp)}] "${r.http_method} ${r.url} HTTP/1.1" ${r.status_code} ${bytes} "${r.referrer}" "${r.user_agent}" ${(r.response_time / 1000).toFixed(3)}`;
}
const NGINX_FORMAT =
  '$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent" $request_time';
const nginxText = `${records.map(nginxLine).join('\n')}\n`;

/** Each line of `text` (ending in a newline) to `f`. */
function eachLine(text: string, f: (line: string) => void): number {
  let n = 0;
  for (let at = 0; at < text.length; ) {
    const end = text.indexOf('\n', at);
    f(text.slice(at, end));
    at = end + 1;
    n++;
  }
  return n;
}

/** Each line of `bytes` (ending in a newline) to `f`, as a view of the buffer. */
function eachByteLine(bytes: Buffer, f: (line: Uint8Array) => void): number {
  let n = 0;
  for (let at = 0; at < bytes.length; ) {
    const end = bytes.indexOf(10, at);
    f(bytes.subarray(at, end));
    at = end + 1;
    n++;
  }
  return n;
}

let sink = 0;
let errors = 0;
const decodeInto = (decoder: RecordDecoder) => (line: string | Uint8Array) => {
  const d = decoder.decode(line);
  if ('row' in d) sink += d.row.length;
  else errors++;
};

const baseline = await bestOf(5, N_JSON, () =>
  eachLine(ndjsonText, (line) => {
    const o = JSON.parse(line);
    sink +=
      o.request_timestamp.length +
      o.ip_address.length +
      o.user_agent.length +
      o.url.length +
      o.http_method.length +
      o.status_code +
      o.response_time +
      o.referrer.length +
      (o.user_id?.length ?? 0) +
      (o.username?.length ?? 0) +
      o.user_action.length +
      o.security_level.length;
  }),
);

const json = decodeInto(decoderFor('JSON', new Map(), columns));
const jsonText = await bestOf(5, N_JSON, () => eachLine(ndjsonText, json));
const jsonBytes = await bestOf(5, N_JSON, () => eachByteLine(ndjson, json));

const nginx = decodeInto(decoderFor('ACCESS_LOG', new Map([['log_format', NGINX_FORMAT]]), columns));
const nginxRate = await bestOf(5, N_JSON, () => eachLine(nginxText, nginx));

const rows: [string, string][] = [];
const vs = (t: { perSecond: number }) =>
  `${formatRate(t.perSecond)}  (${(t.perSecond / baseline.perSecond).toFixed(2)}× baseline)`;
rows.push(['baseline: split NDJSON lines + JSON.parse + read 12 fields', formatRate(baseline.perSecond)]);
rows.push(['JSON, string lines → typed rows', vs(jsonText)]);
rows.push(['JSON, byte lines (UTF-8 checked) → typed rows', vs(jsonBytes)]);
rows.push(['nginx combined + $request_time → typed rows', vs(nginxRate)]);

if (!existsSync(APACHE_LOGS)) {
  console.log(`(combined and GoAccess skipped: ${APACHE_LOGS} is absent)`);
} else {
  const real = readFileSync(APACHE_LOGS, 'utf8')
    .split('\n')
    .filter((l) => l !== '');
  const lines: string[] = [];
  while (lines.length < N_LOG) lines.push(...real.slice(0, N_LOG - lines.length));
  const combinedText = `${lines.join('\n')}\n`;
  const combinedBytes = Buffer.from(combinedText, 'utf8');
  const combined = decodeInto(decoderFor('ACCESS_LOG', new Map([['log_format', 'combined']]), columns));
  const combinedRate = await bestOf(3, N_LOG, () => eachLine(combinedText, combined));
  const combinedByteRate = await bestOf(3, N_LOG, () => eachByteLine(combinedBytes, combined));
  // What a matcher built of regular expressions would do: one regex for the whole line, its
  // groups only (no types, no request-line split).
  const combinedRe =
    /^(\S+) \S+ (\S+) \[([^\]]+)\] "((?:[^"\\]|\\.)*)" (\d{3}) (\S+)(?: "((?:[^"\\]|\\.)*)" "((?:[^"\\]|\\.)*)"?)?/;
  const regexRate = await bestOf(3, N_LOG, () =>
    eachLine(combinedText, (line) => {
      const m = combinedRe.exec(line);
      if (m === null) errors++;
      else sink += (m[1] as string).length + (m[8]?.length ?? 0);
    }),
  );
  const matchOnly = decodeInto(decoderFor('ACCESS_LOG', new Map([['log_format', 'combined']]), []));
  const matchRate = await bestOf(3, N_LOG, () => eachLine(combinedText, matchOnly));
  rows.push(['combined (apache_logs ×50), string lines → typed rows', vs(combinedRate)]);
  rows.push(['  its fields found, no column read (a source of no columns)', vs(matchRate)]);
  rows.push(['  beside: one regex per line, its groups only', vs(regexRate)]);
  rows.push(['combined, byte lines → typed rows', vs(combinedByteRate)]);

  const dir = mkdtempSync(join(tmpdir(), 'tidewatch-decode-'));
  const file = join(dir, 'access.log');
  writeFileSync(file, combinedBytes);
  const fromDisk = await bestOf(3, N_LOG, () => eachByteLine(readFileSync(file), combined));
  rows.push(['combined, read from disk + decode (as GoAccess does)', formatRate(fromDisk.perSecond)]);
  const goaccess = spawnSync('goaccess', ['--version'], { encoding: 'utf8' });
  if (goaccess.error !== undefined || goaccess.status !== 0) {
    console.log('(GoAccess skipped: the goaccess command is not installed; Debian package goaccess)');
  } else {
    const html = join(dir, 'report.html');
    let best = Number.POSITIVE_INFINITY;
    for (let i = 0; i < 3; i++) {
      const t0 = performance.now();
      const r = spawnSync('goaccess', [file, '--log-format=COMBINED', '-o', html], { encoding: 'utf8' });
      const ms = performance.now() - t0;
      if (r.status !== 0) throw new Error(`goaccess failed: ${r.stderr}`);
      best = Math.min(best, ms);
    }
    const rate = (N_LOG * 1000) / best;
    rows.push([
      `GoAccess ${/\d+(?:\.\d+)*/.exec(goaccess.stdout)?.[0] ?? ''}: the same file → its HTML report`,
      `${formatRate(rate)}  (tidewatch from disk ${(fromDisk.perSecond / rate).toFixed(1)}× GoAccess)`,
    ]);
  }
  rmSync(dir, { recursive: true, force: true });
}

console.log(
  `decode: reference-schema rows on one core (${N_JSON.toLocaleString('en-US')} JSON and nginx lines, ${N_LOG.toLocaleString('en-US')} combined lines), best of rounds`,
);
report(rows);
if (errors > 0) throw new Error(`${errors} lines did not decode`);
if (sink === 0) console.log('');
