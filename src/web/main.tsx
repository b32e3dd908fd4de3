/** The dashboard page: a time range, live updates once per committed epoch, the panels of the dashboard file, and the SQL box. */
import 'uplot/dist/uPlot.min.css';
import './styles.css';
import { render } from 'preact';
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import {
  type AlertFeed,
  ApiError,
  type CommitEvent,
  type Dashboard,
  deletePanel,
  errorText,
  followCommits,
  getAlerts,
  getDashboard,
  getStatus,
  type Panel,
  queryPanel,
  type Status,
  setToken,
} from './api.ts';
import type { DrillTarget, Window } from './drilldown.ts';
import { AlertsFeed } from './panels/alerts-feed.tsx';
import { Health } from './panels/health.tsx';
import { type PanelState, PanelView } from './panels/panel-view.tsx';
import { SqlBox } from './sql-box.tsx';
import { PRESETS, type RangeChoice, readFragment, readsAny, resolveRange } from './time-range.ts';

const TOKEN_KEY = 'tidewatch-token';

function startingToken(): string {
  const { token } = readFragment(location.hash);
  if (token !== undefined) {
    sessionStorage.setItem(TOKEN_KEY, token);
    // The token leaves the address bar (and the history) once read.
    const rest = new URLSearchParams(location.hash.slice(1));
    rest.delete('token');
    history.replaceState(null, '', `${location.pathname}${rest.size > 0 ? `#${rest}` : ''}`);
  }
  return sessionStorage.getItem(TOKEN_KEY) ?? '';
}

function App() {
  const [needsToken, setNeedsToken] = useState(false);
  const [dashboard, setDashboard] = useState<Dashboard | undefined>(undefined);
  const [loadError, setLoadError] = useState<string | undefined>(undefined);
  const [range, setRange] = useState<RangeChoice>(
    () => readFragment(location.hash).range ?? { id: 'last-1h' },
  );
  const [filters, setFilters] = useState<Record<string, Record<string, string>>>({});
  // Panels narrowed by a drill-down to a window of their own instead of the page's range.
  const [windows, setWindows] = useState<Record<string, Window>>({});
  const [states, setStates] = useState<Record<string, PanelState>>({});
  const [status, setStatus] = useState<Status | undefined>(undefined);
  const [alerts, setAlerts] = useState<{ feed?: AlertFeed; error?: string }>({});
  const [commit, setCommit] = useState<CommitEvent | undefined>(undefined);
  const [paused, setPaused] = useState(false);
  const [connected, setConnected] = useState(false);
  const [now, setNow] = useState(Date.now());
  const generation = useRef<Record<string, number>>({});
  const current = useRef({ range, filters, windows, paused, dashboard });
  current.current = { range, filters, windows, paused, dashboard };

  const load = useCallback(async () => {
    try {
      setDashboard(await getDashboard());
      setNeedsToken(false);
    } catch (e) {
      if (e instanceof ApiError && e.status === 401) setNeedsToken(true);
      else setLoadError((e as Error).message);
    }
  }, []);

  const refresh = useCallback(async (panel: Panel) => {
    if (panel.kind === 'health' || panel.kind === 'alerts') return;
    const mine = (generation.current[panel.id] ?? 0) + 1;
    generation.current[panel.id] = mine;
    setStates((s) => ({ ...s, [panel.id]: { ...s[panel.id], loading: true } }));
    const { range: choice, filters: all, windows } = current.current;
    try {
      const range = windows[panel.id] ?? resolveRange(choice, Date.now());
      const data = await queryPanel(panel.id, range, all[panel.id] ?? {});
      // The chart's x axis spans the range the data was asked for.
      if (generation.current[panel.id] === mine)
        setStates((s) => ({ ...s, [panel.id]: { data, range, loading: false } }));
    } catch (e) {
      if (generation.current[panel.id] === mine)
        setStates((s) => ({ ...s, [panel.id]: { ...s[panel.id], error: e as Error, loading: false } }));
    }
  }, []);

  // What sinks sent is not a relation a commit names: the feed is asked again at every commit.
  const refreshAlerts = useCallback(() => {
    if (!current.current.dashboard?.panels.some((p) => p.kind === 'alerts')) return;
    getAlerts().then(
      (feed) => setAlerts({ feed }),
      (e: unknown) => setAlerts((a) => ({ ...a, error: errorText(e) })),
    );
  }, []);

  const refreshAll = useCallback(() => {
    for (const p of current.current.dashboard?.panels ?? []) void refresh(p);
    getStatus().then(setStatus, () => undefined);
    refreshAlerts();
  }, [refresh, refreshAlerts]);

  useEffect(() => {
    setToken(startingToken());
    void load();
    const tick = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(tick);
  }, [load]);

  useEffect(() => {
    if (dashboard === undefined) return;
    refreshAll();
    const stop = new AbortController();
    void followCommits(
      (event) => {
        if (current.current.paused) return;
        setCommit(event);
        getStatus().then(setStatus, () => undefined);
        refreshAlerts();
        for (const p of current.current.dashboard?.panels ?? [])
          if (p.sql !== undefined && readsAny(p.sql, event.changed)) void refresh(p);
      },
      setConnected,
      stop.signal,
    );
    return () => stop.abort();
  }, [dashboard, refresh, refreshAll, refreshAlerts]);

  // A new range asks every panel again; new filters or a window only the panel they are of
  // (read through `current`), so that the other charts are not drawn again for nothing.
  const asked = useRef<Record<string, string>>({});
  useEffect(() => {
    for (const p of dashboard?.panels ?? []) {
      const now = JSON.stringify([range, filters[p.id] ?? {}, windows[p.id] ?? null]);
      const before = asked.current[p.id];
      asked.current[p.id] = now;
      if (before !== undefined && before !== now) void refresh(p);
    }
  }, [dashboard, range, filters, windows, refresh]);

  const acceptToken = (t: string) => {
    setToken(t);
    sessionStorage.setItem(TOKEN_KEY, t);
    void load();
  };
  if (needsToken) return <TokenPrompt onToken={acceptToken} />;
  if (loadError !== undefined)
    return (
      <main>
        <p class="empty error" role="alert">
          The dashboard could not load: {loadError}
        </p>
      </main>
    );
  if (dashboard === undefined) return <main aria-busy="true">Loading…</main>;
  const rangeLabel =
    range.id === 'custom'
      ? 'the chosen range'
      : (PRESETS.find((p) => p.id === range.id)?.label.toLowerCase() ?? 'the range');
  const selectIn = (panel: string, variable: string, value: string) =>
    setFilters((f) => ({ ...f, [panel]: { ...f[panel], [variable]: value, offset: '0' } }));
  // A drill-down replaces the target's filters, so it shows that key only, and its window.
  const drillInto = (target: DrillTarget) => {
    setFilters((f) => ({ ...f, [target.panel]: target.filters }));
    setWindows(({ [target.panel]: _, ...rest }) =>
      target.window === undefined ? rest : { ...rest, [target.panel]: target.window },
    );
    focusPanel(target.panel);
  };
  const clearWindow = (panel: string) => setWindows(({ [panel]: _, ...rest }) => rest);
  const hasVariable = (panel: string, variable: string) =>
    dashboard.panels.find((p) => p.id === panel)?.variables.some((v) => v.name === variable) === true;
  return (
    <>
      <header class="top">
        <h1>{dashboard.title}</h1>
        <RangePicker
          range={range}
          onRange={(r) => {
            setRange(r);
            setWindows({});
          }}
        />
        <button
          type="button"
          aria-pressed={paused}
          onClick={() => {
            setPaused(!paused);
            if (paused) refreshAll();
          }}
        >
          {paused ? 'Resume' : 'Pause'}
        </button>
        <p class="live" aria-live="off">
          <span class={`dot ${connected && !paused ? 'on' : ''}`} aria-hidden="true" />
          {paused ? 'Paused' : connected ? 'Live' : 'Connecting…'} · epoch{' '}
          <span data-live-epoch={commit?.epoch ?? ''}>{commit?.epoch ?? '—'}</span>
          <span class="muted"> · times in UTC</span>
        </p>
      </header>
      <main class="grid">
        {dashboard.panels.map((panel) =>
          panel.kind === 'health' ? (
            <section
              key={panel.id}
              class="panel panel-health"
              aria-labelledby="health-title"
              data-panel={panel.id}
            >
              <h2 id="health-title">{panel.title}</h2>
              <Health status={status} commit={commit} now={now} />
            </section>
          ) : panel.kind === 'alerts' ? (
            <section
              key={panel.id}
              class="panel panel-alerts"
              aria-labelledby={`panel-${panel.id}-title`}
              data-panel={panel.id}
              data-state={
                alerts.feed === undefined ? 'loading' : alerts.feed.alerts.length > 0 ? 'ready' : 'empty'
              }
            >
              <h2 id={`panel-${panel.id}-title`} tabIndex={-1}>
                {panel.title}
              </h2>
              {panel.description === undefined ? null : <p class="description">{panel.description}</p>}
              <AlertsFeed
                panel={panel}
                feed={alerts.feed}
                error={alerts.error}
                onDrill={drillInto}
                hasVariable={hasVariable}
              />
            </section>
          ) : (
            <PanelView
              key={panel.id}
              panel={panel}
              state={states[panel.id] ?? { loading: true }}
              filters={filters[panel.id] ?? {}}
              onFilters={(next) => setFilters((f) => ({ ...f, [panel.id]: { ...f[panel.id], ...next } }))}
              onSelect={selectIn}
              onDrill={drillInto}
              hasVariable={hasVariable}
              window={windows[panel.id]}
              onClearWindow={() => clearWindow(panel.id)}
              onDelete={() => deletePanel(panel.id).then(load)}
              rangeLabel={rangeLabel}
            />
          ),
        )}
        <SqlBox
          range={() => resolveRange(current.current.range, Date.now())}
          onSaved={(id) => void load().then(() => focusPanel(id))}
        />
      </main>
    </>
  );
}

/** Moves the focus to a panel's title and scrolls it into view, once it is drawn. */
function focusPanel(id: string): void {
  requestAnimationFrame(() => {
    const heading = document.querySelector<HTMLElement>(`[data-panel="${id}"] h2`);
    heading?.focus({ preventScroll: true });
    heading?.closest('section')?.scrollIntoView({ block: 'start' });
  });
}

function RangePicker({ range, onRange }: { range: RangeChoice; onRange: (r: RangeChoice) => void }) {
  const local = (iso: string | undefined) => (iso === undefined ? '' : iso.slice(0, 16));
  return (
    <div class="range">
      <label>
        Time range{' '}
        <select value={range.id} onChange={(e) => onRange({ id: e.currentTarget.value })}>
          {PRESETS.map((p) => (
            <option key={p.id} value={p.id}>
              {p.label}
            </option>
          ))}
          <option value="custom">Custom (UTC)</option>
        </select>
      </label>
      {range.id !== 'custom' ? null : (
        <form
          class="custom-range"
          onSubmit={(e) => {
            e.preventDefault();
            const form = new FormData(e.currentTarget);
            const from = `${String(form.get('from'))}:00Z`;
            const to = `${String(form.get('to'))}:00Z`;
            if (!Number.isNaN(Date.parse(from)) && !Number.isNaN(Date.parse(to)))
              onRange({ id: 'custom', from, to });
          }}
        >
          <label>
            From <input type="datetime-local" name="from" defaultValue={local(range.from)} required />
          </label>
          <label>
            To <input type="datetime-local" name="to" defaultValue={local(range.to)} required />
          </label>
          <button type="submit">Apply</button>
        </form>
      )}
    </div>
  );
}

function TokenPrompt({ onToken }: { onToken: (token: string) => void }) {
  return (
    <main class="token">
      <form
        onSubmit={(e) => {
          e.preventDefault();
          onToken(String(new FormData(e.currentTarget).get('token') ?? ''));
        }}
      >
        <h1>tidewatch</h1>
        <p>This tidewatch needs its password (the --password it was started with).</p>
        <label>
          Password <input type="password" name="token" autocomplete="current-password" required />
        </label>
        <button type="submit">Open the dashboard</button>
      </form>
    </main>
  );
}

render(<App />, document.getElementById('app') as HTMLElement);
