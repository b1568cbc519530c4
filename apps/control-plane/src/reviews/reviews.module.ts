import { Module } from '@nestjs/common';
import { AccessModule } from '../access/access.module.js';
import { AuditModule } from '../audit/audit.module.js';
import { ConnectionsModule } from '../connections/connections.module.js';
import { LiveModule } from '../platform/live/live.module.js';
import { PolicyModule } from '../policy/policy.module.js';
import { CommandReviewsModule } from './command-reviews.module.js';
import { GrantExpiry } from './grant-expiry.js';
import { ReviewSubscriptionsResolver } from './review-subscriptions.resolver.js';
import { ReviewsResolver } from './reviews.resolver.js';
import { ReviewsService } from './reviews.service.js';

@Module({
  imports: [AccessModule, AuditModule, ConnectionsModule, PolicyModule, CommandReviewsModule, LiveModule],
  providers: [ReviewsService, ReviewsResolver, ReviewSubscriptionsResolver, GrantExpiry],
})
export class ReviewsModule {}
