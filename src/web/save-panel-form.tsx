/** "Save as panel" under the SQL box's result: a title, a kind and the columns it draws, prefilled from the result. */
import { useState } from 'preact/hooks';
import { errorText, type PanelDraft, type Rows, savePanel } from './api.ts';
import { completeDraft, isNumeric, isText, isTime, suggestDraft } from './panel-draft.ts';

interface Props {
  readonly sql: string;
  readonly columns: Rows['columns'];
  readonly range: () => { from: string; to: string };
  readonly onSaved: (id: string) => void;
}

const KINDS: readonly { kind: PanelDraft['kind']; label: string }[] = [
  { kind: 'table', label: 'Table' },
  { kind: 'timeseries', label: 'Time series' },
  { kind: 'bars', label: 'Bars' },
];

export function SavePanelForm({ sql, columns, range, onSaved }: Props) {
  const [draft, setDraft] = useState<PanelDraft>(() => suggestDraft(sql, columns));
  const [message, setMessage] = useState<{ error: boolean; text: string } | undefined>(undefined);
  const [saving, setSaving] = useState(false);
  const set = (change: Partial<PanelDraft>) => setDraft((d) => ({ ...d, ...change }));
  const shown = completeDraft(draft, columns);
  const save = async () => {
    setSaving(true);
    try {
      const saved = await savePanel(completeDraft(draft, columns), range());
      setMessage({ error: false, text: `Saved as the panel “${saved.title}”.` });
      onSaved(saved.id);
    } catch (e) {
      setMessage({ error: true, text: errorText(e) });
    } finally {
      setSaving(false);
    }
  };
  const select = (
    label: string,
    value: string | undefined,
    options: Rows['columns'],
    pick: (v: string) => void,
  ) => (
    <label>
      {label}{' '}
      <select value={value ?? ''} onChange={(e) => pick(e.currentTarget.value)}>
        {options.map((c) => (
          <option key={c.name} value={c.name}>
            {c.name}
          </option>
        ))}
      </select>
    </label>
  );
  return (
    <form
      class="save-panel"
      aria-label="Save as panel"
      onSubmit={(e) => {
        e.preventDefault();
        void save();
      }}
    >
      <h3>Save as panel</h3>
      <label>
        Title{' '}
        <input
          name="title"
          required
          value={draft.title}
          onInput={(e) => set({ title: e.currentTarget.value })}
        />
      </label>
      <label>
        Kind{' '}
        <select
          value={draft.kind}
          onChange={(e) => set({ kind: e.currentTarget.value as PanelDraft['kind'] })}
        >
          {KINDS.map((k) => (
            <option key={k.kind} value={k.kind}>
              {k.label}
            </option>
          ))}
        </select>
      </label>
      {draft.kind !== 'timeseries' ? null : (
        <>
          {select('Time column', shown.time, columns.filter(isTime), (time) => set({ time }))}
          <label>
            Keys{' '}
            <select
              value={draft.keys ?? ''}
              onChange={(e) => {
                const keys = e.currentTarget.value;
                setDraft(({ keys: _, ...d }) => (keys === '' ? d : { ...d, keys }));
              }}
            >
              <option value="">none</option>
              {columns.filter(isText).map((c) => (
                <option key={c.name} value={c.name}>
                  {c.name}
                </option>
              ))}
            </select>
          </label>
          <fieldset>
            <legend>Values</legend>
            {columns.filter(isNumeric).map((c) => (
              <label key={c.name}>
                <input
                  type="checkbox"
                  checked={shown.values?.includes(c.name) ?? false}
                  onChange={(e) => {
                    const on = e.currentTarget.checked;
                    setDraft((d) => ({
                      ...d,
                      values: columns
                        .filter((x) =>
                          x.name === c.name ? on : completeDraft(d, columns).values?.includes(x.name),
                        )
                        .map((x) => x.name),
                    }));
                  }}
                />{' '}
                {c.name}
              </label>
            ))}
          </fieldset>
        </>
      )}
      {draft.kind !== 'bars' ? null : (
        <>
          {select('Category', shown.category, columns, (category) => set({ category }))}
          {select('Value', shown.value, columns.filter(isNumeric), (value) => set({ value }))}
        </>
      )}
      <button type="submit" disabled={saving}>
        {saving ? 'Saving…' : 'Save as panel'}
      </button>
      {message === undefined ? null : (
        <p
          class={message.error ? 'empty error' : 'description'}
          role={message.error ? 'alert' : 'status'}
          data-save-message
        >
          {message.text}
        </p>
      )}
    </form>
  );
}
