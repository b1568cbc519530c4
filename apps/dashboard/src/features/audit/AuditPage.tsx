import { useId, useState, type FormEvent } from 'react';
import { useQuery } from 'urql';
import { AuditEventsQuery, VerifyAuditQuery } from '../../api/operations';
import { Empty, ErrorNotice, Loading } from '../../components/State';
import { Time } from '../../components/Time';
import type { AuditEventFilter } from '../../generated/graphql/graphql';

const PAGE = 50;

/** The audit log, newest first, cursor paging, filters, export and chain verification. */
export function AuditPage() {
  const ids = { kind: useId(), decision: useId(), session: useId(), from: useId(), to: useId() };
  const [draft, setDraft] = useState({ kindPrefix: '', decision: '', sessionId: '', from: '', to: '' });
  const [filter, setFilter] = useState<AuditEventFilter>({});
  const [cursors, setCursors] = useState<Array<string | null>>([null]);
  const after = cursors[cursors.length - 1] ?? null;
  const [{ data, fetching, error }] = useQuery({
    query: AuditEventsQuery,
    variables: { filter, after, first: PAGE },
  });
  const [verify, setVerify] = useState(false);

  const apply = (event: FormEvent) => {
    event.preventDefault();
    const next: AuditEventFilter = {};
    if (draft.kindPrefix.trim()) next.kindPrefix = draft.kindPrefix.trim();
    if (draft.decision) next.decision = draft.decision;
    if (draft.sessionId.trim()) next.sessionId = draft.sessionId.trim();
    if (draft.from) next.from = new Date(draft.from).toISOString();
    if (draft.to) next.to = new Date(draft.to).toISOString();
    setFilter(next);
    setCursors([null]);
  };
  const set = (key: keyof typeof draft) => (e: { target: { value: string } }) =>
    setDraft({ ...draft, [key]: e.target.value });

  return (
    <section aria-labelledby="audit-title">
      <h2 id="audit-title">Audit</h2>
      <form className="filters" onSubmit={apply} aria-label="audit filters">
        <label htmlFor={ids.kind}>Kind starts with</label>
        <input id={ids.kind} value={draft.kindPrefix} onChange={set('kindPrefix')} placeholder="statement." />
        <label htmlFor={ids.decision}>Decision</label>
        <select id={ids.decision} value={draft.decision} onChange={set('decision')}>
          <option value="">any</option>
          {['blocked', 'held', 'approved', 'rejected', 'masked', 'allowed'].map((d) => (
            <option key={d}>{d}</option>
          ))}
        </select>
        <label htmlFor={ids.session}>Session id</label>
        <input id={ids.session} value={draft.sessionId} onChange={set('sessionId')} />
        <label htmlFor={ids.from}>From</label>
        <input id={ids.from} type="datetime-local" value={draft.from} onChange={set('from')} />
        <label htmlFor={ids.to}>To</label>
        <input id={ids.to} type="datetime-local" value={draft.to} onChange={set('to')} />
        <button type="submit">Apply filters</button>
        <a href={exportHref(filter)} download>
          Export
        </a>
        <button type="button" onClick={() => setVerify(true)}>
          Verify chain
        </button>
      </form>
      {verify ? <Verification /> : null}
      {fetching && !data ? <Loading what="audit events" /> : null}
      {error ? <ErrorNotice error={error} title="The audit log could not be loaded" /> : null}
      {data && data.auditEvents.events.length === 0 ? <Empty>No audit event matches.</Empty> : null}
      {data && data.auditEvents.events.length > 0 ? (
        <div className="table-wrap">
          <table>
            <thead>
              <tr>
                <th scope="col">Seq</th>
                <th scope="col">At</th>
                <th scope="col">Kind</th>
                <th scope="col">Actor</th>
                <th scope="col">Decision</th>
                <th scope="col">Details</th>
              </tr>
            </thead>
            <tbody>
              {data.auditEvents.events.map((e) => (
                <tr key={e.id}>
                  <td>{e.seq}</td>
                  <td>
                    <Time value={e.at} />
                  </td>
                  <td>{e.kind}</td>
                  <td>{e.actorKind ? `${e.actorKind} ${e.actorId ?? ''}` : '—'}</td>
                  <td>{e.decision ?? '—'}</td>
                  <td>
                    <code className="details">{e.detailsJson}</code>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
      <nav aria-label="audit pages" className="pager">
        <button type="button" disabled={cursors.length === 1} onClick={() => setCursors(cursors.slice(0, -1))}>
          Newer
        </button>
        <button
          type="button"
          disabled={!data?.auditEvents.nextCursor}
          onClick={() => data?.auditEvents.nextCursor && setCursors([...cursors, data.auditEvents.nextCursor])}
        >
          Older
        </button>
      </nav>
    </section>
  );
}

/** The JSON Lines export of what the filters select (the export takes kind prefix and time range). */
export function exportHref(filter: AuditEventFilter): string {
  const query = new URLSearchParams();
  if (filter.kindPrefix) query.set('kind', filter.kindPrefix);
  if (filter.from) query.set('from', String(filter.from));
  if (filter.to) query.set('to', String(filter.to));
  const search = query.toString();
  return search ? `/audit/export?${search}` : '/audit/export';
}

function Verification() {
  const [{ data, fetching, error }] = useQuery({ query: VerifyAuditQuery, requestPolicy: 'network-only' });
  if (fetching && !data) return <Loading what="the chain verification" />;
  if (error) return <ErrorNotice error={error} title="The chain could not be verified" />;
  if (!data) return null;
  const v = data.verifyAuditLog;
  return (
    <section
      aria-label="chain verification"
      className={`verdict ${v.ok ? 'verdict-ok' : 'verdict-bad'}`}
      aria-live="polite"
    >
      <strong>{v.ok ? 'Audit chain intact' : `Audit chain broken at seq ${v.firstBadSeq ?? '?'}`}</strong>: {v.checked}{' '}
      events checked (seq {v.fromSeq}–{v.toSeq}), {v.legacy} older than the chain
      {v.problems.length > 0 ? (
        <ul>
          {v.problems.map((p) => (
            <li key={`${p.seq}-${p.problem}`}>
              seq {p.seq}: {p.problem} — {p.detail}
            </li>
          ))}
        </ul>
      ) : null}
    </section>
  );
}
