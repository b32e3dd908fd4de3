/**
 * What the HTTP API answers of the engine's state, in the dashboard API's terms (json-rows.ts):
 * columns with their PostgreSQL type names, times as ISO 8601 text rather than microseconds.
 */
import { normalizeName, type RelationInfo, type ResultColumn } from '../engine/catalog.ts';
import type { Engine } from '../engine/engine.ts';
import type { IngestionStatus } from '../runtime/ingestion.ts';
import type { JsonHandler } from '../serve/http.ts';
import { HttpError } from '../serve/http-error.ts';
import { jsonRows, jsonValue } from '../serve/json-rows.ts';
import type { Row } from '../stream/value.ts';

/** A view's columns and rows as the engine holds them. */
export interface ViewContents {
  readonly name: string;
  readonly columns: readonly ResultColumn[];
  readonly rows: readonly Row[];
}

/**
 * The materialized view named `name` (any spelling SQL takes; not a table or source) as the
 * store's last commit holds it, what psql reads too; null when there is none.
 */
export async function storedViewContents(
  relations: readonly RelationInfo[],
  name: string,
  read: (view: string) => Promise<readonly Row[]>,
): Promise<ViewContents | null> {
  const wanted = normalizeName(name);
  const relation = relations.find((r) => r.name === wanted);
  if (relation === undefined || relation.kind !== 'materialized view') return null;
  return { name: relation.name, columns: relation.columns, rows: await read(relation.name) };
}

/** `GET /api/views?name=v`: a view's typed columns and committed rows (`view`: `storedViewContents`). */
export function viewRows(view: (name: string) => Promise<ViewContents | null>): JsonHandler {
  return async (query) => {
    const name = query.get('name');
    if (name === null) throw new HttpError(400, 'give the view as ?name=');
    const found = await view(name);
    if (found === null) throw new HttpError(404, `no view named "${name}"`);
    return { name: found.name, ...jsonRows(found.columns, found.rows) };
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
