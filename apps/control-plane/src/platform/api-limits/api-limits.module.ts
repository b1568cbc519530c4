import { Module } from '@nestjs/common';
import { GraphqlOperationGate } from './graphql-limits.plugin.js';
import { MutationRateLimiter } from './mutation-rate-limiter.js';

/**
 * Abuse limits of the GraphQL API (see graphql-limits.ts and graphql-limits.plugin.ts); the caller
 * comes from API_AUTHENTICATION, which AuthModule.forRoot makes global.
 */
@Module({
  providers: [MutationRateLimiter, GraphqlOperationGate],
  exports: [GraphqlOperationGate, MutationRateLimiter],
})
export class ApiLimitsModule {}
