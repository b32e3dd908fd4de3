/** What a client's statement failed with, for tests that expect a refusal. */
import assert from 'node:assert/strict';

/** The SQLSTATE and message a promise fails with (a test failure when it succeeds). */
export async function failure(p: Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await p;
  } catch (e) {
    const err = e as { code?: string; message: string };
    return { code: err.code ?? '', message: err.message };
  }
  assert.fail('expected a failure');
}

/** Asserts that `p` is refused with 42501 and a message matching `message`. */
export async function refused(p: Promise<unknown>, message: RegExp): Promise<void> {
  const f = await failure(p);
  assert.equal(f.code, '42501', f.message);
  assert.match(f.message, message);
}
