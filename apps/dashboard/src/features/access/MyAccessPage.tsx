import { useEffect, useId, useRef, useState, type FormEvent } from 'react';
import { useMutation, useQuery } from 'urql';
import { GrantsQuery, MintCredentialMutation, RequestAccessMutation, ReviewsQuery } from '../../api/operations';
import { hasRole, useMe } from '../../auth/me';
import { Empty, ErrorNotice, Loading, errorMessage } from '../../components/State';
import { Time } from '../../components/Time';
import { ReviewCard } from '../reviews/ReviewCard';
import { useLiveReviews } from '../reviews/live';

/** How often a requester's own list is re-read (the review subscriptions are for approvers). */
const OWN_REQUESTS_POLL_MS = 3_000;

/** The requester's side: grants, a fresh credential, a just-in-time request, my requests. */
export function MyAccessPage() {
  const me = useMe();
  const live = hasRole(me, 'approver') || hasRole(me, 'auditor');
  const [{ data: grants, error: grantsError }] = useQuery({ query: GrantsQuery });
  const [{ data: reviews, fetching, error }, reread] = useQuery({ query: ReviewsQuery, variables: {} });
  useLiveReviews(live, () => reread({ requestPolicy: 'network-only' }));
  usePoll(!live, () => reread({ requestPolicy: 'network-only' }));
  const mine = (reviews?.reviews ?? []).filter((r) => r.requesterId === me.id || r.requesterPrincipalId === me.id);
  const known = new Map(mine.map((r) => [r.connectionId, r.connectionName]));

  return (
    <section aria-labelledby="access-title">
      <h2 id="access-title">My access</h2>
      {grantsError ? <ErrorNotice error={grantsError} title="Grants could not be loaded" /> : null}
      {grants && grants.grants.length === 0 ? <Empty>No just-in-time grant is active.</Empty> : null}
      {grants && grants.grants.length > 0 ? (
        <ul aria-label="active grants">
          {grants.grants.map((g) => (
            <li key={g.id}>
              {known.get(g.connectionId) ?? g.connectionId}: {g.operations.join(', ')} until{' '}
              <Time value={g.expiresAt} />{' '}
              <Credential connectionId={g.connectionId} name={known.get(g.connectionId) ?? g.connectionId} />
            </li>
          ))}
        </ul>
      ) : null}
      <RequestAccessForm />
      <h2>My requests</h2>
      {fetching && !reviews ? <Loading what="your requests" /> : null}
      {error ? <ErrorNotice error={error} title="Your requests could not be loaded" /> : null}
      {reviews && mine.length === 0 ? <Empty>You have made no request.</Empty> : null}
      <section aria-label="my requests" className="review-list">
        {mine.map((review) => (
          <ReviewCard key={review.id} review={review} canDecide={false} />
        ))}
      </section>
    </section>
  );
}

function usePoll(enabled: boolean, tick: () => void): void {
  const latest = useRef(tick);
  useEffect(() => {
    latest.current = tick;
  });
  useEffect(() => {
    if (!enabled) return undefined;
    const timer = setInterval(() => latest.current(), OWN_REQUESTS_POLL_MS);
    return () => clearInterval(timer);
  }, [enabled]);
}

function Credential({ connectionId, name }: { connectionId: string; name: string }) {
  const [state, mint] = useMutation(MintCredentialMutation);
  const minted = state.data?.mintMyConnectionCredential;
  if (!minted) {
    return (
      <button type="button" onClick={() => void mint({ connectionId })} aria-label={`reveal a credential for ${name}`}>
        Reveal credential
      </button>
    );
  }
  return (
    <div className="credential">
      <p>
        Valid until <Time value={minted.credential.expiresAt} />. Shown once:
      </p>
      <pre aria-label="connection instructions">{`PGPASSWORD='${minted.password}' psql "host=<agent or relay host> dbname=${minted.database} user=<you>"`}</pre>
      {state.error ? <p role="alert">{errorMessage(state.error)}</p> : null}
    </div>
  );
}

function RequestAccessForm() {
  const ids = { connection: useId(), duration: useId(), reason: useId() };
  const [connectionId, setConnectionId] = useState('');
  const [minutes, setMinutes] = useState('60');
  const [reason, setReason] = useState('');
  const [problem, setProblem] = useState<string | null>(null);
  const [state, request] = useMutation(RequestAccessMutation);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (!connectionId.trim() || !reason.trim()) {
      setProblem('A connection and a reason are required.');
      return;
    }
    setProblem(null);
    const result = await request({
      input: { connectionId: connectionId.trim(), reason: reason.trim(), durationSeconds: Number(minutes) * 60 },
    });
    if (result.error) setProblem(errorMessage(result.error));
    else setReason('');
  };

  return (
    <form className="form" onSubmit={(e) => void submit(e)} aria-label="request access" noValidate>
      <h3>Request just-in-time access</h3>
      <div className="field">
        <label htmlFor={ids.connection}>Connection id</label>
        <input id={ids.connection} value={connectionId} onChange={(e) => setConnectionId(e.target.value)} />
      </div>
      <div className="field">
        <label htmlFor={ids.duration}>Duration (minutes)</label>
        <input id={ids.duration} type="number" min={1} value={minutes} onChange={(e) => setMinutes(e.target.value)} />
      </div>
      <div className="field">
        <label htmlFor={ids.reason}>Reason</label>
        <textarea id={ids.reason} value={reason} onChange={(e) => setReason(e.target.value)} required />
      </div>
      {problem ? (
        <p role="alert" className="state-error">
          {problem}
        </p>
      ) : null}
      <button type="submit" disabled={state.fetching}>
        Request access
      </button>
    </form>
  );
}
