// SQL front end cost per statement of the reference pipeline: parse (with RisingWave
// clauses cut out by token) and bind to a typed plan, against a same-run baseline of
// libpg-query's bare parse of the same text.
import { readFileSync } from 'node:fs';
import { parseSync } from 'libpg-query';
import { bindQuery } from '../src/sql/binder.ts';
import { MemoryCatalog } from '../src/sql/catalog.ts';
import { parseScript } from '../src/sql/parse.ts';
import { bestOf, report } from './measure.ts';

const script = readFileSync(new URL('../pipelines/website-security.sql', import.meta.url), 'utf8');
const statements = parseScript(script);
const ROUNDS = 200;

function parseAndBind(): void {
  const catalog = new MemoryCatalog();
  for (const s of parseScript(script)) {
    if (s.kind === 'CreateSource') catalog.add({ name: s.name, kind: 'source', columns: s.columns });
    if (s.kind === 'CreateMaterializedView') {
      catalog.add({ name: s.name, kind: 'view', columns: bindQuery(s.query, catalog).columns });
    }
  }
}

// The five views are plain PostgreSQL; the source's RisingWave clauses are not.
const viewsOnly = script.slice(script.indexOf('CREATE MATERIALIZED VIEW'));
const views = statements.length - 1;
const baseline = await bestOf(5, ROUNDS * views, () => {
  for (let i = 0; i < ROUNDS; i++) parseSync(viewsOnly);
});
const ours = await bestOf(5, ROUNDS * statements.length, () => {
  for (let i = 0; i < ROUNDS; i++) parseAndBind();
});
const ms = (perSecond: number) => `${(1000 / perSecond).toFixed(3)} ms/statement`;
console.log(`sql: ${statements.length} statements of pipelines/website-security.sql, best of 5 rounds`);
report([
  ['baseline: libpg-query parseSync of the views', ms(baseline.perSecond)],
  [
    'parse + RisingWave clauses + bind',
    `${ms(ours.perSecond)}  (${(baseline.perSecond / ours.perSecond).toFixed(2)}× baseline time)`,
  ],
]);
