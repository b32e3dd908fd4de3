/** Panels saved from the SQL box: kept in the data directory across opens, checked as a file's panels. */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { DashboardError, parsePanel, type SqlPanel } from '../../src/dashboard/panels.ts';
import {
  readSavedPanels,
  SAVED_PANELS_FILE,
  SavedPanels,
  withSavedPanels,
} from '../../src/serve/saved-panels.ts';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'tw-saved-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const bars = (id: string) =>
  parsePanel(
    {
      id,
      title: `Bars ${id}`,
      kind: 'bars',
      category: 'status_code',
      value: 'n',
      sql: 'SELECT status_code, count(*) AS n FROM website_logs_source WHERE $__timeFilter(request_timestamp) GROUP BY 1',
    },
    'test',
  ) as SqlPanel;

describe('saved panels', () => {
  test('a data directory without the file has none', () => {
    assert.deepEqual(SavedPanels.open(dir).list(), []);
    assert.deepEqual(readSavedPanels(dir), []);
  });

  test('saved panels outlive the object that saved them, in order, and deleted ones stay deleted', () => {
    const saved = SavedPanels.open(dir);
    saved.add(bars('saved-a'));
    saved.add(bars('saved-b'));
    saved.add(bars('saved-c'));
    assert.equal(saved.remove('saved-b'), true);
    assert.equal(saved.remove('saved-b'), false);
    const again = SavedPanels.open(dir);
    assert.deepEqual(again.list(), [bars('saved-a'), bars('saved-c')]);
    assert.deepEqual(readSavedPanels(dir), again.list());
    // Replaced whole through a temporary file that does not stay behind.
    assert.deepEqual(readdirSync(dir), [SAVED_PANELS_FILE]);
    assert.equal(JSON.parse(readFileSync(join(dir, SAVED_PANELS_FILE), 'utf8')).title, 'Saved panels');
  });

  test('ids come from titles and are numbered when taken, by saved panels or the file', () => {
    const saved = SavedPanels.open(dir);
    assert.equal(saved.freeId('Errors per minute!', []), 'saved-errors-per-minute');
    saved.add(bars('saved-errors-per-minute'));
    assert.equal(saved.freeId('Errors per minute', []), 'saved-errors-per-minute-2');
    assert.equal(
      saved.freeId('Errors per minute', ['saved-errors-per-minute-2']),
      'saved-errors-per-minute-3',
    );
    assert.equal(saved.freeId('   ', []), 'saved-dashboard');
  });

  test('a faulty file is refused naming it and the field', () => {
    writeFileSync(
      join(dir, SAVED_PANELS_FILE),
      JSON.stringify({ title: 'Saved panels', panels: [{ ...bars('saved-a'), value: 'x; drop' }] }),
    );
    assert.throws(
      () => SavedPanels.open(dir),
      (e: unknown) =>
        e instanceof DashboardError &&
        e.message === `${join(dir, SAVED_PANELS_FILE)}: panels[0].value: "x; drop" is not a column name`,
    );
    writeFileSync(
      join(dir, SAVED_PANELS_FILE),
      '{"title": "Saved panels", "panels": [{"id": "h", "title": "H", "kind": "health"}]}',
    );
    assert.throws(() => readSavedPanels(dir), /panels\[0\]: a saved panel runs SQL/);
  });

  test('saved panels follow the file’s, whose ids they may not take', () => {
    const file = { title: 'T', panels: [bars('status')] };
    assert.deepEqual(
      withSavedPanels(file, [bars('saved-a')], 'saved.json').panels.map((p) => p.id),
      ['status', 'saved-a'],
    );
    assert.throws(
      () => withSavedPanels(file, [bars('status')], 'saved.json'),
      /saved\.json: panels\[1\]\.id: "status" is the id of an earlier panel/,
    );
    assert.equal(existsSync(join(dir, SAVED_PANELS_FILE)), false);
  });
});
