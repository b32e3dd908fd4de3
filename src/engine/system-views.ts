/**
 * System views: read-only relations computed from the engine's own state when queried, in
 * the spirit of RisingWave's `rw_catalog`. They can be selected from, not built upon (a
 * materialized view over one gets 0A000).
 *
 * `tidewatch_source_stats`: one row per source and table — rows admitted, late rows dropped
 * (behind the watermark, or without event time), the greatest event time seen, the
 * watermark sent into the dataflow, and whether it follows the wall clock (idle).
 */
import type { CatalogRelation } from '../sql/catalog.ts';
import { T } from '../sql/types.ts';
import type { Row } from '../stream/value.ts';
import type { EventTimeStats } from './event-time.ts';

export const SOURCE_STATS = 'tidewatch_source_stats';

export const sourceStatsRelation: CatalogRelation = Object.freeze({
  name: SOURCE_STATS,
  kind: 'view',
  columns: Object.freeze(
    [
      { name: 'source_name', type: T.varchar },
      { name: 'rows', type: T.int8 },
      { name: 'late_rows', type: T.int8 },
      { name: 'max_event_time', type: T.timestamp },
      { name: 'watermark', type: T.timestamp },
      { name: 'idle', type: T.boolean },
    ].map((c) => Object.freeze(c)),
  ),
});

export function sourceStatsRows(stats: readonly ({ readonly name: string } & EventTimeStats)[]): Row[] {
  return stats.map((s) => [s.name, s.rows, s.lateRows, s.maxEventTime ?? null, s.watermark ?? null, s.idle]);
}
