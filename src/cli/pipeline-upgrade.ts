/**
 * Built-in pipelines (the files tidewatch ships in `pipelines/`) applied to a data directory an
 * older tidewatch made: their `CREATE … IF NOT EXISTS` leave the old views as they were, so the
 * views the pipeline created (`PipelineOrigins`) whose definition differs from the shipped one
 * are built again as it defines them now, with every view reading them, in one catalog change
 * (`Engine.replaceViews`). Tables keep their rows as they are (thresholds, allow-lists), sinks and
 * grants stay. A view of the user's reading a changed one refuses the upgrade, as RisingWave
 * refuses to drop a view others read: the message names them and says how to go on.
 */
import { basename, dirname, join } from 'node:path';
import type { Engine } from '../engine/engine.ts';
import type { PipelineOrigins } from '../runtime/pipeline-origins.ts';
import { parseScript } from '../sql/parse.ts';
import { scan } from '../sql/tokens.ts';
import { PipelineError } from './pipelines.ts';

/** The relations a pipeline's statements create, and each one's statement. */
function creations(script: string): Map<string, { readonly kind: string; readonly text: string }> {
  const out = new Map<string, { kind: string; text: string }>();
  for (const s of parseScript(script))
    if (s.kind === 'CreateMaterializedView' || s.kind === 'CreateTable' || s.kind === 'CreateSource')
      out.set(s.name.toLowerCase(), { kind: s.kind, text: s.text });
  return out;
}

/** A statement as its tokens read (keywords and plain names in one case): layout and comments aside. */
function canonical(sql: string): string {
  return scan(sql)
    .map((t) => (t.kind === 'keyword' || (t.kind === 'ident' && !t.quoted) ? t.upper : t.text))
    .join(' ');
}

/** The built-in pipeline a file is (its name), if it is one of the files tidewatch ships. */
export function builtInPipeline(file: string, packageRoot: string): string | undefined {
  return dirname(file) === join(packageRoot, 'pipelines') ? basename(file) : undefined;
}

export interface Upgrade {
  /** The views of the pipeline defined otherwise than now: name → the pipeline's CREATE. */
  readonly changed: ReadonlyMap<string, string>;
  /** Views of the user's reading a changed one (which refuse the upgrade). */
  readonly yours: readonly string[];
}

/**
 * Records the pipeline as the origin of what its statements are about to create (before they
 * run: the origin is committed with the CREATE's epoch) — and, in a data directory that recorded
 * no origins, of what exists under their names (an older tidewatch made those) — and says which
 * of its views are defined otherwise than `script` defines them.
 */
export function planUpgrade(
  engine: Engine,
  script: string,
  pipeline: string,
  origins: PipelineOrigins,
): Upgrade {
  const changed = new Map<string, string>();
  for (const [name, { kind, text }] of creations(script)) {
    const now = engine.relations().find((r) => r.name === name);
    if (now === undefined || !origins.recorded) origins.record(name, pipeline);
    if (now === undefined || origins.of(name) !== pipeline) continue;
    if (kind === 'CreateMaterializedView' && canonical(now.definition) !== canonical(text))
      changed.set(name, text);
  }
  const yours = engine.viewsReading(changed.keys()).filter((v) => origins.of(v) === undefined);
  return { changed, yours };
}

/**
 * Brings the changed views of a built-in pipeline up to date (`planUpgrade`); returns what was
 * built again. Refuses, naming them, when views of the user's read a changed one.
 */
export async function upgradeViews(
  file: string,
  upgrade: Upgrade,
  replaceViews: (definitions: ReadonlyMap<string, string>) => Promise<readonly string[]>,
): Promise<readonly string[]> {
  if (upgrade.changed.size === 0) return [];
  const changed = [...upgrade.changed.keys()].join(', ');
  if (upgrade.yours.length > 0) {
    const yours = upgrade.yours.join(', ');
    throw new PipelineError(
      `${file}: this version defines its views ${changed} otherwise, and your materialized views ${yours} read them. ` +
        `Drop yours (DROP MATERIALIZED VIEW ${yours}), start tidewatch to bring the built-in views up to date, ` +
        'then create yours again; or start with --no-pipeline-upgrade to keep the old definitions',
    );
  }
  return replaceViews(upgrade.changed);
}
