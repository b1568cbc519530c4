import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module.js';
import { GraphqlOperationGate } from './graphql-limits.plugin.js';
import { MutationRateLimiter } from './mutation-rate-limiter.js';

/** Abuse limits of the GraphQL API (see graphql-limits.ts and graphql-limits.plugin.ts). */
@Module({
  imports: [AuthModule],
  providers: [MutationRateLimiter, GraphqlOperationGate],
  exports: [GraphqlOperationGate],
})
export class ApiLimitsModule {}
