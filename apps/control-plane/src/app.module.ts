import { Module, type DynamicModule } from '@nestjs/common';
import { GraphQLModule } from '@nestjs/graphql';
import { ApolloDriver, type ApolloDriverConfig } from '@nestjs/apollo';
import type { Logger } from '@postern/logging';
import type { ControlPlaneConfig } from './config/config.js';
import { InfraModule } from './infra/infra.module.js';
import { AuthModule } from './auth/auth.module.js';
import { HealthModule } from './health/health.module.js';
import { AgentsModule } from './agents/agents.module.js';
import { ConnectionsModule } from './connections/connections.module.js';
import { IdentityModule } from './identity/identity.module.js';
import { AccessModule } from './access/access.module.js';
import { SessionsModule } from './sessions/sessions.module.js';
import { RelayModule } from './relay/relay.module.js';
import { ReviewsModule } from './reviews/reviews.module.js';
import { RecordingsModule } from './recordings/recordings.module.js';
import { RulesModule } from './rules/rules.module.js';
import { AuditModule } from './audit/audit.module.js';
import { graphqlErrorFormatter } from './errors/graphql-errors.js';

/** Feature modules served over GraphQL; the schema printer builds the same set. */
export const FEATURE_MODULES = [
  AgentsModule,
  ConnectionsModule,
  IdentityModule,
  AccessModule,
  SessionsModule,
  RelayModule,
  ReviewsModule,
  RecordingsModule,
  RulesModule,
  AuditModule,
];

@Module({})
export class AppModule {
  static forRoot(config: ControlPlaneConfig, logger: Logger): DynamicModule {
    return {
      module: AppModule,
      imports: [
        InfraModule.forRoot(config, logger),
        AuthModule,
        HealthModule,
        GraphQLModule.forRoot<ApolloDriverConfig>({
          driver: ApolloDriver,
          path: '/graphql',
          // Built in memory at boot; the committed schema file is printed by `pnpm schema:print`
          // and a test keeps it in step with the code.
          autoSchemaFile: true,
          sortSchema: true,
          introspection: config.graphql.introspection,
          playground: false,
          includeStacktraceInErrorResponses: false,
          context: ({ req }: { req: unknown }) => ({ req }),
          formatError: graphqlErrorFormatter(logger),
        }),
        ...FEATURE_MODULES,
      ],
    };
  }
}
