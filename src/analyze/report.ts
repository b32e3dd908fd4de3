/**
 * What `tidewatch analyze` prints of a finished log: the busiest client addresses, the mix of
 * status codes, and every detection with its evidence — or the detections alone as NDJSON.
 * Read from the engine's views once the log is closed (finished-log.ts).
 */
import { isoTimestamp, jsonRows } from '../serve/json-rows.ts';
import type { SqlType } from '../sql/types.ts';
import type { Row } from '../stream/value.ts';
import type { FeedResult } from './finished-log.ts';

/** The view the report's top talkers are read from, added to the pipelines by `analyze`. */
export const TOP_TALKERS_SQL = `CREATE MATERIALIZED VIEW analyze_talkers AS
SELECT
    ip_address,
    COUNT(*) AS requests,
    SUM(CASE WHEN status_code >= 400 AND status_code < 500 THEN 1 ELSE 0 END) AS client_errors,
    SUM(CASE WHEN status_code >= 500 THEN 1 ELSE 0 END) AS server_errors,
    MIN(request_timestamp) AS first_seen,
    MAX(request_timestamp) AS last_seen
FROM website_logs_source
GROUP BY ip_address`;

/** Where the report reads views from: an engine, or the views of several (analyze's threads). */
export interface Views {
  getRelation(name: string): { readonly columns: readonly { name: string; type: SqlType }[] } | undefined;
  /** The view's rows, sorted (`Engine.rows`). */
  rows(name: string): Row[];
}

export interface ReportInput {
  readonly views: Views;
  readonly read: FeedResult;
  /** What was read (file names, `stdin`). */
  readonly inputs: readonly string[];
  readonly format: string;
  readonly seconds: number;
  /** Top talkers shown. */
  readonly top: number;
}

const count = (n: number) => n.toLocaleString('en-US');
const time = (micros: number) => isoTimestamp(micros, '').replace('T', ' ').slice(0, 19);
const num = (v: unknown) => Number(v ?? 0);

/** The detections view's rows as NDJSON, one per line, times as ISO 8601 (as the HTTP API writes them). */
export function detectionsNdjson(views: Views): string {
  const relation = views.getRelation('detections');
  if (relation === undefined) return '';
  const { columns, rows } = jsonRows(relation.columns, sortedDetections(views));
  return rows
    .map((r) => `${JSON.stringify(Object.fromEntries(columns.map((c, i) => [c.name, r[i]])))}\n`)
    .join('');
}

/** Detections by window, then scenario and actor. */
function sortedDetections(views: Views): Row[] {
  return views
    .rows('detections')
    .sort(
      (a, b) =>
        num(a[2]) - num(b[2]) ||
        String(a[0]).localeCompare(String(b[0])) ||
        String(a[1]).localeCompare(String(b[1])),
    );
}

export function textReport(input: ReportInput): string {
  const { views, read } = input;
  const out: string[] = [];
  const talkers = views.rows('analyze_talkers');
  const requests = talkers.reduce((sum, r) => sum + num(r[1]), 0);
  const first = Math.min(...talkers.map((r) => num(r[4])));
  const last = Math.max(...talkers.map((r) => num(r[5])));
  const rate = input.seconds > 0 ? Math.round(read.lines / input.seconds) : read.lines;
  out.push(
    `tidewatch analyze: ${count(read.lines)} lines of ${input.inputs.join(', ')} (${input.format}) in ${input.seconds.toFixed(1)} s, ${count(rate)} lines/s`,
  );
  if (read.rejected > 0 && read.firstRejected !== undefined)
    out.push(
      `  ${count(read.rejected)} lines are not ${input.format} records (line ${read.firstRejected.line}: ${read.firstRejected.reason})`,
    );
  if (requests === 0) {
    out.push('  no requests');
    return `${out.join('\n')}\n`;
  }
  out.push(
    `  ${count(requests)} requests from ${count(talkers.length)} addresses, ${time(first)} to ${time(last)} UTC`,
    '',
  );

  out.push(`Top talkers`);
  const top = [...talkers].sort((a, b) => num(b[1]) - num(a[1]) || String(a[0]).localeCompare(String(b[0])));
  const width = Math.max(...top.slice(0, input.top).map((r) => String(r[0] ?? '-').length));
  for (const r of top.slice(0, input.top))
    out.push(
      `  ${String(r[0] ?? '-').padEnd(width)}  ${count(num(r[1])).padStart(9)}  ${percent(num(r[1]), requests)}  4xx ${count(num(r[2]))}, 5xx ${count(num(r[3]))}`,
    );
  out.push('');

  out.push('Status codes');
  const statuses = new Map<string, number>();
  for (const r of views.rows('status_code_analysis_summary')) {
    const code = r[0] === null ? '-' : String(r[0]);
    statuses.set(code, (statuses.get(code) ?? 0) + num(r[1]));
  }
  for (const [code, n] of [...statuses].sort((a, b) => b[1] - a[1]))
    out.push(`  ${code.padEnd(3)}  ${count(n).padStart(9)}  ${percent(n, requests)}`);
  out.push('');

  const detections = views.getRelation('detections') === undefined ? [] : sortedDetections(views);
  out.push(`Detections: ${detections.length === 0 ? 'none' : count(detections.length)}`);
  const byScenario = new Map<string, number>();
  for (const d of detections) byScenario.set(String(d[0]), (byScenario.get(String(d[0])) ?? 0) + 1);
  if (byScenario.size > 0) out.push(`  ${[...byScenario].map(([s, n]) => `${s} ${count(n)}`).join(', ')}`);
  for (const d of detections)
    out.push(
      `  ${time(num(d[2]))}–${time(num(d[3])).slice(11)}  ${String(d[0])}  ${String(d[4])}  ${String(d[1])}: ${String(d[5])}`,
    );
  return `${out.join('\n')}\n`;
}

function percent(n: number, of: number): string {
  return `${((100 * n) / of).toFixed(1).padStart(5)} %`;
}
