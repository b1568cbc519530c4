import { Module } from '@nestjs/common';
import { AccessModule } from '../access/access.module.js';
import { AuditModule } from '../audit/audit.module.js';
import { ConnectionsModule } from '../connections/connections.module.js';
import { PolicyModule } from '../policy/policy.module.js';
import { GrantExpiry } from './grant-expiry.js';
import { ReviewsRepository } from './reviews.repository.js';
import { ReviewsResolver } from './reviews.resolver.js';
import { ReviewsService } from './reviews.service.js';

@Module({
  imports: [AccessModule, AuditModule, ConnectionsModule, PolicyModule],
  providers: [ReviewsRepository, ReviewsService, ReviewsResolver, GrantExpiry],
})
export class ReviewsModule {}
