/**
 * What the HTTP API answers of the engine's state, in the dashboard API's terms (json-rows.ts):
 * columns with their PostgreSQL type names, times as ISO 8601 text rather than microseconds.
 */
import type { Engine } from '../engine/engine.ts';
import type { IngestionStatus } from '../runtime/ingestion.ts';
import { HttpError, type JsonHandler } from '../serve/http.ts';
import { jsonRows, jsonValue } from '../serve/json-rows.ts';

/** `GET /api/views?name=v`: a view's typed columns and committed rows. */
export function viewRows(engine: Engine): JsonHandler {
  return (query) => {
    const name = query.get('name');
    if (name === null) throw new HttpError(400, 'give the view as ?name=');
    const relation = engine.getRelation(name);
    if (relation === undefined || relation.kind !== 'view')
      throw new HttpError(404, `no view named "${name}"`);
    return { name: relation.name, ...jsonRows(relation.columns, engine.rows(name)) };
  };
}

/** A source (or table) in `/api/status`. */
export interface SourceProgress {
  readonly name: string;
  readonly rows: number;
  readonly lateRows: number;
  /** The greatest event time admitted, as its event-time column's values are written; null without one. */
  readonly maxEventTime: unknown;
  /** The watermark last sent into the dataflow, written as `maxEventTime`. */
  readonly watermark: unknown;
  readonly idle: boolean;
  readonly ingestion?: readonly IngestionStatus[];
}

/**
 * `/api/status`'s sources: rows admitted and dropped late, event time and watermark in the
 * type of the event-time column (a timestamp without `Z`, a timestamptz with it), and how
 * each is fed.
 */
export function sourceProgress(
  engine: Engine,
  ingestion: Readonly<Record<string, readonly IngestionStatus[]>>,
): SourceProgress[] {
  return engine.sourceStats().map((s) => {
    const relation = engine.getRelation(s.name);
    const column = relation?.watermarkColumn;
    const type = column === undefined ? undefined : relation?.columns[column]?.type;
    const time = (micros: number | undefined) =>
      type === undefined || micros === undefined ? null : jsonValue(type, micros);
    const fed = ingestion[s.name];
    return {
      name: s.name,
      rows: s.rows,
      lateRows: s.lateRows,
      maxEventTime: time(s.maxEventTime),
      watermark: time(s.watermark),
      idle: s.idle,
      ...(fed === undefined ? {} : { ingestion: fed }),
    };
  });
}
