import { Module } from '@nestjs/common';
import { AuditModule } from '../audit/audit.module.js';
import { LiveModule } from '../live/live.module.js';
import { CommandReviewExpiry } from './command-review-expiry.js';
import { CommandReviewsRepository } from './command-reviews.repository.js';
import { CommandReviewsService } from './command-reviews.service.js';
import { ReviewEvents } from './review-events.js';
import { ReviewsRepository } from './reviews.repository.js';

/**
 * Reviews of held commands, and the review store both kinds share. Kept apart from ReviewsModule
 * so the agents' Control stream can use it without depending on connections and access.
 */
@Module({
  imports: [AuditModule, LiveModule],
  providers: [ReviewsRepository, CommandReviewsRepository, CommandReviewsService, CommandReviewExpiry, ReviewEvents],
  exports: [ReviewsRepository, CommandReviewsService, ReviewEvents],
})
export class CommandReviewsModule {}
