/**
 * What the dashboard-live bench records in the page, and the per-epoch latencies it makes of it.
 *
 * In the page (`installCommitProbe`, given to `page.addInitScript`): each event of the live
 * stream as it arrives (a tee of the page's own `/api/live` response), and each time a panel
 * shows a new epoch's data drawn. A panel shows epoch E once its `data-epoch` attribute says E;
 * it is drawn at the animation frame after that — for a time series, the frame after its chart
 * was rebuilt for that data (a new `.uplot` element: uPlot draws its canvas in the same task).
 * Times are `performance.timeOrigin + performance.now()`, the machine's clock in milliseconds,
 * comparable with the server's `committedAt` (same machine).
 */

export interface CommitSeen {
  readonly epoch: number;
  /** The server's commit time (ms since 1970), from the event's `committedAt`. */
  readonly committedAt: number;
  /** When the event reached the page (ms since 1970). */
  readonly receivedAt: number;
  readonly changed: readonly string[];
}

export interface PanelDrawn {
  readonly panel: string;
  readonly epoch: number;
  /** The animation frame after the panel held the epoch's data (ms since 1970). */
  readonly at: number;
}

/** Runs in the page before its own scripts: records into `globalThis.__commitProbe`. */
export function installCommitProbe(): void {
  // The page's globals, as much of them as is used here (this file is typed without the DOM).
  interface Element {
    getAttribute(name: string): string | null;
    querySelector(selector: string): Element | null;
    closest(selector: string): Element | null;
    matches(selector: string): boolean;
  }
  interface Mutation {
    readonly type: string;
    readonly target: Element;
    readonly addedNodes: ArrayLike<unknown>;
  }
  const page = globalThis as unknown as {
    fetch(input: unknown, init?: unknown): Promise<Response>;
    MutationObserver: new (
      callback: (mutations: Mutation[]) => void,
    ) => { observe(target: unknown, options: object): void };
    document: unknown;
    requestAnimationFrame(callback: () => void): number;
    __commitProbe: { commits: CommitSeen[]; drawn: PanelDrawn[] };
  };
  const clock = () => performance.timeOrigin + performance.now();
  const probe = { commits: [] as CommitSeen[], drawn: [] as PanelDrawn[] };
  page.__commitProbe = probe;

  const readEvents = async (body: ReadableStream<Uint8Array>) => {
    const reader = body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      const receivedAt = clock();
      buffer += value;
      for (let end = buffer.indexOf('\n\n'); end >= 0; end = buffer.indexOf('\n\n')) {
        const data = buffer
          .slice(0, end)
          .split('\n')
          .filter((line) => line.startsWith('data: '))
          .map((line) => line.slice(6))
          .join('\n');
        buffer = buffer.slice(end + 2);
        if (data === '') continue;
        const event = JSON.parse(data) as { epoch: number; committedAt: string; changed: string[] };
        probe.commits.push({
          epoch: event.epoch,
          committedAt: Date.parse(event.committedAt),
          receivedAt,
          changed: event.changed,
        });
      }
    }
  };
  const fetchOfPage = page.fetch.bind(page);
  page.fetch = async (input, init) => {
    const response = await fetchOfPage(input, init);
    if (!String(input).endsWith('/api/live') || response.body === null) return response;
    const [mine, theirs] = response.body.tee();
    void readEvents(mine).catch(() => undefined);
    return new Response(theirs, { status: response.status, headers: response.headers });
  };

  /** Panels holding an epoch's data and not yet drawn: a time series waits for its new chart. */
  const waiting = new Map<string, { epoch: number; chart: boolean }>();
  new page.MutationObserver((mutations) => {
    for (const m of mutations) {
      if (m.type === 'attributes') {
        const panel = m.target.getAttribute('data-panel');
        const epoch = m.target.getAttribute('data-epoch');
        if (panel === null || epoch === null || epoch === '') continue;
        waiting.set(panel, { epoch: Number(epoch), chart: m.target.querySelector('.chart') !== null });
        continue;
      }
      for (const node of Array.from(m.addedNodes)) {
        const added = node as Partial<Element>;
        if (added.matches?.('.uplot') !== true) continue;
        const panel = added.closest?.('[data-panel]')?.getAttribute('data-panel');
        const shown = panel === null || panel === undefined ? undefined : waiting.get(panel);
        if (shown !== undefined) shown.chart = false;
      }
    }
    for (const [panel, shown] of waiting) {
      if (shown.chart) continue;
      waiting.delete(panel);
      page.requestAnimationFrame(() => probe.drawn.push({ panel, epoch: shown.epoch, at: clock() }));
    }
  }).observe(page.document, {
    subtree: true,
    childList: true,
    attributes: true,
    attributeFilter: ['data-epoch'],
  });
}

export interface EpochLatency {
  readonly epoch: number;
  /** Commit → every panel the epoch changed drawn with its data (or later data), ms. */
  readonly pixelsMs: number;
  /** Commit → the event in the page, ms. */
  readonly eventMs: number;
  /** The panel drawn last. */
  readonly last: string;
  /** Commit → each changed panel drawn, ms. */
  readonly perPanel: ReadonlyMap<string, number>;
}

/**
 * Per commit, the time until every panel reading a relation it changed (`reads`) was drawn with
 * that epoch's data or a later one's. Commits with a panel never drawn so far are left out.
 */
export function epochLatencies(
  commits: readonly CommitSeen[],
  drawn: readonly PanelDrawn[],
  panels: readonly string[],
  reads: (panel: string, changed: readonly string[]) => boolean,
): EpochLatency[] {
  const out: EpochLatency[] = [];
  for (const commit of commits) {
    let latest: PanelDrawn | undefined;
    let complete = true;
    const perPanel = new Map<string, number>();
    for (const panel of panels) {
      if (!reads(panel, commit.changed)) continue;
      const first = drawn.find((d) => d.panel === panel && d.epoch >= commit.epoch);
      if (first === undefined) complete = false;
      else {
        perPanel.set(panel, first.at - commit.committedAt);
        if (latest === undefined || first.at > latest.at) latest = first;
      }
    }
    if (!complete || latest === undefined) continue;
    out.push({
      epoch: commit.epoch,
      pixelsMs: latest.at - commit.committedAt,
      eventMs: commit.receivedAt - commit.committedAt,
      last: latest.panel,
      perPanel,
    });
  }
  return out;
}
