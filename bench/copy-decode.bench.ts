// COPY FROM's decode + convert on one core: rows/s from the bytes a client sends (cut into
// 64 KiB CopyData chunks) to typed rows of the reference schema (12 columns: a timestamp,
// varchars and texts, two integers), in text format and CSV, as `COPY … TO STDOUT` writes
// them. Same-run baseline: JSON.parse of the same rows as NDJSON lines. Best of rounds after a
// warm-up (a long-running process runs optimised code).

import { LOG_RECORD_COLUMNS, toJsonLine } from '../src/generator/record.ts';
import { TrafficGenerator } from '../src/generator/traffic.ts';
import { CopyTextDecoder, type CopyTextLayout } from '../src/serve/copy-decode.ts';
import { type CopyTarget, CopyTextRows } from '../src/serve/copy-rows.ts';
import { copyLayout, copyLine } from '../src/serve/pgwire/copy-out.ts';
import { textOf } from '../src/serve/pgwire/value-codec.ts';
import { lookupType, type SqlType, type Value } from '../src/sql/types.ts';
import { bestOf, formatRate, report } from './measure.ts';

const N = 200_000;
const CHUNK = 64 * 1024;
const startMs = Date.parse('2024-01-25T00:00:00Z');
const generator = new TrafficGenerator({ seed: 1, rate: 200, startMs });
const records = Array.from({ length: N }, () => generator.next());

const columns = LOG_RECORD_COLUMNS.map(([name, type]) => ({ name, type: lookupType(type) as SqlType }));
const target: CopyTarget = { relation: 'logs', columns, fields: columns.map((_, i) => i) };
const rows: Value[][] = records.map((r) =>
  LOG_RECORD_COLUMNS.map(([name]) => (name === 'request_timestamp' ? r.request_timestamp * 1000 : r[name])),
);

/** The rows as COPY TO writes them in `format`, cut into chunks. */
function data(format: 'text' | 'csv'): Buffer[] {
  const layout = copyLayout({ format });
  const text = rows
    .map((row) =>
      copyLine(
        layout,
        row.map((v, i) => textOf(v, (columns[i] as { type: SqlType }).type)),
      ),
    )
    .join('');
  const bytes = Buffer.from(text, 'utf8');
  const chunks: Buffer[] = [];
  for (let at = 0; at < bytes.length; at += CHUNK) chunks.push(bytes.subarray(at, at + CHUNK));
  return chunks;
}

function decode(chunks: readonly Buffer[], csv: boolean): number {
  const layout: CopyTextLayout = csv
    ? { csv, delimiter: ',', null: '', quote: '"', escape: '"', header: false }
    : { csv, delimiter: '\t', null: '\\N', quote: '', escape: '', header: false };
  const sink = new CopyTextRows(target, { csv, null: layout.null });
  const decoder = new CopyTextDecoder(layout, sink, 'logs');
  for (const chunk of chunks) decoder.write(chunk);
  decoder.end();
  if (sink.rows.length !== N) throw new Error(`decoded ${sink.rows.length} rows, not ${N}`);
  return sink.rows.length;
}

/** Decoding alone: the fields of each line, no conversion. */
function split(chunks: readonly Buffer[], csv: boolean): number {
  const layout: CopyTextLayout = csv
    ? { csv, delimiter: ',', null: '', quote: '"', escape: '"', header: false }
    : { csv, delimiter: '\t', null: '\\N', quote: '', escape: '', header: false };
  let lines = 0;
  const decoder = new CopyTextDecoder(
    layout,
    {
      line: () => {
        lines++;
      },
      header: () => {},
    },
    'logs',
  );
  for (const chunk of chunks) decoder.write(chunk);
  decoder.end();
  return lines;
}

const text = data('text');
const csv = data('csv');
const ndjson = Buffer.from(records.map((r) => `${toJsonLine(r)}\n`).join(''), 'utf8');

// Every value must come back as it went out.
const check = new CopyTextRows(target, { csv: false, null: '\\N' });
const checker = new CopyTextDecoder(
  { csv: false, delimiter: '\t', null: '\\N', quote: '', escape: '', header: false },
  check,
  'logs',
);
for (const chunk of text) checker.write(chunk);
checker.end();
if (JSON.stringify(check.rows) !== JSON.stringify(rows)) throw new Error('text rows do not round-trip');

let sink = 0;
const baseline = await bestOf(5, N, () => {
  const s = ndjson.toString('utf8');
  let at = 0;
  for (let i = 0; i < N; i++) {
    const end = s.indexOf('\n', at);
    sink += (JSON.parse(s.slice(at, end)) as { status_code: number }).status_code;
    at = end + 1;
  }
});
const textSplit = await bestOf(5, N, () => split(text, false));
const textRows = await bestOf(5, N, () => decode(text, false));
const csvSplit = await bestOf(5, N, () => split(csv, true));
const csvRows = await bestOf(5, N, () => decode(csv, true));

const mb = (chunks: readonly Buffer[]) => chunks.reduce((n, c) => n + c.length, 0) / 1e6;
const vs = (t: { perSecond: number }) =>
  `${formatRate(t.perSecond)}  (${(t.perSecond / baseline.perSecond).toFixed(2)}× baseline)`;
console.log(
  `copy-decode: ${N.toLocaleString('en-US')} reference-schema rows, ${CHUNK / 1024} KiB chunks (text ${mb(text).toFixed(1)} MB, CSV ${mb(csv).toFixed(1)} MB), best of rounds`,
);
report([
  ['baseline: JSON.parse of the same rows as NDJSON', formatRate(baseline.perSecond)],
  ['text: decode to fields', vs(textSplit)],
  ['text: decode + convert to typed rows', vs(textRows)],
  ['csv: decode to fields', vs(csvSplit)],
  ['csv: decode + convert to typed rows', vs(csvRows)],
]);
if (sink === 0) console.log('');
