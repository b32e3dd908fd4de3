/** One horizontal bar per category, with the `line` column (a cumulative percentage) beside it. */
import type { Panel, Rows } from '../api.ts';
import { formatValue } from '../format.ts';

interface Props {
  readonly panel: Panel;
  readonly data: Rows;
  readonly onPick?: (category: string) => void;
}

export function Bars({ panel, data, onPick }: Props) {
  const at = (name: string | undefined) => data.columns.findIndex((c) => c.name === name);
  const [c, v, l] = [at(panel.category), at(panel.value), at(panel.line)];
  const max = Math.max(1, ...data.rows.map((r) => Number(r[v] ?? 0)));
  const unit = panel.units[panel.value ?? ''];
  const lineUnit = panel.units[panel.line ?? ''];
  return (
    <ol class="bars" aria-label={panel.title}>
      {data.rows.map((row) => {
        const value = Number(row[v] ?? 0);
        const label = String(row[c] ?? '—');
        const line = l < 0 ? undefined : formatValue(row[l], lineUnit);
        const text = `${label}: ${formatValue(value, unit)}${line === undefined ? '' : `, ${panel.line} ${line}`}`;
        return (
          <li key={label} data-category={label} data-value={String(value)}>
            <button
              type="button"
              class="bar-row"
              aria-label={text}
              disabled={onPick === undefined}
              onClick={() => onPick?.(label)}
            >
              <span class="bar-label">{label}</span>
              <span class="bar-track" aria-hidden="true">
                <span class="bar" style={{ width: `${(value / max) * 100}%` }} />
              </span>
              <span class="bar-value num">{formatValue(value, unit)}</span>
              {line === undefined ? null : <span class="bar-line num">{line}</span>}
            </button>
          </li>
        );
      })}
    </ol>
  );
}
