import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from '@postern/logging';
import type { Actor } from '../platform/auth/actor.js';
import { AuditService } from '../audit/audit.service.js';
import { nameUuid } from '../platform/common/name-uuid.js';
import { requireUuid } from '../platform/common/validation.js';
import { CONFIG, type ControlPlaneConfig } from '../platform/config/config.js';
import { DomainError, NotFoundError } from '../platform/errors/domain-error.js';
import { LOGGER } from '../platform/infra/logging/nest-logger.js';
import { ReviewEvents, type ReviewEvent } from '../reviews/review-events.js';
import { slackBody, webhookBody } from './notification-messages.js';
import { NotificationQueue, type DeliveryJob } from './notification-queue.js';
import { NotificationSecrets } from './notification-secrets.js';
import { postNotification } from './notification-sender.js';
import {
  DELIVERY_FAILED,
  type AttemptResult,
  type DeliveryStatus,
  type DeliveryToSend,
  type NotificationDelivery,
} from './notification.types.js';
import { NotificationsRepository } from './notifications.repository.js';
import { signWebhook } from './webhook-signature.js';

/** A failed attempt, for BullMQ to retry; its message names the endpoint, never its URL. */
class DeliveryAttemptError extends Error {
  override readonly name = 'DeliveryAttemptError';
}

/**
 * Review notifications: each review event becomes one stored delivery per matching endpoint and
 * one BullMQ job; the worker POSTs it (signed for webhooks), records every attempt, and
 * dead-letters it (FAILED) after the last one. Admins list deliveries and retry failed ones.
 */
@Injectable()
export class NotificationDeliveriesService {
  constructor(
    private readonly repository: NotificationsRepository,
    private readonly queue: NotificationQueue,
    private readonly secrets: NotificationSecrets,
    private readonly audit: AuditService,
    events: ReviewEvents,
    @Inject(CONFIG) private readonly config: ControlPlaneConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {
    events.onEvent((event) => this.dispatch(event));
    queue.onDeliver((job) => this.deliver(job));
  }

  /** Stores and queues the event for every enabled endpoint that takes its type and connection. */
  async dispatch(event: ReviewEvent): Promise<void> {
    const endpoints = await this.repository.endpointsFor(event.type, event.review.connectionId);
    if (endpoints.length === 0) return;
    const dashboard = this.config.dashboard.url;
    const deliveries = endpoints.map((endpoint) => ({
      id: nameUuid(`${event.id}/${endpoint.id}`),
      endpointId: endpoint.id,
      eventId: event.id,
      eventType: event.type,
      reviewId: event.review.id,
      body: endpoint.kind === 'SLACK' ? slackBody(event, dashboard) : webhookBody(event, dashboard),
    }));
    await this.repository.createDeliveries(deliveries);
    await this.queue.enqueue(deliveries.map((d) => d.id));
    this.logger.info(
      { eventId: event.id, type: event.type, reviewId: event.review.id, endpoints: endpoints.length },
      'review notifications queued',
    );
  }

  /** One attempt of one delivery (a BullMQ job); throws to have BullMQ try again later. */
  async deliver(job: DeliveryJob): Promise<void> {
    const delivery = await this.repository.deliveryToSend(job.deliveryId);
    // Gone with its endpoint, already delivered, or dead-lettered and not retried: nothing to send.
    if (!delivery || delivery.status !== 'PENDING') return;
    const endpoint = delivery.endpoint;
    const log = { deliveryId: delivery.id, endpointId: endpoint.id, endpoint: endpoint.name, attempt: job.attempt };
    if (!endpoint.enabled) {
      await this.repository.fail(delivery.id, 'the endpoint is disabled', new Date());
      return;
    }
    let secret: string;
    try {
      if (!endpoint.secretCiphertext) throw new Error('no secret stored');
      secret = this.secrets.open(endpoint.id, endpoint.secretCiphertext);
    } catch (error) {
      const reason = `the endpoint's secret cannot be read: ${error instanceof Error ? error.message : 'error'}`;
      this.logger.error(log, reason);
      await this.repository.fail(delivery.id, reason, new Date());
      return;
    }
    const result = await this.send(delivery, secret);
    // Admins see one generic error: which failure it was (closed port, not HTTP, TLS, refused
    // address, a status) would map the network behind the control plane. The log has the detail.
    const shown = result.ok ? result : { ok: false, statusCode: null, error: DELIVERY_FAILED };
    await this.repository.recordAttempt(delivery.id, shown, new Date(), job.final);
    if (result.ok) {
      this.logger.info({ ...log, statusCode: result.statusCode }, 'notification delivered');
      return;
    }
    this.logger.warn(
      { ...log, statusCode: result.statusCode, error: result.error, deadLettered: job.final },
      job.final ? 'notification failed; dead-lettered' : 'notification attempt failed; will retry',
    );
    throw new DeliveryAttemptError(`delivery ${delivery.id} to "${endpoint.name}": ${result.error ?? 'failed'}`);
  }

  list(filter: {
    status?: DeliveryStatus | undefined;
    endpointId?: string | undefined;
    reviewId?: string | undefined;
    limit: number;
  }): Promise<NotificationDelivery[]> {
    if (filter.endpointId) requireUuid(filter.endpointId, 'endpointId');
    if (filter.reviewId) requireUuid(filter.reviewId, 'reviewId');
    return this.repository.deliveries({ ...filter, limit: Math.min(Math.max(filter.limit, 1), 500) });
  }

  /** Queues a dead-lettered delivery again, with the same id and body and a fresh set of attempts. */
  async retry(actor: Actor, id: string): Promise<NotificationDelivery> {
    const requeued = await this.repository.requeue(requireUuid(id, 'id'));
    if (!requeued) {
      if (!(await this.repository.delivery(id))) throw new NotFoundError('notification delivery', id);
      throw new DomainError('FAILED_PRECONDITION', 'only FAILED deliveries can be retried');
    }
    await this.queue.enqueue([requeued.id], requeued.retries);
    await this.audit.record({
      kind: 'notification_delivery.retried',
      actorId: actor.id,
      actorKind: actor.kind === 'admin-token' ? 'admin' : actor.kind,
      details: { deliveryId: requeued.id, endpointId: requeued.endpointId, retries: requeued.retries },
    });
    return requeued;
  }

  private send(delivery: DeliveryToSend, secret: string): Promise<AttemptResult> {
    const headers: Record<string, string> = {
      'x-postern-event': delivery.eventType,
      'x-postern-delivery': delivery.id,
    };
    const options = { allowPrivate: this.config.notifications.allowPrivateNetworks };
    if (delivery.endpoint.kind === 'SLACK') return postNotification(secret, delivery.body, headers, options);
    const timestamp = Math.floor(Date.now() / 1000);
    headers['x-postern-timestamp'] = String(timestamp);
    headers['x-postern-signature'] = signWebhook(secret, timestamp, delivery.body);
    return postNotification(delivery.endpoint.url, delivery.body, headers, options);
  }
}
