#!/usr/bin/env node
// Entry point of the `tidewatch` command. The sources are TypeScript run by Node's type
// stripping (default from Node 22.18/23.6); older 22.x releases need the flag, so re-run with it.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 22 || (major === 22 && minor < 12)) {
  process.stderr.write(
    `tidewatch needs Node.js 22.12 or newer; this is ${process.version}. ` +
      'Run it through npm (npm start, npx tidewatch …), which uses the Node 24 that npm install brought.\n',
  );
  process.exit(1);
} else if (process.features.typescript) {
  const { main } = await import('../src/cli/main.ts');
  process.exitCode = await main(process.argv.slice(2));
} else {
  const self = fileURLToPath(import.meta.url);
  const child = spawn(
    process.execPath,
    ['--experimental-strip-types', '--disable-warning=ExperimentalWarning', self, ...process.argv.slice(2)],
    { stdio: 'inherit' },
  );
  for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 128 + 2 : 1)));
}
