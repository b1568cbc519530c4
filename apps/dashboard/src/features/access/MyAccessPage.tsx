import { useEffect, useRef, useState, type FormEvent } from 'react';
import { useMutation, useQuery } from 'urql';
import { MintCredentialMutation, MyAccessQuery, RequestAccessMutation, ReviewsQuery } from '../../api/operations';
import { hasRole, useMe } from '../../auth/me';
import { Field } from '../../components/Field';
import { Empty, ErrorNotice, Loading, errorMessage } from '../../components/State';
import { Time } from '../../components/Time';
import type { MyAccessQuery as MyAccessData } from '../../generated/graphql/graphql';
import { ReviewCard } from '../reviews/ReviewCard';
import { useLiveReviews } from '../reviews/live';
import { connectionInstructions } from './instructions';

/** How often a requester's own list is re-read (the review subscriptions are for approvers). */
const OWN_REQUESTS_POLL_MS = 3_000;

type Reachable = MyAccessData['myAccess'][number];
type Relay = MyAccessData['gateway']['relays'][number];

/** The requester's side: connections I can reach, a fresh credential, a just-in-time request, my requests. */
export function MyAccessPage() {
  const me = useMe();
  const live = hasRole(me, 'approver') || hasRole(me, 'auditor');
  const [{ data: access, fetching: accessLoading, error: accessError }, rereadAccess] = useQuery({
    query: MyAccessQuery,
  });
  const [{ data: reviews, fetching, error }, reread] = useQuery({ query: ReviewsQuery, variables: {} });
  const rereadAll = () => {
    reread({ requestPolicy: 'network-only' });
    rereadAccess({ requestPolicy: 'network-only' });
  };
  useLiveReviews(live, rereadAll);
  usePoll(!live, rereadAll);
  const [requesting, setRequesting] = useState('');
  const mine = (reviews?.reviews ?? []).filter((r) => r.requesterId === me.id || r.requesterPrincipalId === me.id);
  const connections = access?.myAccess ?? [];

  return (
    <section aria-labelledby="access-title">
      <h2 id="access-title">My access</h2>
      {accessLoading && !access ? <Loading what="your connections" /> : null}
      {accessError ? <ErrorNotice error={accessError} title="Your connections could not be loaded" /> : null}
      {access && connections.length === 0 ? <Empty>No connection is open to your groups.</Empty> : null}
      {connections.length > 0 ? (
        <ul className="review-list access-list" aria-label="my connections">
          {connections.map((c) => (
            <li key={c.connectionId} className="review" aria-label={`connection ${c.name}`}>
              <strong>{c.name}</strong> <span className="muted">{c.protocol}</span>{' '}
              <span className={`badge badge-${c.access}`}>{c.access}</span> {c.operations.join(', ')}
              {c.expiresAt ? (
                <>
                  {' '}
                  until <Time value={c.expiresAt} />
                </>
              ) : null}{' '}
              {c.access === 'requestable' ? (
                <button type="button" className="link" onClick={() => setRequesting(c.connectionId)}>
                  Request access to {c.name}
                </button>
              ) : (
                <Credential connection={c} relays={access?.gateway.relays ?? []} />
              )}
            </li>
          ))}
        </ul>
      ) : null}
      <RequestAccessForm connections={connections} chosen={requesting} onChoose={setRequesting} />
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

function Credential({ connection, relays }: { connection: Reachable; relays: readonly Relay[] }) {
  const [state, mint] = useMutation(MintCredentialMutation);
  const minted = state.data?.mintMyConnectionCredential;
  if (!minted) {
    return (
      <>
        <button
          type="button"
          disabled={state.fetching}
          onClick={() => void mint({ connectionId: connection.connectionId })}
          aria-label={`reveal a credential for ${connection.name}`}
        >
          Reveal credential
        </button>
        {state.error ? <span role="alert"> {errorMessage(state.error)}</span> : null}
      </>
    );
  }
  return (
    <div className="credential">
      <p>
        A password for you on {connection.name}, valid until <Time value={minted.credential.expiresAt} />. It is shown
        only now:
      </p>
      <pre aria-label={`connection instructions for ${connection.name}`}>
        {connectionInstructions(connection.protocol, relays, minted, window.location.hostname)}
      </pre>
      <p className="muted">
        Password: <code aria-label={`password for ${connection.name}`}>{minted.password}</code>
      </p>
    </div>
  );
}

function RequestAccessForm({
  connections,
  chosen,
  onChoose,
}: {
  connections: readonly Reachable[];
  chosen: string;
  onChoose: (connectionId: string) => void;
}) {
  const [minutes, setMinutes] = useState('60');
  const [reason, setReason] = useState('');
  const [problem, setProblem] = useState<string | null>(null);
  const [state, request] = useMutation(RequestAccessMutation);
  const requestable = connections.filter((c) => c.access !== 'standing');

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (!chosen || !reason.trim()) {
      setProblem('Choose a connection and give a reason: approvers see it.');
      return;
    }
    setProblem(null);
    const result = await request({
      input: { connectionId: chosen, reason: reason.trim(), durationSeconds: Math.round(Number(minutes) * 60) },
    });
    if (result.error) setProblem(errorMessage(result.error));
    else setReason('');
  };

  return (
    <form className="form" onSubmit={(e) => void submit(e)} aria-label="request access" noValidate>
      <h3>Request just-in-time access</h3>
      <Field label="Connection">
        <select value={chosen} onChange={(e) => onChoose(e.target.value)}>
          <option value="">choose a connection</option>
          {requestable.map((c) => (
            <option key={c.connectionId} value={c.connectionId}>
              {c.name}
            </option>
          ))}
        </select>
      </Field>
      <Field label="Duration (minutes)">
        <input type="number" min={1} value={minutes} onChange={(e) => setMinutes(e.target.value)} />
      </Field>
      <Field label="Reason">
        <textarea value={reason} onChange={(e) => setReason(e.target.value)} required />
      </Field>
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
