/** The read-only SQL box: runs one query on the server (which refuses anything else) and shows its rows. */
import { useState } from 'preact/hooks';
import { ApiError, type Rows, runSql } from './api.ts';
import { DataTable } from './panels/data-table.tsx';

export function SqlBox() {
  const [sql, setSql] = useState('SELECT * FROM top_user_actions ORDER BY window_start DESC LIMIT 10');
  const [result, setResult] = useState<Rows | undefined>(undefined);
  const [error, setError] = useState<string | undefined>(undefined);
  const [running, setRunning] = useState(false);
  const run = async () => {
    setRunning(true);
    try {
      setResult(await runSql(sql));
      setError(undefined);
    } catch (e) {
      setResult(undefined);
      setError(
        e instanceof ApiError && e.sqlstate !== undefined
          ? `${e.message} (SQLSTATE ${e.sqlstate})`
          : String((e as Error).message),
      );
    } finally {
      setRunning(false);
    }
  };
  return (
    <section class="panel sql-box" aria-labelledby="sql-box-title" data-panel="sql-box">
      <h2 id="sql-box-title">Query</h2>
      <p class="description">
        Read-only SQL over the views and sources (SELECT, WITH, VALUES). Ctrl+Enter runs it.
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
        {result === undefined ? null : result.rows.length === 0 ? (
          <p class="empty">The query returned no rows.</p>
        ) : (
          <>
            <DataTable data={result} units={{}} caption="Query result" />
            {result.truncated ? <p class="description">The first 1,000 rows are shown.</p> : null}
          </>
        )}
      </div>
    </section>
  );
}
