import { useEffect, useState } from 'react';
import { useParams } from 'react-router';
import { useMutation, useQuery, useSubscription } from 'urql';
import {
  SessionEventsSubscription,
  SessionQuery,
  SessionRecordingQuery,
  TerminateSessionMutation,
} from '../../api/operations';
import { hasRole, useMe } from '../../auth/me';
import { ErrorNotice, Loading, errorMessage } from '../../components/State';
import { Time } from '../../components/Time';
import type {
  SessionQuery as SessionData,
  SessionEventsSubscription as SessionEventsSubscriptionData,
} from '../../generated/graphql/graphql';
import { Replay } from './Replay';
import { protocolOf, type RecordedEvent } from './timeline';

/** How often a live session's recording is re-read besides its subscription. */
const LIVE_REREAD_MS = 5_000;

export function SessionDetailPage() {
  const { id = '' } = useParams();
  const me = useMe();
  const [{ data, fetching, error }] = useQuery({ query: SessionQuery, variables: { id } });
  const [terminated, terminate] = useMutation(TerminateSessionMutation);
  if (fetching && !data) return <Loading what="the session" />;
  if (error && !data) return <ErrorNotice error={error} title="The session could not be loaded" />;
  if (!data) return null;
  const { session, verifySessionRecording: verdict } = data;

  return (
    <section aria-labelledby="session-title">
      <h2 id="session-title">
        Session of {session.principalName ?? session.principalId} on {session.connectionName}
      </h2>
      <dl className="facts">
        <dt>Status</dt>
        <dd>{session.status}</dd>
        <dt>Started</dt>
        <dd>
          <Time value={session.startedAt} />
        </dd>
        <dt>Ended</dt>
        <dd>
          <Time value={session.endedAt} /> {session.endReason ? `(${session.endReason})` : ''}
        </dd>
        <dt>Statements</dt>
        <dd>{session.statementCount}</dd>
        <dt>Client</dt>
        <dd>
          {session.clientAddress ?? '—'} via {session.ingress}
        </dd>
        <dt>Policy version</dt>
        <dd>{session.policyVersion ?? '—'}</dd>
      </dl>
      <Verdict verdict={verdict} />
      {session.status === 'ACTIVE' && hasRole(me, 'admin') ? (
        <p>
          <button type="button" className="danger" onClick={() => void terminate({ id: session.id })}>
            Terminate session
          </button>
          {terminated.error ? <span role="alert"> {errorMessage(terminated.error)}</span> : null}
        </p>
      ) : null}
      <h3>Replay</h3>
      <Recording sessionId={session.id} live={session.status === 'ACTIVE'} />
    </section>
  );
}

function Verdict({ verdict }: { verdict: SessionData['verifySessionRecording'] }) {
  const state = verdict.purged
    ? 'purged by retention'
    : verdict.ok
      ? verdict.complete
        ? 'intact and complete'
        : 'intact so far (not complete yet)'
      : `tampered: ${verdict.problems.length} problem(s)`;
  return (
    <section aria-label="recording integrity" className={`verdict ${verdict.ok ? 'verdict-ok' : 'verdict-bad'}`}>
      <strong>Recording integrity:</strong> {state} · {verdict.chunks} chunk(s)
      {verdict.headHash ? <code className="hash"> {verdict.headHash.slice(0, 16)}…</code> : null}
      {verdict.problems.length > 0 ? (
        <ul>
          {verdict.problems.map((p) => (
            <li key={`${p.seq}-${p.problem}`}>
              chunk {p.seq}: {p.problem} — {p.detail}
            </li>
          ))}
        </ul>
      ) : null}
    </section>
  );
}

/**
 * Reads the recording page by page (100 chunks each) and replays what was read; for a live
 * session, the events committed from now on arrive through the sessionEvents subscription.
 */
function Recording({ sessionId, live }: { sessionId: string; live: boolean }) {
  const [{ data: arrived }] = useSubscription(
    { query: SessionEventsSubscription, variables: { sessionId }, pause: !live },
    (previous: RecordedEvent[] | undefined, event: SessionEventsSubscriptionData) => [
      ...(previous ?? []),
      event.sessionEvents,
    ],
  );
  const [pages, setPages] = useState<Array<number | null>>([null]);
  const [events, setEvents] = useState<Record<string, RecordedEvent[]>>({});
  const last = pages[pages.length - 1] ?? null;
  const [{ data, fetching, error }, reread] = useQuery({
    query: SessionRecordingQuery,
    variables: { sessionId, afterSeq: last },
  });
  // The subscription only carries events committed after it was registered on the server: a
  // slow re-read of the last page catches what was committed in between.
  useEffect(() => {
    if (!live) return undefined;
    const timer = setInterval(() => reread({ requestPolicy: 'network-only' }), LIVE_REREAD_MS);
    return () => clearInterval(timer);
  }, [live, reread]);
  const key = String(last);
  if (data && events[key] !== data.sessionRecording.events) {
    setEvents({ ...events, [key]: data.sessionRecording.events });
  }
  if (error) return <ErrorNotice error={error} title="The recording could not be read" />;
  if (fetching && pages.length === 1 && !data) return <Loading what="the recording" />;
  const all = withoutDuplicates([...pages.flatMap((page) => events[String(page)] ?? []), ...(arrived ?? [])]);
  const next = data?.sessionRecording.nextSeq;
  return (
    <>
      {data?.sessionRecording.purged ? <p className="muted">Retention deleted this recording.</p> : null}
      <Replay protocol={protocolOf(all) ?? 'POSTGRES'} events={all} />
      {next !== null && next !== undefined && data?.sessionRecording.events.length ? (
        <button type="button" onClick={() => setPages([...pages, next - 1])}>
          Load more
        </button>
      ) : null}
    </>
  );
}

/** A chunk read by a page and also pushed live is shown once, in recording order. */
function withoutDuplicates(events: RecordedEvent[]): RecordedEvent[] {
  const seen = new Map<string, RecordedEvent>();
  for (const event of events) seen.set(`${event.seq}:${event.index}`, event);
  return [...seen.values()].sort((a, b) => a.seq - b.seq || a.index - b.index);
}
