/** Lines over time with uPlot: one per value column, or per key and value column (long format). */
import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import type { Panel, Rows } from '../api.ts';
import { formatValue } from '../format.ts';

const PALETTE = [
  '#3b82f6',
  '#f97316',
  '#10b981',
  '#e11d48',
  '#a855f7',
  '#eab308',
  '#06b6d4',
  '#84cc16',
  '#f43f5e',
  '#64748b',
];

interface Series {
  readonly label: string;
  readonly values: (number | null)[];
}

/** The rows pivoted for uPlot: sorted times (seconds) and one array of values per series. */
export function pivot(panel: Panel, data: Rows): { times: number[]; series: Series[] } {
  const at = (name: string | undefined) => data.columns.findIndex((c) => c.name === name);
  const t = at(panel.time);
  const k = at(panel.keys);
  const valueColumns = (panel.values ?? []).map((name) => ({ name, index: at(name) }));
  // A day of minutes is thousands of rows sharing 1,440 times: each distinct text is parsed once.
  const seconds = new Map<unknown, number>();
  for (const r of data.rows) if (!seconds.has(r[t])) seconds.set(r[t], Date.parse(`${String(r[t])}Z`) / 1000);
  const times = [...new Set(seconds.values())].sort((a, b) => a - b);
  const slot = new Map(times.map((time, i) => [time, i]));
  const series = new Map<string, (number | null)[]>();
  for (const row of data.rows) {
    const i = slot.get(seconds.get(row[t]) as number) as number;
    for (const v of valueColumns) {
      const key =
        k < 0
          ? v.name
          : valueColumns.length > 1
            ? `${String(row[k] ?? '—')} ${v.name}`
            : String(row[k] ?? '—');
      let values = series.get(key);
      if (values === undefined) {
        values = new Array<number | null>(times.length).fill(null);
        series.set(key, values);
      }
      values[i] = row[v.index] === null ? null : Number(row[v.index]);
    }
  }
  return { times, series: [...series].map(([label, values]) => ({ label, values })) };
}

interface Props {
  readonly panel: Panel;
  readonly data: Rows;
  /** The range asked for (ISO 8601): the x axis spans it, so sparse data stays in place. */
  readonly range: { readonly from: string; readonly to: string };
}

export function TimeSeries({ panel, data, range }: Props) {
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const element = box.current;
    if (element === null) return;
    const { times, series } = pivot(panel, data);
    const unit = panel.units[panel.values?.[0] ?? ''];
    const style = getComputedStyle(element);
    const ink = style.getPropertyValue('--muted').trim() || '#888';
    const grid = style.getPropertyValue('--grid').trim() || '#8883';
    const axis = { stroke: ink, grid: { stroke: grid }, ticks: { stroke: grid } };
    const plot = new uPlot(
      {
        width: Math.max(200, element.clientWidth),
        height: 220,
        scales: {
          x: { time: true, range: () => [Date.parse(range.from) / 1000, Date.parse(range.to) / 1000] },
        },
        tzDate: (ts) => uPlot.tzDate(new Date(ts * 1000), 'Etc/UTC'),
        axes: [axis, { ...axis, size: 60, values: (_u, ticks) => ticks.map((v) => formatValue(v, unit)) }],
        series: [
          {},
          ...series.map((s, i) => ({
            label: s.label,
            stroke: PALETTE[i % PALETTE.length] as string,
            width: 1.5,
            points: { show: times.length < 60 },
            spanGaps: false,
            value: (_u: uPlot, v: number | null) => formatValue(v, unit),
          })),
        ],
        legend: { live: true },
      },
      [times, ...series.map((s) => s.values)],
      element,
    );
    const resize = new ResizeObserver(() =>
      plot.setSize({ width: Math.max(200, element.clientWidth), height: 220 }),
    );
    resize.observe(element);
    return () => {
      resize.disconnect();
      plot.destroy();
    };
  }, [panel, data, range.from, range.to]);
  return (
    <div
      ref={box}
      class="chart"
      role="img"
      aria-label={`${panel.title}: chart of ${panel.values?.join(', ')} over time`}
    />
  );
}
