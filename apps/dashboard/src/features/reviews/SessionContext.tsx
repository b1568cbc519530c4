import { useQuery } from 'urql';
import { SessionContextQuery } from '../../api/operations';
import { timelineOf } from '../sessions/timeline';

/** The requester's last statements in the session holding the command. */
export function SessionContext({ sessionId }: { sessionId: string }) {
  const [{ data, error }] = useQuery({ query: SessionContextQuery, variables: { sessionId } });
  if (error) return <p className="muted">The session's earlier statements are not available.</p>;
  if (!data) return null;
  const statements = timelineOf(data.sessionRecording.events)
    .filter((item) => item.kind === 'statement')
    .slice(-5);
  if (statements.length === 0) return <p className="muted">No earlier statement in this session.</p>;
  return (
    <details className="review-context">
      <summary>Recent statements in this session ({statements.length})</summary>
      <ol>
        {statements.map((s) => (
          <li key={s.key}>
            <code>{s.kind === 'statement' ? s.sql : ''}</code>
          </li>
        ))}
      </ol>
    </details>
  );
}
