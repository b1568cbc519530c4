import { Module } from '@nestjs/common';
import { AuditModule } from '../audit/audit.module.js';
import { AccountLinksModule } from '../identity/account-links.module.js';
import { LiveModule } from '../platform/live/live.module.js';
import { CommandReviewExpiry } from './command-review-expiry.js';
import { CommandReviewsRepository } from './command-reviews.repository.js';
import { CommandReviewsService } from './command-reviews.service.js';
import { ReviewEvents } from './review-events.js';
import { ReviewsRepository } from './reviews.repository.js';
import { SeparationOfDuties } from './separation-of-duties.js';

/**
 * Reviews of held commands, and the review store both kinds share. Kept apart from ReviewsModule
 * so the agents' Control stream can use it without depending on connections and access.
 */
@Module({
  imports: [AuditModule, LiveModule, AccountLinksModule],
  providers: [
    ReviewsRepository,
    CommandReviewsRepository,
    CommandReviewsService,
    CommandReviewExpiry,
    ReviewEvents,
    SeparationOfDuties,
  ],
  exports: [ReviewsRepository, CommandReviewsService, ReviewEvents, SeparationOfDuties],
})
export class CommandReviewsModule {}
