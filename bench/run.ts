// Runs every benchmark (bench/*.bench.ts), each in its own process so that one's heap and
// JIT state do not colour the next. `npm run bench -- generator` runs those whose name matches.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const dir = fileURLToPath(new URL('.', import.meta.url));
const filter = process.argv[2] ?? '';
/** Benchmarks that run for an hour: only when named. */
const LONG = new Set(['long-run.bench.ts']);
const benches = readdirSync(dir)
  .filter((f) => f.endsWith('.bench.ts') && f.includes(filter) && (!LONG.has(f) || filter !== ''))
  .sort();
let failed = 0;
for (const file of benches) {
  console.log(`\n== ${file}`);
  // The young generation `tidewatch start` runs with (bin/tidewatch.js).
  const result = spawnSync(process.execPath, ['--expose-gc', '--max-semi-space-size=4', `${dir}${file}`], {
    stdio: 'inherit',
  });
  if (result.status !== 0) failed++;
}
if (benches.length === 0) console.log(`no benchmark matches "${filter}"`);
process.exitCode = failed ? 1 : 0;
