#!/usr/bin/env node
// Builds the dashboard page (src/web) into dist/web: one JS and one CSS file named by their
// content's hash (served as immutable), and index.html naming them. Run by `npm install`
// (prepare) and `npm run build:web`; `--quiet` prints nothing on success.
//
// Builds may run at once (test files rebuild it beside servers that serve it): each file is
// written aside and renamed into place, so a reader never sees it missing or half written, and
// only assets no longer named are removed afterwards.
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'dist', 'web');

/** Writes `bytes` to `file` whole: aside first, then renamed over it. */
function writeWhole(file, bytes) {
  const aside = `${file}.${process.pid}.new`;
  writeFileSync(aside, bytes);
  renameSync(aside, file);
}

export async function buildWeb() {
  const assets = join(out, 'assets');
  mkdirSync(assets, { recursive: true });
  const result = await build({
    entryPoints: [join(root, 'src/web/main.tsx')],
    bundle: true,
    minify: true,
    format: 'esm',
    target: ['chrome110', 'firefox115', 'safari16'],
    jsx: 'automatic',
    jsxImportSource: 'preact',
    outdir: assets,
    entryNames: 'app-[hash]',
    write: false,
    legalComments: 'none',
    logLevel: 'warning',
  });
  const files = result.outputFiles.map((f) => basename(f.path));
  for (const f of result.outputFiles) writeWhole(join(assets, basename(f.path)), f.contents);
  const js = files.find((f) => f.endsWith('.js'));
  const css = files.find((f) => f.endsWith('.css'));
  if (js === undefined || css === undefined) throw new Error(`the build made ${files.join(', ')}`);
  const html = readFileSync(join(root, 'src/web/index.html'), 'utf8')
    .replace('APP_JS', js)
    .replace('APP_CSS', css);
  writeWhole(join(out, 'index.html'), html);
  for (const f of readdirSync(assets))
    if (!files.includes(f) && !f.endsWith('.new')) rmSync(join(assets, f), { force: true });
  return { js: join(out, 'assets', js), css: join(out, 'assets', css) };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { js, css } = await buildWeb();
  if (!process.argv.includes('--quiet'))
    console.log(
      `dashboard built: ${[js, css].map((f) => `${basename(f)} ${readFileSync(f).length} B`).join(', ')}`,
    );
}
