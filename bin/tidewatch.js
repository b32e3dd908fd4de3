#!/usr/bin/env node
// Entry point of the `tidewatch` command. The sources are TypeScript run by Node's type
// stripping (default from Node 22.18/23.6); older 22.x releases need the flag, so re-run with it.
// The server (`start`) runs with a young generation of 4 MiB per semi-space: with V8's default
// (up to 32 MiB) a scavenge stalled every endpoint client for 20–110 ms, the point query's p99
// at 20 clients was 28–117 ms; with 4 MiB it is 9–19 ms (bench/pg-endpoint.bench.ts) and the
// engine's throughput is unchanged (bench/engine.bench.ts). `start` without the flag replaces
// itself (same process) by one with it. The batch commands keep V8's default, which spends less
// on garbage collection (`analyze`: about 10% less CPU).
import { spawn } from 'node:child_process';
import module from 'node:module';
import { fileURLToPath } from 'node:url';

const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 22 || (major === 22 && minor < 12)) {
  process.stderr.write(
    `tidewatch needs Node.js 22.12 or newer; this is ${process.version}. ` +
      'Run it through npm (npm start, npx tidewatch …), which uses the Node 24 that npm install brought.\n',
  );
  process.exit(1);
} else if (
  process.argv[2] === 'start' &&
  !process.execArgv.some((a) => a.startsWith('--max-semi-space-size')) &&
  typeof process.execve === 'function'
) {
  const self = fileURLToPath(import.meta.url);
  process.execve(process.execPath, [
    process.execPath,
    ...process.execArgv,
    '--max-semi-space-size=4',
    self,
    ...process.argv.slice(2),
  ]);
} else if (process.features.typescript) {
  // Node keeps the modules it compiled (type-stripped) in its cache directory: a later run
  // starts without stripping and compiling them again (~0.4 s of every command's start). The
  // variable passes the cache on to worker threads (analyze's), which do not inherit the call.
  const cache = module.enableCompileCache?.();
  if (cache?.directory !== undefined) process.env.NODE_COMPILE_CACHE ??= cache.directory;
  const { main } = await import('../src/cli/main.ts');
  process.exitCode = await main(process.argv.slice(2));
} else {
  const self = fileURLToPath(import.meta.url);
  const child = spawn(
    process.execPath,
    [
      '--max-semi-space-size=4',
      '--experimental-strip-types',
      '--disable-warning=ExperimentalWarning',
      self,
      ...process.argv.slice(2),
    ],
    { stdio: 'inherit' },
  );
  for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 128 + 2 : 1)));
}
