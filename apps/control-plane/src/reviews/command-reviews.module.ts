import { Module } from '@nestjs/common';
import { AuditModule } from '../audit/audit.module.js';
import { CommandReviewExpiry } from './command-review-expiry.js';
import { CommandReviewsRepository } from './command-reviews.repository.js';
import { CommandReviewsService } from './command-reviews.service.js';
import { ReviewsRepository } from './reviews.repository.js';

/**
 * Reviews of held commands, and the review store both kinds share. Kept apart from ReviewsModule
 * so the agents' Control stream can use it without depending on connections and access.
 */
@Module({
  imports: [AuditModule],
  providers: [ReviewsRepository, CommandReviewsRepository, CommandReviewsService, CommandReviewExpiry],
  exports: [ReviewsRepository, CommandReviewsService],
})
export class CommandReviewsModule {}
