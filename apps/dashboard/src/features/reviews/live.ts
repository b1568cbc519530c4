import { useSubscription } from 'urql';
import { ReviewCreatedSubscription, ReviewDecidedSubscription } from '../../api/operations';

/**
 * Keeps every cached review list live: new reviews are placed into the lists that show them and
 * decided ones move out (api/cache.ts). Subscriptions are for approvers and auditors only.
 */
export function useLiveReviews(enabled: boolean): void {
  useSubscription({ query: ReviewCreatedSubscription, pause: !enabled });
  useSubscription({ query: ReviewDecidedSubscription, pause: !enabled });
}
