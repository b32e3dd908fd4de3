/** A SQL box result as a panel to save: its kind and columns guessed from the result's column types. */
import type { PanelDraft, Rows } from './api.ts';

type Column = Rows['columns'][number];

const NUMERIC = /^(smallint|integer|bigint|numeric|real|double precision)$/;
export const isNumeric = (c: Column) => NUMERIC.test(c.type);
export const isTime = (c: Column) => c.type.startsWith('timestamp');
export const isText = (c: Column) => c.type === 'text' || c.type === 'character varying';

/**
 * The draft a result suggests: a time series of its numbers over its first timestamp column,
 * split by its first text column; else bars of its first text (or any) column by its first
 * number; else a table.
 */
export function suggestDraft(sql: string, columns: readonly Column[]): PanelDraft {
  const time = columns.find(isTime);
  const numbers = columns.filter(isNumeric);
  const text = columns.find(isText);
  if (time !== undefined && numbers.length > 0)
    return {
      title: '',
      kind: 'timeseries',
      sql,
      time: time.name,
      ...(text === undefined ? {} : { keys: text.name }),
      values: numbers.map((c) => c.name),
    };
  const category = text ?? columns.find((c) => !isNumeric(c));
  if (category !== undefined && numbers[0] !== undefined)
    return { title: '', kind: 'bars', sql, category: category.name, value: numbers[0].name };
  return { title: '', kind: 'table', sql };
}

/** The draft with only the fields of its kind, those not chosen yet as `suggestDraft` would choose them. */
export function completeDraft(draft: PanelDraft, columns: readonly Column[]): PanelDraft {
  const { title, kind, sql } = draft;
  const numbers = columns.filter(isNumeric).map((c) => c.name);
  switch (kind) {
    case 'timeseries':
      return {
        title,
        kind,
        sql,
        time: draft.time ?? columns.find(isTime)?.name ?? '',
        ...(draft.keys === undefined ? {} : { keys: draft.keys }),
        values: draft.values ?? numbers,
      };
    case 'bars':
      return {
        title,
        kind,
        sql,
        category: draft.category ?? (columns.find(isText) ?? columns.find((c) => !isNumeric(c)))?.name ?? '',
        value: draft.value ?? numbers[0] ?? '',
      };
    default:
      return { title, kind, sql };
  }
}
