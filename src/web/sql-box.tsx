/**
 * The read-only SQL box: runs one query on the server (which refuses anything else), its time
 * macros over the page's range, shows its rows, and saves it as a panel.
 */
import { useState } from 'preact/hooks';
import { errorText, type Rows, runSql } from './api.ts';
import { DataTable } from './panels/data-table.tsx';
import { SavePanelForm } from './save-panel-form.tsx';

interface Props {
  /** The page's range now, for $__timeFilter(…) and the other macros. */
  readonly range: () => { from: string; to: string };
  /** A panel was saved: the page shows it. */
  readonly onSaved: (id: string) => void;
}

export function SqlBox({ range, onSaved }: Props) {
  const [sql, setSql] = useState(
    'SELECT window_start AS time, user_action, count_user_activity AS actions\nFROM top_user_actions\nWHERE $__timeFilter(window_start)\nORDER BY window_start DESC LIMIT 10',
  );
  const [result, setResult] = useState<{ sql: string; rows: Rows } | undefined>(undefined);
  const [error, setError] = useState<string | undefined>(undefined);
  const [running, setRunning] = useState(false);
  const run = async () => {
    setRunning(true);
    try {
      setResult({ sql, rows: await runSql(sql, range()) });
      setError(undefined);
    } catch (e) {
      setResult(undefined);
      setError(errorText(e));
    } finally {
      setRunning(false);
    }
  };
  return (
    <section class="panel sql-box" aria-labelledby="sql-box-title" data-panel="sql-box">
      <h2 id="sql-box-title">Query</h2>
      <p class="description">
        Read-only SQL over the views and sources (SELECT, WITH, VALUES); $__timeFilter(column), $__timeFrom()
        and $__timeTo() are the page's range. Ctrl+Enter runs it.
      </p>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          void run();
        }}
      >
        <label class="visually-hidden" for="sql-text">
          SQL query
        </label>
        <textarea
          id="sql-text"
          rows={4}
          spellcheck={false}
          value={sql}
          onInput={(e) => setSql(e.currentTarget.value)}
          onKeyDown={(e) => {
            if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) {
              e.preventDefault();
              void run();
            }
          }}
        />
        <button type="submit" disabled={running}>
          {running ? 'Running…' : 'Run'}
        </button>
      </form>
      <div aria-live="polite" class="sql-result">
        {error === undefined ? null : (
          <p class="empty error" role="alert" data-sql-error>
            {error}
          </p>
        )}
        {result === undefined ? null : result.rows.rows.length === 0 ? (
          <p class="empty">The query returned no rows.</p>
        ) : (
          <>
            <DataTable data={result.rows} units={{}} caption="Query result" />
            {result.rows.truncated ? <p class="description">The first 1,000 rows are shown.</p> : null}
          </>
        )}
      </div>
      {result === undefined ? null : (
        <SavePanelForm
          key={result.sql}
          sql={result.sql}
          columns={result.rows.columns}
          range={range}
          onSaved={onSaved}
        />
      )}
    </section>
  );
}
