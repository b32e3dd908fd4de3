import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { expandPanelSql, MacroError } from '../../src/dashboard/macros.ts';
import type { PanelVariable } from '../../src/dashboard/panels.ts';
import { T } from '../../src/sql/types.ts';

const range = { fromMicros: 1_000_000, toMicros: 2_000_000 };
const vars: PanelVariable[] = [
  { name: 'ip', label: 'IP address', type: 'text', default: '' },
  { name: 'limit', label: 'Rows per page', type: 'integer', default: '50' },
];

describe('panel SQL macros', () => {
  test('$__timeFilter becomes a range over two timestamp parameters', () => {
    const e = expandPanelSql('SELECT * FROM v WHERE $__timeFilter(window_start) ORDER BY 1', range, []);
    assert.equal(e.sql, 'SELECT * FROM v WHERE (window_start >= $1 AND window_start < $2) ORDER BY 1');
    assert.deepEqual(e.params, [1_000_000, 2_000_000]);
    assert.deepEqual(e.types, [T.timestamp, T.timestamp]);
  });

  test('an expression argument with parentheses and quotes is kept whole', () => {
    const e = expandPanelSql(
      "SELECT 1 WHERE $__timeFilter(coalesce(t, ')')) AND $__timeTo() > $__timeFrom()",
      range,
      [],
    );
    assert.equal(e.sql, "SELECT 1 WHERE (coalesce(t, ')') >= $1 AND coalesce(t, ')') < $2) AND $2 > $1");
  });

  test('variables are bind parameters, numbered once, never spliced into the text', () => {
    const evil = "x' OR '1'='1";
    const e = expandPanelSql(
      "SELECT * FROM s WHERE ('${ip}' = '' OR ip = '${ip}') AND $__timeFilter(ts) LIMIT ${limit}",
      range,
      vars,
      { ip: evil },
    );
    assert.equal(e.sql, "SELECT * FROM s WHERE ($1 = '' OR ip = $1) AND (ts >= $2 AND ts < $3) LIMIT $4");
    assert.deepEqual(e.params, [evil, 1_000_000, 2_000_000, 50]);
    assert.deepEqual(e.types, [T.text, T.timestamp, T.timestamp, T.int8]);
    assert.ok(!e.sql.includes(evil));
  });

  test('faults: unknown macros and variables, values that do not fit', () => {
    assert.throws(() => expandPanelSql('SELECT $__timeGroup(t, 1m)', range, []), MacroError);
    assert.throws(() => expandPanelSql("SELECT '${nope}'", range, vars), /not a variable of the panel/);
    assert.throws(
      () => expandPanelSql('SELECT 1 LIMIT ${limit}', range, vars, { limit: '5; DROP TABLE t' }),
      /Rows per page must be an integer/,
    );
    assert.throws(() => expandPanelSql('SELECT $__timeFilter(t', range, []), /never closed/);
  });
});
