/**
 * Statements that tell about the catalog and plans: SHOW SOURCES / TABLES / MATERIALIZED
 * VIEWS / SINKS, DESCRIBE, EXPLAIN.
 */

import { bindQuery } from '../sql/binder.ts';
import type { Catalog, CatalogColumn } from '../sql/catalog.ts';
import { notSupported, undefinedTable } from '../sql/errors.ts';
import { explainPlan, explainTrace } from '../sql/explain.ts';
import { isSystemRelation } from '../sql/reserved-names.ts';
import type { Describe, Explain, ShowObjects } from '../sql/statement.ts';
import { formatType } from '../sql/types.ts';
import type { Row } from '../stream/value.ts';
import type { ObjectKind, RelationCatalog } from './catalog.ts';
import type { SinkCatalog } from './sink-catalog.ts';
import type { StatementResult } from './statement-result.ts';

export function showObjects(s: ShowObjects, relations: RelationCatalog, sinks: SinkCatalog): StatementResult {
  const kind: Record<ShowObjects['objects'], ObjectKind | undefined> = {
    sources: 'source',
    tables: 'table',
    'materialized views': 'materialized view',
    views: undefined,
    sinks: undefined,
  };
  const k = kind[s.objects];
  const names =
    s.objects === 'sinks'
      ? sinks.list().map((sink) => sink.name)
      : k === undefined
        ? []
        : // As RisingWave's SHOW lists no system catalog: tidewatch's own sources are in rw_sources.
          relations.list(k).filter((name) => !isSystemRelation(name));
  return {
    tag: 'SHOW',
    rowCount: names.length,
    columns: [{ name: 'Name', type: { name: 'varchar' } }],
    rows: names.map((n) => [n]),
  };
}

export function describe(s: Describe, relations: RelationCatalog): StatementResult {
  const rel = relations.get(s.name);
  if (rel === undefined) throw undefinedTable(s.name);
  const rows: Row[] = rel.columns.map((c: CatalogColumn, i) => [
    c.name,
    formatType(c.type),
    rel.objectKind !== 'materialized view' && rel.primaryKey.includes(i) ? 'primary key' : null,
  ]);
  return {
    tag: 'DESCRIBE',
    rowCount: rows.length,
    columns: [
      { name: 'Name', type: { name: 'varchar' } },
      { name: 'Type', type: { name: 'varchar' } },
      { name: 'Key', type: { name: 'varchar' } },
    ],
    rows,
  };
}

export function explain(s: Explain, binder: Catalog): StatementResult {
  const st = s.statement;
  if (st.kind === 'CreateSink') throw notSupported('EXPLAIN CREATE SINK');
  const { plan, trace } = bindQuery(st.query, binder);
  const options = { verbose: s.verbose };
  const lines = (s.trace ? explainTrace(trace, options) : explainPlan(plan, options)).split('\n');
  return {
    tag: 'EXPLAIN',
    rowCount: lines.length,
    columns: [{ name: 'QUERY PLAN', type: { name: 'varchar' } }],
    rows: lines.map((l) => [l]),
  };
}
