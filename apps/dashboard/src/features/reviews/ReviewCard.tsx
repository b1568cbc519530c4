import { useId, useState, type FormEvent } from 'react';
import { useMutation } from 'urql';
import { ApproveReviewMutation, RejectReviewMutation } from '../../api/operations';
import { errorMessage } from '../../components/State';
import { Time, TimeLeft, formatDuration } from '../../components/Time';
import type { ReviewsQuery } from '../../generated/graphql/graphql';

export type Review = ReviewsQuery['reviews'][number];

export interface ReviewCardProps {
  review: Review;
  /** Approve and reject are shown (the viewer is an approver and not the requester). */
  canDecide: boolean;
  /** Why the buttons are absent, for the viewer. */
  cannotDecideReason?: string | undefined;
  selected?: boolean;
  onSelect?: () => void;
  /** Extra context under the review (the requester's recent statements). */
  context?: React.ReactNode;
  /** Puts the focus on this button (a notification's approve or reject link). */
  focus?: 'approve' | 'reject' | undefined;
}

export function approvalProgress(review: Pick<Review, 'decisions' | 'requiredApprovals'>): string {
  const approvals = review.decisions.filter((d) => d.approved).length;
  return `${approvals} of ${review.requiredApprovals} approval${review.requiredApprovals === 1 ? '' : 's'}`;
}

export function ReviewCard({
  review,
  canDecide,
  cannotDecideReason,
  selected,
  onSelect,
  context,
  focus,
}: ReviewCardProps) {
  const headingId = useId();
  const commentId = useId();
  const [comment, setComment] = useState('');
  const [approveState, approve] = useMutation(ApproveReviewMutation);
  const [rejectState, reject] = useMutation(RejectReviewMutation);
  const busy = approveState.fetching || rejectState.fetching;
  const error = approveState.error ?? rejectState.error;
  const pending = review.status === 'PENDING';

  const decide = (approved: boolean) => (event?: FormEvent) => {
    event?.preventDefault();
    const variables = { id: review.id, comment: comment.trim() === '' ? null : comment.trim() };
    void (approved ? approve(variables) : reject(variables));
  };

  return (
    <article
      className={`review review-${review.status.toLowerCase()}${selected ? ' review-selected' : ''}`}
      aria-labelledby={headingId}
      data-review-id={review.id}
      onClick={onSelect}
    >
      <header className="review-head">
        <h3 id={headingId}>
          {review.kind === 'COMMAND' ? 'Held command' : 'Access request'} on {review.connectionName}
        </h3>
        <span className={`badge badge-${review.status.toLowerCase()}`} aria-label={`status ${review.status}`}>
          {review.status}
        </span>
      </header>
      {review.kind === 'COMMAND' && review.command ? (
        <pre className="review-command" aria-label="command">
          {review.command}
        </pre>
      ) : null}
      <dl className="review-facts">
        <dt>Requester</dt>
        <dd>{review.requesterName ?? review.requesterPrincipalId}</dd>
        {review.kind === 'COMMAND' ? (
          <>
            <dt>Rule</dt>
            <dd>{review.ruleName ?? '—'}</dd>
          </>
        ) : (
          <>
            <dt>Duration</dt>
            <dd>{review.requestedSeconds ? formatDuration(review.requestedSeconds) : '—'}</dd>
          </>
        )}
        {review.reason ? (
          <>
            <dt>Reason</dt>
            <dd>{review.reason}</dd>
          </>
        ) : null}
        <dt>Asked</dt>
        <dd>
          <Time value={review.createdAt} />
        </dd>
        <dt>Progress</dt>
        <dd>{approvalProgress(review)}</dd>
        {pending ? (
          <>
            <dt>Expires</dt>
            <dd>
              <TimeLeft until={review.expiresAt} />
            </dd>
          </>
        ) : (
          <>
            <dt>Decided</dt>
            <dd>
              <Time value={review.decidedAt} />
            </dd>
          </>
        )}
      </dl>
      {review.decisions.length > 0 ? (
        <ul className="review-decisions" aria-label="decisions">
          {review.decisions.map((d) => (
            <li key={`${d.userId}-${d.createdAt}`}>
              {d.userName} {d.approved ? 'approved' : 'rejected'}
              {d.comment ? `: “${d.comment}”` : ''} (<Time value={d.createdAt} />)
            </li>
          ))}
        </ul>
      ) : null}
      {context}
      {pending && canDecide ? (
        <form className="review-decide" onSubmit={decide(true)}>
          <label htmlFor={commentId}>Comment</label>
          <input
            id={commentId}
            value={comment}
            onChange={(e) => setComment(e.target.value)}
            placeholder="Why (shown to the requester)"
          />
          <button type="submit" disabled={busy} data-action="approve" autoFocus={focus === 'approve'}>
            Approve
          </button>
          <button
            type="button"
            disabled={busy}
            onClick={decide(false)}
            className="danger"
            data-action="reject"
            autoFocus={focus === 'reject'}
          >
            Reject
          </button>
        </form>
      ) : null}
      {pending && !canDecide && cannotDecideReason ? <p className="muted">{cannotDecideReason}</p> : null}
      {error ? (
        <p role="alert" className="state-error">
          {errorMessage(error)}
        </p>
      ) : null}
    </article>
  );
}
