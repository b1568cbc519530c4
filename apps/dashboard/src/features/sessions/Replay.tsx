import { useId, useState } from 'react';
import { Time } from '../../components/Time';
import { HttpCallsReplay } from './HttpCallsReplay';
import { TerminalReplay } from './TerminalReplay';
import { decisionCounts, timelineOf, type RecordedEvent, type TimelineItem } from './timeline';

/**
 * Players by recording kind, keyed by the connection's protocol. Database sessions replay as a
 * statement timeline; terminal recordings (asciicast v2 from the SSH and Kubernetes engines) play
 * in asciinema-player (TerminalReplay); HTTP sessions as a list of calls (HttpCallsReplay).
 */
export type ReplayPlayer = (props: { events: readonly RecordedEvent[] }) => React.ReactElement;
export const REPLAY_PLAYERS: Partial<Record<string, ReplayPlayer>> = {
  POSTGRES: StatementReplay,
  MYSQL: StatementReplay,
  SSH: TerminalReplay,
  KUBERNETES: TerminalReplay,
  HTTP: HttpCallsReplay,
};

export function Replay({ protocol, events }: { protocol: string; events: readonly RecordedEvent[] }) {
  const Player = REPLAY_PLAYERS[protocol];
  if (!Player) return <p className="muted">No player for {protocol} recordings yet.</p>;
  return <Player events={events} />;
}

/** A seekable timeline: the slider (or a click on a row) moves the replay position. */
export function StatementReplay({ events }: { events: readonly RecordedEvent[] }) {
  const items = timelineOf(events);
  const counts = decisionCounts(items);
  const [position, setPosition] = useState(items.length);
  const sliderId = useId();
  const shown = Math.min(position, items.length);
  const statements = items.filter((i) => i.kind === 'statement').length;

  return (
    <section aria-label="replay" className="replay">
      <p className="replay-summary" aria-label="decision counts">
        {statements} statements · {counts.blocked} blocked · {counts.held} held · {counts.approved} approved ·{' '}
        {counts.rejected} rejected · {counts.masked} masked · {counts.valuesMasked} values masked
      </p>
      <label htmlFor={sliderId}>Position</label>
      <input
        id={sliderId}
        type="range"
        min={0}
        max={items.length}
        value={shown}
        onChange={(e) => setPosition(Number(e.target.value))}
        aria-valuetext={`${shown} of ${items.length} events`}
      />
      <span className="muted">
        {' '}
        {shown} of {items.length} events
      </span>
      <ol className="timeline">
        {items.map((item, index) => (
          <li
            key={item.key}
            className={`timeline-item timeline-${item.kind}${index < shown ? '' : ' timeline-future'}`}
            aria-current={index === shown - 1 ? 'step' : undefined}
          >
            <button type="button" className="link" onClick={() => setPosition(index + 1)}>
              <Time value={item.at} />
            </button>{' '}
            <TimelineRow item={item} />
          </li>
        ))}
      </ol>
    </section>
  );
}

function TimelineRow({ item }: { item: TimelineItem }) {
  if (item.kind !== 'statement') {
    return (
      <span>
        <span className={`badge badge-${item.kind === 'decision' ? item.decision : item.kind}`}>
          {item.kind === 'decision' ? item.decision : item.kind}
        </span>{' '}
        {item.detail}
      </span>
    );
  }
  return (
    <span>
      <code className="sql">{item.sql}</code>{' '}
      <span className="muted">
        {item.durationMs} ms · {item.rows} row{item.rows === 1 ? '' : 's'}
      </span>
      {item.error ? (
        <span className="state-error">
          {' '}
          error {item.error.code}: {item.error.message}
        </span>
      ) : null}
    </span>
  );
}
