/** One SQL panel: its title, its filters, and its rows as a table, chart or bars — or why there are none. */
import type { ComponentChildren } from 'preact';
import { useState } from 'preact/hooks';
import { type ApiError, errorText, type Panel, type Rows } from '../api.ts';
import {
  type DrillTarget,
  drillTarget,
  rowDrillTarget,
  rowPoint,
  tableCell,
  type Window,
  windowLabel,
} from '../drilldown.ts';
import { Bars } from './bars.tsx';
import { DataTable } from './data-table.tsx';
import { TimeSeries } from './time-series.tsx';

export interface PanelState {
  readonly data?: Rows;
  /** The range the data was asked for. */
  readonly range?: { readonly from: string; readonly to: string };
  readonly error?: ApiError | Error;
  readonly loading: boolean;
}

interface Props {
  readonly panel: Panel;
  readonly state: PanelState;
  readonly filters: Readonly<Record<string, string>>;
  readonly onFilters: (filters: Record<string, string>) => void;
  /** Sets a variable of another panel (a user picked in a table). */
  readonly onSelect: (panel: string, variable: string, value: string) => void;
  /** Shows what a point, bar or row stands for in another panel (the panel's drill-down). */
  readonly onDrill: (target: DrillTarget) => void;
  /** Whether a panel of the page has a variable (a row's drill-down names it per row). */
  readonly hasVariable: (panel: string, variable: string) => boolean;
  /** The range this panel is narrowed to by a drill-down, and how to widen it again. */
  readonly window?: Window | undefined;
  readonly onClearWindow: () => void;
  /** Deletes the panel (one saved from the SQL box). */
  readonly onDelete: () => Promise<unknown>;
  /** The range label, for empty states. */
  readonly rangeLabel: string;
}

const PAGING = new Set(['limit', 'offset']);

export function PanelView({
  panel,
  state,
  filters,
  onFilters,
  onSelect,
  onDrill,
  hasVariable,
  window,
  onClearWindow,
  onDelete,
  rangeLabel,
}: Props) {
  const headingId = `panel-${panel.id}-title`;
  const textFilters = panel.variables.filter((v) => !PAGING.has(v.name) && panel.kind === 'table');
  const paged =
    panel.variables.some((v) => v.name === 'limit') && panel.variables.some((v) => v.name === 'offset');
  const value = (name: string) =>
    filters[name] ?? panel.variables.find((v) => v.name === name)?.default ?? '';
  const picker = panel.variables.find((v) => v.name === 'user' && panel.kind !== 'table');
  return (
    <section
      class={`panel panel-${panel.kind}`}
      aria-labelledby={headingId}
      aria-busy={state.loading}
      data-panel={panel.id}
      data-epoch={state.data?.epoch ?? ''}
      data-window={window === undefined ? '' : `${window.from}/${window.to}`}
      data-range={state.range === undefined ? '' : `${state.range.from}/${state.range.to}`}
      data-state={
        state.error
          ? 'error'
          : state.data === undefined
            ? 'loading'
            : state.data.absent !== undefined
              ? 'absent'
              : state.data.rows.length === 0
                ? 'empty'
                : 'ready'
      }
    >
      <h2 id={headingId} tabIndex={-1}>
        {panel.title}
      </h2>
      {panel.saved !== true ? null : <SavedNote title={panel.title} onDelete={onDelete} />}
      {panel.description === undefined ? null : <p class="description">{panel.description}</p>}
      {window === undefined ? null : (
        <p class="window">
          Window: <strong>{windowLabel(window)}</strong>{' '}
          <button type="button" onClick={onClearWindow}>
            Back to {rangeLabel}
          </button>
        </p>
      )}
      {textFilters.length === 0 ? null : (
        <form
          key={JSON.stringify(filters)}
          class="filters"
          aria-label={`Filter ${panel.title}`}
          onSubmit={(e) => {
            e.preventDefault();
            const form = new FormData(e.currentTarget);
            const next: Record<string, string> = { offset: '0' };
            for (const v of textFilters) next[v.name] = String(form.get(v.name) ?? '').trim();
            onFilters(next);
          }}
        >
          {textFilters.map((v) => (
            <label key={v.name}>
              {v.label}
              <input name={v.name} defaultValue={value(v.name)} autocomplete="off" spellcheck={false} />
            </label>
          ))}
          <button type="submit">Apply</button>
        </form>
      )}
      {picker === undefined ? null : (
        <p class="picked">
          {picker.label}: <strong>{value(picker.name) === '' ? 'none picked' : value(picker.name)}</strong>
        </p>
      )}
      <Body
        panel={panel}
        state={state}
        filters={filters}
        onSelect={onSelect}
        onDrill={onDrill}
        hasVariable={hasVariable}
        rangeLabel={rangeLabel}
        picked={picker === undefined ? undefined : value(picker.name)}
      />
      {!paged ? null : (
        <Pager
          offset={Number(value('offset'))}
          limit={Number(value('limit'))}
          shown={state.data?.rows.length ?? 0}
          onOffset={(offset) => onFilters({ offset: String(offset) })}
        />
      )}
    </section>
  );
}

function Body({
  panel,
  state,
  filters,
  onSelect,
  onDrill,
  hasVariable,
  rangeLabel,
  picked,
}: Pick<Props, 'panel' | 'state' | 'filters' | 'onSelect' | 'onDrill' | 'hasVariable' | 'rangeLabel'> & {
  picked: string | undefined;
}) {
  if (picked === '') return <p class="empty">Pick a user in Per-user metrics to see their minutes.</p>;
  if (state.error !== undefined)
    return (
      <p class="empty error" role="alert">
        The query failed: {state.error.message}
      </p>
    );
  const data = state.data;
  if (data === undefined) return <p class="empty">Loading…</p>;
  if (data.absent !== undefined)
    return (
      <p class="empty absent">
        Not available here: {data.absent}. The pipeline that defines it is not applied to this tidewatch.
      </p>
    );
  if (data.rows.length === 0)
    return (
      <p class="empty">
        No rows in {rangeLabel}
        {panel.variables.some((v) => v.name !== 'limit' && v.name !== 'offset') ? ' for these filters' : ''}:
        the views hold nothing for that time yet (is a source feeding them?).
      </p>
    );
  const drill = (key: string | null, timeMs?: number) => {
    const target = drillTarget(panel, filters, key, timeMs);
    if (target !== undefined) onDrill(target);
  };
  const drillable = panel.drilldown !== undefined;
  switch (panel.kind) {
    case 'timeseries':
      return (
        <>
          <TimeSeries
            panel={panel}
            data={data}
            range={state.range ?? { from: '', to: '' }}
            {...(drillable ? { onPoint: drill } : {})}
          />
          <DataDetails>
            {() => (
              <DataTable
                data={data}
                units={panel.units}
                caption={`${panel.title} data`}
                {...(drillable
                  ? {
                      rowAction: {
                        header: 'Requests',
                        target: (row: readonly unknown[]) => {
                          const { key, timeMs } = rowPoint(panel, data, row);
                          return drillTarget(panel, filters, key, timeMs);
                        },
                        onDrill,
                      },
                    }
                  : {})}
              />
            )}
          </DataDetails>
        </>
      );
    case 'bars':
      return <Bars panel={panel} data={data} {...(drillable ? { onPick: (c: string) => drill(c) } : {})} />;
    default: {
      const selects = panel.selects;
      return (
        <DataTable
          data={data}
          units={panel.units}
          caption={panel.title}
          {...(panel.drilldown === undefined
            ? {}
            : {
                rowAction: {
                  header: 'Requests',
                  target: (row: readonly unknown[]) =>
                    rowDrillTarget(panel, tableCell(data, row), hasVariable),
                  onDrill,
                },
              })}
          {...(selects === undefined
            ? {}
            : {
                pick: {
                  column: selects.column,
                  label: 'Show minutes of',
                  onPick: (v: string) => onSelect(selects.panel, selects.variable, v),
                },
              })}
        />
      );
    }
  }
}

/** A saved panel's origin and its Delete button, with why a deletion failed. */
function SavedNote({ title, onDelete }: { title: string; onDelete: () => Promise<unknown> }) {
  const [error, setError] = useState<string | undefined>(undefined);
  return (
    <p class="saved">
      Saved from the SQL box{' '}
      <button
        type="button"
        aria-label={`Delete the panel ${title}`}
        onClick={() => onDelete().catch((e: unknown) => setError(errorText(e)))}
      >
        Delete
      </button>
      {error === undefined ? null : (
        <span class="error" role="alert">
          {' '}
          {error}
        </span>
      )}
    </p>
  );
}

function Pager({
  offset,
  limit,
  shown,
  onOffset,
}: {
  offset: number;
  limit: number;
  shown: number;
  onOffset: (n: number) => void;
}) {
  return (
    <nav class="pager" aria-label="Pages">
      <button type="button" disabled={offset === 0} onClick={() => onOffset(Math.max(0, offset - limit))}>
        Newer
      </button>
      <span>
        rows {shown === 0 ? 0 : offset + 1}–{offset + shown}
      </span>
      <button type="button" disabled={shown < limit} onClick={() => onOffset(offset + limit)}>
        Older
      </button>
    </nav>
  );
}

/**
 * The rows under a chart, built only while shown: a day of minutes is thousands of table rows,
 * which would otherwise cost more than the chart at every refresh.
 */
function DataDetails({ children }: { children: () => ComponentChildren }) {
  const [open, setOpen] = useState(false);
  return (
    <details open={open} onToggle={(e) => setOpen((e.currentTarget as HTMLDetailsElement).open)}>
      <summary>Data</summary>
      {open ? children() : null}
    </details>
  );
}
