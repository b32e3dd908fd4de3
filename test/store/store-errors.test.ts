/** A storage fault reaches a client with PostgreSQL's SQLSTATE for it, not as an internal error. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { errorFields, hasSqlState } from '../../src/serve/pgwire/errors.ts';
import { StoreError } from '../../src/store/errors.ts';

test('storage faults carry the SQLSTATE PostgreSQL answers with', () => {
  const cases: [StoreError, string][] = [
    [new StoreError('io', 'durable log x: cannot write: no space', { errno: 'ENOSPC' }), '53100'],
    [new StoreError('io', 'durable log x: cannot fsync', { errno: 'EIO' }), '58030'],
    [new StoreError('unusable', 'an earlier commit failed; tidewatch is stopping'), '58030'],
    [new StoreError('corrupt', 'x is corrupt at byte 7'), 'XX001'],
    [new StoreError('locked', 'in use by process 1'), '55006'],
  ];
  for (const [error, sqlstate] of cases) {
    assert.ok(hasSqlState(error), error.message);
    assert.deepEqual(
      { code: errorFields(error).code, message: errorFields(error).message },
      { code: sqlstate, message: error.message },
    );
  }
});
