import { Client, fetchExchange, mapExchange, subscriptionExchange, type Exchange } from '@urql/core';
import { createClient as createWsClient, type Client as WsClient } from 'graphql-ws';
import { dashboardCache } from './cache';

export interface DashboardClient {
  client: Client;
  /** Calls `listener` each time the WebSocket (re)connects; returns the unsubscribe. */
  onConnected(listener: () => void): () => void;
  /** Calls `listener` once the API stops accepting the session (token expired, signed out elsewhere). */
  onSessionEnded(listener: () => void): () => void;
  /** Closes the WebSocket (on sign-out: the server also closes it when the session ends). */
  close(): void;
}

/** graphql-ws on the same origin: the browser sends the session cookie with the upgrade. */
function webSocketUrl(origin: string): string {
  const url = new URL('/graphql', origin);
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  return url.href;
}

/**
 * The one GraphQL client: same-origin POSTs carrying the session cookie (JSON bodies, which
 * Apollo's CSRF prevention accepts), subscriptions over graphql-ws, and the normalised cache.
 */
export function createDashboardClient(origin = window.location.origin, exchanges: Exchange[] = []): DashboardClient {
  const listeners = new Set<() => void>();
  const ended = new Set<() => void>();
  const sessionEnded = () => ended.forEach((listener) => listener());
  const ws: WsClient = createWsClient({
    url: webSocketUrl(origin),
    lazy: true,
    retryAttempts: 20,
    on: {
      connected: () => listeners.forEach((listener) => listener()),
      // 4401: the session's token expired or it was signed out; 4403: the cookie is refused.
      closed: (event) => {
        const code = (event as { code?: number } | undefined)?.code;
        if (code === 4401 || code === 4403) sessionEnded();
      },
    },
  });
  const client = new Client({
    url: new URL('/graphql', origin).href,
    preferGetMethod: false,
    requestPolicy: 'cache-and-network',
    fetchOptions: { credentials: 'same-origin' },
    exchanges: [
      ...exchanges,
      mapExchange({
        onError(error) {
          if (error.graphQLErrors.some((e) => e.extensions?.['code'] === 'UNAUTHENTICATED')) sessionEnded();
        },
      }),
      dashboardCache(),
      fetchExchange,
      subscriptionExchange({
        forwardSubscription(request) {
          const input = { ...request, query: request.query ?? '' };
          return {
            subscribe(sink) {
              const unsubscribe = ws.subscribe(input, sink);
              return { unsubscribe };
            },
          };
        },
      }),
    ],
  });
  return {
    client,
    onConnected(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    onSessionEnded(listener) {
      ended.add(listener);
      return () => ended.delete(listener);
    },
    close: () => void ws.dispose(),
  };
}
