/** Runs every `test/slt/*.slt` file against a fresh Engine. */
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Engine } from '../../src/engine/engine.ts';
import { runSltFile } from '../slt/runner.ts';

const dir = fileURLToPath(new URL('../slt/', import.meta.url));

for (const f of readdirSync(dir)
  .filter((n) => n.endsWith('.slt'))
  .sort()) {
  test(`slt ${f}`, async () => {
    const engine = new Engine({ autoEpoch: false });
    try {
      const failures = await runSltFile(engine, `${dir}${f}`);
      assert.equal(failures.length, 0, failures.map((x) => x.message).join('\n\n'));
    } finally {
      engine.close();
    }
  });
}
