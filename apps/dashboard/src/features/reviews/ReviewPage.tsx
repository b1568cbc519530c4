import { Link, useParams, useSearchParams } from 'react-router';
import { useQuery } from 'urql';
import { ReviewsQuery } from '../../api/operations';
import { hasRole, isOwnRequest, useMe } from '../../auth/me';
import { ErrorNotice, Loading } from '../../components/State';
import { ReviewCard } from './ReviewCard';
import { useLiveReviews } from './live';

/**
 * One review, as notifications link to it (`/reviews/<id>?decision=approve`). The link only
 * opens the page: deciding is always a click here, never a GET.
 */
export function ReviewPage() {
  const { id = '' } = useParams();
  const [search] = useSearchParams();
  const wanted = search.get('decision');
  const me = useMe();
  const approver = hasRole(me, 'approver');
  const [{ data, fetching, error }, reread] = useQuery({ query: ReviewsQuery, variables: {} });
  useLiveReviews(approver || hasRole(me, 'auditor'), () => reread({ requestPolicy: 'network-only' }));
  if (fetching && !data) return <Loading what="the review" />;
  if (error && !data) return <ErrorNotice error={error} title="The review could not be loaded" />;
  const review = data?.reviews.find((r) => r.id === id);
  if (!review) {
    return (
      <section>
        <h2>Review not found</h2>
        <p>
          It does not exist or is not one you may see. <Link to="/inbox">Back to the inbox</Link>
        </p>
      </section>
    );
  }
  const own = isOwnRequest(me, review);
  return (
    <section aria-label="review">
      <h2>Review</h2>
      <ReviewCard
        review={review}
        canDecide={approver && !own}
        cannotDecideReason={own ? 'This is your own request: another approver decides it.' : undefined}
        focus={wanted === 'approve' || wanted === 'reject' ? wanted : undefined}
      />
    </section>
  );
}
