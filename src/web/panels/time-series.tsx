/** Lines over time with uPlot: one per value column, or per key and value column (long format). */
import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import type { Panel, Rows } from '../api.ts';
import { formatValue, isoMillis } from '../format.ts';

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
  /** The value of the keys column the series is of (null: a series per value column). */
  readonly key: string | null;
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
  for (const r of data.rows) if (!seconds.has(r[t])) seconds.set(r[t], isoMillis(String(r[t])) / 1000);
  const times = [...new Set(seconds.values())].sort((a, b) => a - b);
  const slot = new Map(times.map((time, i) => [time, i]));
  const series = new Map<string, (number | null)[]>();
  const keyOf = new Map<string, string | null>();
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
        keyOf.set(key, k < 0 || row[k] === null ? null : String(row[k]));
      }
      values[i] = row[v.index] === null ? null : Number(row[v.index]);
    }
  }
  return {
    times,
    series: [...series].map(([label, values]) => ({ label, key: keyOf.get(label) ?? null, values })),
  };
}

interface Props {
  readonly panel: Panel;
  readonly data: Rows;
  /** The range asked for (ISO 8601): the x axis spans it, so sparse data stays in place. */
  readonly range: { readonly from: string; readonly to: string };
  /** A click on the chart: the key of the series nearest the pointer, and the time of the point. */
  readonly onPoint?: (key: string | null, timeMs: number) => void;
}

export function TimeSeries({ panel, data, range, onPoint }: Props) {
  const box = useRef<HTMLDivElement>(null);
  // Read at the click: a new callback each render must not rebuild the chart.
  const pointed = useRef(onPoint);
  pointed.current = onPoint;
  const drillable = onPoint !== undefined;
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
    if (drillable)
      plot.over.addEventListener('click', () => {
        const point = pointAtCursor(plot);
        if (point !== undefined) pointed.current?.(series[point.series]?.key ?? null, point.timeMs);
      });
    // An observer reports the size it starts with too: redrawing a day of minutes for that
    // doubled the time to the first chart.
    let width = Math.max(200, element.clientWidth);
    const resize = new ResizeObserver(() => {
      const now = Math.max(200, element.clientWidth);
      if (now === width) return;
      width = now;
      plot.setSize({ width, height: 220 });
    });
    resize.observe(element);
    return () => {
      resize.disconnect();
      plot.destroy();
    };
  }, [panel, data, range.from, range.to, drillable]);
  return (
    <div
      ref={box}
      class={drillable ? 'chart drillable' : 'chart'}
      role="img"
      aria-label={`${panel.title}: chart of ${panel.values?.join(', ')} over time`}
    />
  );
}

/** The point under uPlot's cursor: its time slot, and of the series drawn there the one nearest the pointer. */
function pointAtCursor(plot: uPlot): { series: number; timeMs: number } | undefined {
  const idx = plot.cursor.idx;
  const top = plot.cursor.top;
  if (idx === null || idx === undefined || top === undefined || top < 0) return undefined;
  let nearest: { series: number; distance: number } | undefined;
  for (let s = 1; s < plot.series.length; s++) {
    const v = plot.data[s]?.[idx];
    if (v === null || v === undefined || plot.series[s]?.show === false) continue;
    const distance = Math.abs(plot.valToPos(v, 'y') - top);
    if (nearest === undefined || distance < nearest.distance) nearest = { series: s - 1, distance };
  }
  const time = plot.data[0][idx];
  return nearest === undefined || time === undefined
    ? undefined
    : { series: nearest.series, timeMs: time * 1000 };
}
