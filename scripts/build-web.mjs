#!/usr/bin/env node
// Builds the dashboard page (src/web) into dist/web: one JS and one CSS file named by their
// content's hash (served as immutable), and index.html naming them. Run by `npm install`
// (prepare) and `npm run build:web`; `--quiet` prints nothing on success.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'dist', 'web');

export async function buildWeb() {
  rmSync(out, { recursive: true, force: true });
  mkdirSync(join(out, 'assets'), { recursive: true });
  const result = await build({
    entryPoints: [join(root, 'src/web/main.tsx')],
    bundle: true,
    minify: true,
    format: 'esm',
    target: ['chrome110', 'firefox115', 'safari16'],
    jsx: 'automatic',
    jsxImportSource: 'preact',
    outdir: join(out, 'assets'),
    entryNames: 'app-[hash]',
    metafile: true,
    legalComments: 'none',
    logLevel: 'warning',
  });
  const files = Object.keys(result.metafile.outputs).map((f) => basename(f));
  const js = files.find((f) => f.endsWith('.js'));
  const css = files.find((f) => f.endsWith('.css'));
  if (js === undefined || css === undefined) throw new Error(`the build made ${files.join(', ')}`);
  const html = readFileSync(join(root, 'src/web/index.html'), 'utf8')
    .replace('APP_JS', js)
    .replace('APP_CSS', css);
  writeFileSync(join(out, 'index.html'), html);
  return { js: join(out, 'assets', js), css: join(out, 'assets', css) };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { js, css } = await buildWeb();
  if (!process.argv.includes('--quiet'))
    console.log(
      `dashboard built: ${[js, css].map((f) => `${basename(f)} ${readFileSync(f).length} B`).join(', ')}`,
    );
}
