/** Rows as an HTML table: sortable by any column, values formatted, raw values kept in `data-value`. */
import { useState } from 'preact/hooks';
import type { Rows } from '../api.ts';
import type { DrillTarget } from '../drilldown.ts';
import { formatTime, formatValue, type Unit } from '../format.ts';
import { Severity } from './severity.tsx';
import { ShowButton } from './show-button.tsx';

interface Props {
  readonly data: Rows;
  readonly units: Readonly<Record<string, Unit>>;
  readonly caption: string;
  readonly sortable?: boolean;
  /** Makes the cells of a column buttons that pick their value. */
  readonly pick?: {
    readonly column: string;
    readonly label: string;
    readonly onPick: (value: string) => void;
  };
  /** A last column of Show buttons, each leading to what its row stands for (undefined: no button). */
  readonly rowAction?: {
    readonly header: string;
    readonly target: (row: readonly unknown[]) => DrillTarget | undefined;
    readonly onDrill: (target: DrillTarget) => void;
  };
}

type Sort = { column: number; descending: boolean } | undefined;

function compare(a: unknown, b: unknown): number {
  if (a === b) return 0;
  if (a === null || a === undefined) return 1;
  if (b === null || b === undefined) return -1;
  return typeof a === 'number' && typeof b === 'number' ? a - b : String(a).localeCompare(String(b));
}

function cellText(v: unknown, type: string, unit: Unit | undefined): string {
  if (typeof v === 'string' && type.startsWith('timestamp')) return formatTime(v, true);
  return formatValue(v, unit);
}

export function DataTable({ data, units, caption, sortable = true, pick, rowAction }: Props) {
  const [sort, setSort] = useState<Sort>(undefined);
  const rows =
    sort === undefined
      ? data.rows
      : [...data.rows].sort((x, y) => (sort.descending ? -1 : 1) * compare(x[sort.column], y[sort.column]));
  const pickAt = pick === undefined ? -1 : data.columns.findIndex((c) => c.name === pick.column);
  return (
    <div class="table-scroll">
      <table>
        <caption class="visually-hidden">{caption}</caption>
        <thead>
          <tr>
            {data.columns.map((c, i) => {
              const sorted = sort?.column === i ? (sort.descending ? 'descending' : 'ascending') : undefined;
              return (
                <th key={c.name} scope="col" aria-sort={sorted}>
                  {sortable ? (
                    <button
                      type="button"
                      class="sort"
                      onClick={() =>
                        setSort({ column: i, descending: sort?.column === i && !sort.descending })
                      }
                    >
                      {c.name}
                      <span aria-hidden="true">
                        {sorted === undefined ? '' : sorted === 'ascending' ? ' ▲' : ' ▼'}
                      </span>
                    </button>
                  ) : (
                    c.name
                  )}
                </th>
              );
            })}
            {rowAction === undefined ? null : <th scope="col">{rowAction.header}</th>}
          </tr>
        </thead>
        <tbody>
          {rows.map((row, r) => (
            <tr key={r}>
              {row.map((v, i) => {
                const column = data.columns[i] as { name: string; type: string };
                const text = cellText(v, column.type, units[column.name]);
                const numeric = typeof v === 'number';
                return (
                  <td
                    key={column.name}
                    class={numeric ? 'num' : undefined}
                    data-value={v === null ? '' : String(v)}
                  >
                    {units[column.name] === 'severity' ? (
                      <Severity value={v} />
                    ) : i === pickAt && pick !== undefined ? (
                      <button
                        type="button"
                        class="link"
                        aria-label={`${pick.label} ${v === null || v === '' ? 'anonymous' : String(v)}`}
                        onClick={() => pick.onPick(v === null ? '' : String(v))}
                      >
                        {v === null || v === '' ? '(anonymous)' : text}
                      </button>
                    ) : (
                      text
                    )}
                  </td>
                );
              })}
              {rowAction === undefined ? null : <ActionCell row={row} action={rowAction} />}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function ActionCell({ row, action }: { row: readonly unknown[]; action: NonNullable<Props['rowAction']> }) {
  const target = action.target(row);
  return (
    <td class="row-action">
      {target === undefined ? null : <ShowButton target={target} onDrill={action.onDrill} />}
    </td>
  );
}
