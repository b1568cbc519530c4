import { createContext, useContext, useEffect, useRef } from 'react';
import { useSubscription } from 'urql';
import { ReviewCreatedSubscription, ReviewDecidedSubscription } from '../../api/operations';

/** Registers a listener for each (re)connection of the live WebSocket; returns the unsubscribe. */
export type OnConnected = (listener: () => void) => () => void;
export const LiveConnectionContext = createContext<OnConnected>(() => () => undefined);

/**
 * Keeps every cached review list live: new reviews are placed into the lists that show them and
 * decided ones move out (api/cache.ts). Events sent while the socket was down (or before this
 * view subscribed) are not replayed by the server, so `reread` runs on every (re)connection.
 * Subscriptions are for approvers and auditors only.
 */
export function useLiveReviews(enabled: boolean, reread: () => void): void {
  useSubscription({ query: ReviewCreatedSubscription, pause: !enabled });
  useSubscription({ query: ReviewDecidedSubscription, pause: !enabled });
  const onConnected = useContext(LiveConnectionContext);
  const latest = useRef(reread);
  useEffect(() => {
    latest.current = reread;
  });
  useEffect(() => (enabled ? onConnected(() => latest.current()) : undefined), [enabled, onConnected]);
}
