/**
 * The alerts sinks sent (`/api/alerts`), newest first: firing or resolved, the alert's row (a
 * detection's severity, scenario, actor and window when the sink reads `detections`), the sink
 * and whether the message was delivered — and above them, how each sink's delivery is doing.
 * With the panel's drill-down, an alert's Show button leads to its evidence as a detection's does.
 */
import type { AlertFeed, Panel, SentAlert, SinkState } from '../api.ts';
import { type DrillTarget, objectCell, rowDrillTarget } from '../drilldown.ts';
import { formatCount, formatTime } from '../format.ts';
import { Severity } from './severity.tsx';
import { ShowButton } from './show-button.tsx';

interface Props {
  readonly panel: Panel;
  readonly feed: AlertFeed | undefined;
  readonly error: string | undefined;
  /** Shows what an alert's row stands for in another panel (the panel's drill-down). */
  readonly onDrill: (target: DrillTarget) => void;
  readonly hasVariable: (panel: string, variable: string) => boolean;
}

export function AlertsFeed({ panel, feed, error, onDrill, hasVariable }: Props) {
  if (error !== undefined)
    return (
      <p class="empty error" role="alert">
        The alerts could not load: {error}
      </p>
    );
  if (feed === undefined) return <p class="empty">Loading…</p>;
  return (
    <>
      {feed.sinks.length === 0 ? (
        <p class="empty">
          No sink sends alerts yet: <code>CREATE SINK alerts FROM detections WITH (connector = 'log')</code>{' '}
          over the PostgreSQL endpoint, or a webhook (see the README's Sinks and alerts).
        </p>
      ) : (
        <ul class="sinks" aria-label="Sinks">
          {feed.sinks.map((s) => (
            <SinkLine key={s.name} sink={s} />
          ))}
        </ul>
      )}
      {feed.alerts.length === 0 ? (
        feed.sinks.length === 0 ? null : (
          <p class="empty">No alert sent yet.</p>
        )
      ) : (
        <ol class="alerts" aria-label="Alerts, newest first">
          {feed.alerts.map((a) => (
            <AlertItem
              key={`${a.sink}:${a.epoch}:${a.seq}`}
              alert={a}
              target={rowDrillTarget(panel, objectCell(a.row), hasVariable)}
              onDrill={onDrill}
            />
          ))}
        </ol>
      )}
    </>
  );
}

function SinkLine({ sink }: { sink: SinkState }) {
  return (
    <li data-sink={sink.name} data-state={sink.state}>
      <strong>{sink.name}</strong>{' '}
      <span class="muted">
        ({sink.connector} from {sink.from})
      </span>
      : {sink.state}
      {' · '}
      {formatCount(sink.delivered)} delivered · {formatCount(sink.pending)} pending
      {sink.dead_letters > 0 ? ` · ${formatCount(sink.dead_letters)} dead letters` : ''}
      {sink.held_back > 0 ? ` · ${formatCount(sink.held_back)} held back` : ''}
      {sink.state === 'retrying' && sink.last_error !== null ? (
        <span class="error"> · retrying: {sink.last_error}</span>
      ) : null}
    </li>
  );
}

function AlertItem({
  alert,
  target,
  onDrill,
}: {
  alert: SentAlert;
  target: DrillTarget | undefined;
  onDrill: (target: DrillTarget) => void;
}) {
  const row = alert.row;
  const text = (name: string) =>
    row[name] === null || row[name] === undefined ? undefined : String(row[name]);
  const start = text('window_start');
  const end = text('window_end');
  const rest = Object.entries(row).filter(
    ([k]) => !['severity', 'scenario', 'actor', 'window_start', 'window_end', 'evidence'].includes(k),
  );
  return (
    <li
      class={`alert alert-${alert.status}`}
      data-status={alert.status}
      data-outcome={alert.outcome}
      data-sink={alert.sink}
      data-dedup-key={alert.dedup_key}
    >
      <p class="alert-head">
        <span class={`alert-status alert-status-${alert.status}`}>
          <span aria-hidden="true">{alert.status === 'firing' ? '● ' : '✓ '}</span>
          {alert.status === 'firing' ? (alert.op === 'update' ? 'Firing (updated)' : 'Firing') : 'Resolved'}
        </span>{' '}
        {row.severity === undefined ? null : <Severity value={row.severity} />}{' '}
        <strong>{text('scenario') ?? ''}</strong> {text('actor') ?? ''}
        {start === undefined ? null : (
          <span class="muted">
            {' '}
            {formatTime(start, true)}
            {end === undefined ? '' : `–${formatTime(end)}`}
          </span>
        )}
        {target === undefined ? null : (
          <>
            {' '}
            <ShowButton target={target} onDrill={onDrill} />
          </>
        )}
      </p>
      {text('evidence') === undefined ? null : <p class="alert-evidence">{text('evidence')}</p>}
      {rest.length === 0 ? null : (
        <p class="alert-evidence">
          {rest
            .map(([k, v]) => `${k}: ${v === null ? '—' : typeof v === 'string' ? v : JSON.stringify(v)}`)
            .join(' · ')}
        </p>
      )}
      <p class="alert-delivery muted">
        {alert.outcome === 'delivered' ? 'Delivered' : <span class="error">Dead letter: {alert.reason}</span>}{' '}
        by {alert.sink}
        {alert.connector === null ? '' : ` (${alert.connector})`} at{' '}
        {formatTime(alert.settled_at.replace('Z', ''))} UTC
        {alert.held_back > 0 ? ` · ${formatCount(alert.held_back)} held back before it` : ''}
      </p>
    </li>
  );
}
