/** The pipeline's health from /api/status: events/s, per-source lag and late rows, dead letters, the committed epoch and its age. */
import type { CommitEvent, Status } from '../api.ts';
import { formatAge, formatCount, formatMs, isoMillis } from '../format.ts';

interface Props {
  readonly status: Status | undefined;
  readonly commit: CommitEvent | undefined;
  readonly now: number;
}

export function Health({ status, commit, now }: Props) {
  if (status === undefined) return <p class="empty">Waiting for the first status…</p>;
  const age = commit === undefined ? undefined : now - Date.parse(commit.committedAt);
  return (
    <div class="health">
      <dl class="stats">
        <div>
          <dt>Events/s</dt>
          <dd data-stat="events-per-second">{formatCount(Math.round(status.events_per_second))}</dd>
        </div>
        <div>
          <dt>Events</dt>
          <dd>{formatCount(status.events_total)}</dd>
        </div>
        <div>
          <dt>Committed epoch</dt>
          <dd data-stat="committed-epoch">{status.committed_epoch ?? '—'}</dd>
        </div>
        <div>
          <dt>Last commit</dt>
          <dd>{age === undefined ? '—' : formatAge(age)}</dd>
        </div>
      </dl>
      <table class="sources">
        <caption class="visually-hidden">Sources</caption>
        <thead>
          <tr>
            <th scope="col">Source</th>
            <th scope="col">Rows</th>
            <th scope="col">Behind the newest</th>
            <th scope="col">Late rows</th>
            <th scope="col">Dead letters</th>
            <th scope="col">Input</th>
          </tr>
        </thead>
        <tbody>
          {status.sources.map((s) => {
            const lagMs =
              s.maxEventTime === null || s.watermark === null
                ? undefined
                : isoMillis(s.maxEventTime) - isoMillis(s.watermark);
            const rejected = (s.ingestion ?? []).reduce((sum, i) => sum + (i.rejected ?? 0), 0);
            const states = [...new Set((s.ingestion ?? []).map((i) => i.state))].join(', ');
            return (
              <tr key={s.name}>
                <th scope="row">{s.name}</th>
                <td class="num">{formatCount(s.rows)}</td>
                <td class="num">{lagMs === undefined ? '—' : formatMs(lagMs)}</td>
                <td class="num">{formatCount(s.lateRows)}</td>
                <td class="num">{formatCount(rejected)}</td>
                <td>{s.idle ? 'idle' : states || '—'}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
