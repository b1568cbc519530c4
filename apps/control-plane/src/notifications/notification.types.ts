import type { ReviewEventType } from '../reviews/review-events.js';

export type NotificationKind = 'WEBHOOK' | 'SLACK';
export type DeliveryStatus = 'PENDING' | 'DELIVERED' | 'FAILED';

/** Where review notifications go, as admins see it (never with its secret). */
export interface NotificationEndpoint {
  id: string;
  name: string;
  kind: NotificationKind;
  /** WEBHOOK: the receiver's URL. SLACK: only the origin of the webhook URL (the URL is a secret). */
  url: string;
  /** Event types sent; empty = every type. */
  events: ReviewEventType[];
  /** Reviews of these connections only; empty = every connection. */
  connectionIds: string[];
  enabled: boolean;
  createdAt: Date;
  updatedAt: Date;
}

/** An endpoint with its sealed secret (the signing key, or the Slack URL), for sending. */
export interface StoredEndpoint extends NotificationEndpoint {
  secretCiphertext: Buffer | null;
}

export interface NewEndpoint {
  id: string;
  name: string;
  kind: NotificationKind;
  url: string;
  secretCiphertext: Buffer<ArrayBuffer>;
  events: ReviewEventType[];
  connectionIds: string[];
  enabled: boolean;
}

export type EndpointChanges = Partial<
  Pick<NewEndpoint, 'name' | 'url' | 'secretCiphertext' | 'events' | 'connectionIds' | 'enabled'>
>;

/** One event for one endpoint, and how sending it went. */
export interface NotificationDelivery {
  /** Stable across attempts and retries: the x-postern-delivery header. */
  id: string;
  endpointId: string;
  endpointName: string;
  eventId: string;
  eventType: string;
  reviewId: string | null;
  status: DeliveryStatus;
  attempts: number;
  retries: number;
  lastStatusCode: number | null;
  lastError: string | null;
  lastAttemptAt: Date | null;
  deliveredAt: Date | null;
  failedAt: Date | null;
  createdAt: Date;
}

export interface NewDelivery {
  id: string;
  endpointId: string;
  eventId: string;
  eventType: string;
  reviewId: string;
  /** Exactly what every attempt POSTs. */
  body: string;
}

/** What the worker needs to send one delivery. */
export interface DeliveryToSend {
  id: string;
  eventType: string;
  status: DeliveryStatus;
  body: string;
  endpoint: StoredEndpoint;
}

/** The outcome of one attempt. */
export interface AttemptResult {
  ok: boolean;
  statusCode: number | null;
  /** Why it failed, without the URL or any secret (e.g. "HTTP 500", "timed out after 10 s"). */
  error: string | null;
}

/** The only failure text admins see (lastError); the control plane's log says what happened. */
export const DELIVERY_FAILED =
  'delivery failed: the endpoint did not accept the notification (see the control plane log)';
