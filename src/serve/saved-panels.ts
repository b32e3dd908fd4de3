/**
 * Panels saved from the page's SQL box, kept in the data directory (`saved-panels.json`, a
 * dashboard file of their own, replaced atomically) so that they outlive a restart and
 * `tidewatch grafana` provisions them too. They come after the dashboard file's panels; unlike
 * those, they can be deleted.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  checkPanels,
  type Dashboard,
  DashboardError,
  isSqlPanel,
  parseDashboard,
  type SqlPanel,
  slugOf,
} from '../dashboard/panels.ts';
import { writeFileAtomically } from '../store/atomic-file.ts';

export const SAVED_PANELS_FILE = 'saved-panels.json';
const TITLE = 'Saved panels';

/** The panels saved in `dataDir` (none when it holds no file); a DashboardError names a faulty one. */
export function readSavedPanels(dataDir: string): SqlPanel[] {
  const file = join(dataDir, SAVED_PANELS_FILE);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw new DashboardError(`cannot read saved panels ${file}: ${(e as Error).message}`);
  }
  return parseDashboard(text, file).panels.map((p, i) => {
    if (!isSqlPanel(p)) throw new DashboardError(`${file}: panels[${i}]: a saved panel runs SQL`);
    return p;
  });
}

/** A dashboard file's panels followed by the saved ones, refusing a saved id the file has too. */
export function withSavedPanels(dashboard: Dashboard, saved: readonly SqlPanel[], origin: string): Dashboard {
  const panels = [...dashboard.panels, ...saved];
  checkPanels(panels, origin);
  return { ...dashboard, panels };
}

export class SavedPanels {
  readonly #file: string;
  #panels: SqlPanel[];

  private constructor(file: string, panels: SqlPanel[]) {
    this.#file = file;
    this.#panels = panels;
  }

  /** The panels saved in `dataDir`; a DashboardError names a faulty file. */
  static open(dataDir: string): SavedPanels {
    return new SavedPanels(join(dataDir, SAVED_PANELS_FILE), readSavedPanels(dataDir));
  }

  list(): readonly SqlPanel[] {
    return this.#panels;
  }

  has(id: string): boolean {
    return this.#panels.some((p) => p.id === id);
  }

  /** `saved-<title>`, numbered when taken (by a saved panel or one of `taken`). */
  freeId(title: string, taken: readonly string[]): string {
    const base = `saved-${slugOf(title)}`.slice(0, 60).replace(/-$/, '');
    const used = (id: string) => taken.includes(id) || this.has(id);
    let id = base;
    for (let n = 2; used(id); n++) id = `${base}-${n}`;
    return id;
  }

  /** Saves a panel after the others; durable once it returns. */
  add(panel: SqlPanel): void {
    this.#write([...this.#panels, panel]);
  }

  /** Deletes a saved panel; false when there is none of that id. */
  remove(id: string): boolean {
    if (!this.has(id)) return false;
    this.#write(this.#panels.filter((p) => p.id !== id));
    return true;
  }

  #write(panels: SqlPanel[]): void {
    writeFileAtomically(this.#file, `${JSON.stringify({ title: TITLE, panels }, null, 2)}\n`);
    this.#panels = panels;
  }
}
