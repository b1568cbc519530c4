import { useId, useMemo, useState } from 'react';
import { Link } from 'react-router';
import { useQuery } from 'urql';
import { SessionsQuery } from '../../api/operations';
import { Empty, ErrorNotice, Loading } from '../../components/State';
import { Time } from '../../components/Time';

/** Sessions, most recent first, with server-side (status, principal) and local filters. */
export function SessionsPage() {
  const [status, setStatus] = useState('');
  const [principal, setPrincipal] = useState('');
  const [connection, setConnection] = useState('');
  const [endReason, setEndReason] = useState('');
  const [since, setSince] = useState('');
  const ids = { status: useId(), principal: useId(), connection: useId(), endReason: useId(), since: useId() };
  const [{ data, fetching, error }, refresh] = useQuery({
    query: SessionsQuery,
    variables: { status: status || null, principalId: principal.trim() || null, limit: 200 },
  });
  const all = useMemo(() => data?.sessions ?? [], [data]);
  const connections = useMemo(() => [...new Set(all.map((s) => s.connectionName))].sort(), [all]);
  const reasons = useMemo(() => [...new Set(all.map((s) => s.endReason).filter(Boolean))] as string[], [all]);
  const sessions = all.filter(
    (s) =>
      (connection === '' || s.connectionName === connection) &&
      (endReason === '' || s.endReason === endReason) &&
      (since === '' || new Date(s.startedAt).getTime() >= new Date(since).getTime()),
  );

  return (
    <section aria-labelledby="sessions-title">
      <h2 id="sessions-title">Sessions</h2>
      <form className="filters" onSubmit={(e) => e.preventDefault()} aria-label="session filters">
        <label htmlFor={ids.status}>Status</label>
        <select id={ids.status} value={status} onChange={(e) => setStatus(e.target.value)}>
          <option value="">any</option>
          <option value="ACTIVE">active</option>
          <option value="CLOSED">closed</option>
        </select>
        <label htmlFor={ids.principal}>User id</label>
        <input id={ids.principal} value={principal} onChange={(e) => setPrincipal(e.target.value)} />
        <label htmlFor={ids.connection}>Connection</label>
        <select id={ids.connection} value={connection} onChange={(e) => setConnection(e.target.value)}>
          <option value="">any</option>
          {connections.map((name) => (
            <option key={name}>{name}</option>
          ))}
        </select>
        <label htmlFor={ids.endReason}>Ended because</label>
        <select id={ids.endReason} value={endReason} onChange={(e) => setEndReason(e.target.value)}>
          <option value="">any</option>
          {reasons.map((reason) => (
            <option key={reason}>{reason}</option>
          ))}
        </select>
        <label htmlFor={ids.since}>Started after</label>
        <input id={ids.since} type="datetime-local" value={since} onChange={(e) => setSince(e.target.value)} />
        <button type="button" onClick={() => refresh({ requestPolicy: 'network-only' })}>
          Refresh
        </button>
      </form>
      {fetching && !data ? <Loading what="sessions" /> : null}
      {error ? <ErrorNotice error={error} title="Sessions could not be loaded" /> : null}
      {data && sessions.length === 0 ? <Empty>No session matches.</Empty> : null}
      {sessions.length > 0 ? (
        <div className="table-wrap">
          <table>
            <thead>
              <tr>
                <th scope="col">Started</th>
                <th scope="col">User</th>
                <th scope="col">Connection</th>
                <th scope="col">Status</th>
                <th scope="col">Statements</th>
                <th scope="col">Ended because</th>
              </tr>
            </thead>
            <tbody>
              {sessions.map((s) => (
                <tr key={s.id}>
                  <td>
                    <Link to={`/sessions/${s.id}`} aria-label={`session of ${s.principalName ?? s.principalId}`}>
                      <Time value={s.startedAt} />
                    </Link>
                  </td>
                  <td>{s.principalName ?? s.principalId}</td>
                  <td>{s.connectionName}</td>
                  <td>{s.status}</td>
                  <td>{s.statementCount}</td>
                  <td>{s.endReason ?? '—'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
    </section>
  );
}
