/**
 * What a sink's message looks like on the wire. Rows are JSON objects keyed by column name:
 * booleans, numbers and strings as they are, timestamps as ISO 8601 (`Z` for timestamptz),
 * numerics and bigints beyond 2^53 as their exact text, jsonb as its JSON, anything else as
 * its PostgreSQL text.
 *
 * The generic payload (webhook `payload = 'json'`, file lines, the log's):
 *
 *   {"sink": "alerts", "dedup_key": "alerts:1234:1", "epoch": 1234, "seq": 1,
 *    "op": "insert", "status": "firing", "committed_at": "2024-…Z",
 *    "row": {"scenario": "brute-force", …}, "held_back": 0}
 *
 * Slack's (`payload = 'slack'`): `{"text": "…"}`, one line naming the status and the row.
 */

import { isoTimestamp } from '../serve/json-rows.ts';
import { jsonOf } from '../sql/jsonb-value.ts';
import type { SqlType, Value } from '../sql/types.ts';
import { formatValue } from '../sql/value-text.ts';
import type { Row } from '../stream/value.ts';
import type { SinkMessage } from './alert-stream.ts';

export interface PayloadColumn {
  readonly name: string;
  readonly type: SqlType;
}

function jsonValue(v: Value, type: SqlType): unknown {
  if (v === null) return null;
  switch (type.name) {
    case 'boolean':
    case 'varchar':
    case 'text':
    case 'unknown':
    case 'int2':
    case 'int4':
      return v;
    case 'float4':
    case 'float8':
      return Number.isFinite(v) ? v : formatValue(v, type);
    case 'int8':
      return typeof v === 'bigint' ? v.toString() : v;
    case 'timestamp':
      return isoTimestamp(v as number, '');
    case 'timestamptz':
      return isoTimestamp(v as number, 'Z');
    case 'jsonb':
      return jsonOf(v);
    default:
      return formatValue(v, type);
  }
}

/** A row as a JSON object keyed by column name. */
export function rowObject(row: Row, columns: readonly PayloadColumn[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  columns.forEach((c, i) => {
    out[c.name] = jsonValue(row[i] ?? null, c.type);
  });
  return out;
}

/** The generic payload of a message. */
export function genericPayload(
  message: SinkMessage,
  columns: readonly PayloadColumn[],
): Record<string, unknown> {
  return {
    sink: message.sink,
    dedup_key: message.dedupKey,
    epoch: message.epoch,
    seq: message.seq,
    op: message.op,
    status: message.status,
    committed_at: new Date(message.committedAt).toISOString(),
    row: rowObject(message.row, columns),
    held_back: message.heldBack,
  };
}

/** `scenario: brute-force · actor: 203.0.113.7 · …`: the row as a person reads it. */
function rowText(row: Row, columns: readonly PayloadColumn[]): string {
  return Object.entries(rowObject(row, columns))
    .map(([name, v]) => `${name}: ${typeof v === 'string' ? v : JSON.stringify(v)}`)
    .join(' · ');
}

/** Slack's incoming-webhook payload of a message. */
export function slackPayload(message: SinkMessage, columns: readonly PayloadColumn[]): { text: string } {
  const head = message.status === 'firing' ? ':rotating_light: *FIRING*' : ':white_check_mark: *RESOLVED*';
  const update = message.op === 'update' ? ' (updated)' : '';
  const held = message.heldBack > 0 ? ` (+${message.heldBack} held back by throttling)` : '';
  return { text: `${head}${update} ${message.sink} — ${rowText(message.row, columns)}${held}` };
}

/** One line of the log sink. */
export function logLine(message: SinkMessage, columns: readonly PayloadColumn[]): string {
  return `tidewatch sink ${message.sink}: ${message.status.toUpperCase()} ${message.op} ${JSON.stringify(rowObject(message.row, columns))} (${message.dedupKey})`;
}
