import { Module } from '@nestjs/common';
import { AuditModule } from '../audit/audit.module.js';
import { CommandReviewsModule } from '../reviews/command-reviews.module.js';
import { NotificationDeliveriesService } from './notification-deliveries.service.js';
import { NotificationEndpointsService } from './notification-endpoints.service.js';
import { NotificationQueue } from './notification-queue.js';
import { NotificationSecrets } from './notification-secrets.js';
import { NotificationsRepository } from './notifications.repository.js';
import { NotificationsResolver } from './notifications.resolver.js';

/** Review notifications to webhooks and Slack, delivered through BullMQ (see docs/operations.md). */
@Module({
  imports: [AuditModule, CommandReviewsModule],
  providers: [
    NotificationsRepository,
    NotificationSecrets,
    NotificationQueue,
    NotificationEndpointsService,
    NotificationDeliveriesService,
    NotificationsResolver,
  ],
})
export class NotificationsModule {}
