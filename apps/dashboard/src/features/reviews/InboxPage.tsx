import { useEffect, useMemo, useState } from 'react';
import { useQuery } from 'urql';
import { ReviewsQuery } from '../../api/operations';
import { hasRole, isOwnRequest, useMe } from '../../auth/me';
import { Empty, ErrorNotice, Loading } from '../../components/State';
import { ReviewCard, type Review } from './ReviewCard';
import { SessionContext } from './SessionContext';
import { useLiveReviews } from './live';

/** The reviewer inbox: pending requests, live; j/k move, a approves, r rejects the selected one. */
export function InboxPage() {
  const me = useMe();
  const approver = hasRole(me, 'approver');
  const [{ data, fetching, error }, rereadPending] = useQuery({
    query: ReviewsQuery,
    variables: { status: 'PENDING' },
  });
  const [{ data: recent }, rereadRecent] = useQuery({ query: ReviewsQuery, variables: {} });
  useLiveReviews(approver || hasRole(me, 'auditor'), () => {
    rereadPending({ requestPolicy: 'network-only' });
    rereadRecent({ requestPolicy: 'network-only' });
  });
  const pending = useMemo(() => (data?.reviews ?? []).filter((r) => r.status === 'PENDING'), [data]);
  const decided = useMemo(() => (recent?.reviews ?? []).filter((r) => r.status !== 'PENDING').slice(0, 20), [recent]);
  const [selected, setSelected] = useState(0);
  useInboxShortcuts(pending.length, selected, setSelected);

  if (fetching && !data) return <Loading what="reviews" />;
  if (error && !data) return <ErrorNotice error={error} title="Reviews could not be loaded" />;

  const card = (review: Review, index: number | null) => {
    const own = isOwnRequest(me, review);
    return (
      <ReviewCard
        key={review.id}
        review={review}
        canDecide={approver && !own}
        cannotDecideReason={own ? 'This is your own request: another approver decides it.' : undefined}
        selected={index !== null && index === selected}
        onSelect={index === null ? undefined : () => setSelected(index)}
        context={
          review.kind === 'COMMAND' && review.sessionId && hasRole(me, 'auditor') ? (
            <SessionContext sessionId={review.sessionId} />
          ) : null
        }
      />
    );
  };

  return (
    <section aria-labelledby="inbox-title">
      <h2 id="inbox-title">Inbox</h2>
      <p className="muted">
        Pending requests appear here as they are made. Keys: <kbd>j</kbd>/<kbd>k</kbd> select, <kbd>a</kbd> approve,{' '}
        <kbd>r</kbd> reject.
      </p>
      <section aria-label="pending reviews" className="review-list">
        {pending.length === 0 ? <Empty>Nothing waits for a decision.</Empty> : pending.map((r, i) => card(r, i))}
      </section>
      <h2>Recently decided</h2>
      <section aria-label="decided reviews" className="review-list">
        {decided.length === 0 ? <Empty>No decided reviews yet.</Empty> : decided.map((r) => card(r, null))}
      </section>
    </section>
  );
}

function useInboxShortcuts(count: number, selected: number, setSelected: (index: number) => void): void {
  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      const target = event.target as HTMLElement | null;
      if (target && ['INPUT', 'TEXTAREA', 'SELECT'].includes(target.tagName)) return;
      if (event.metaKey || event.ctrlKey || event.altKey || count === 0) return;
      if (event.key === 'j') setSelected(Math.min(count - 1, selected + 1));
      else if (event.key === 'k') setSelected(Math.max(0, selected - 1));
      else if (event.key === 'a' || event.key === 'r') {
        const action = event.key === 'a' ? 'approve' : 'reject';
        const button = document.querySelector<HTMLButtonElement>(`.review-selected button[data-action="${action}"]`);
        button?.click();
      } else return;
      event.preventDefault();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [count, selected, setSelected]);
  useEffect(() => {
    if (selected >= count && count > 0) setSelected(count - 1);
  }, [count, selected, setSelected]);
}
