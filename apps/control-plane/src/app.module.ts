import { Module, type DynamicModule } from '@nestjs/common';
import { GraphQLModule } from '@nestjs/graphql';
import { ApolloDriver, type ApolloDriverConfig } from '@nestjs/apollo';
import type { Logger } from '@postern/logging';
import type { ControlPlaneConfig } from './platform/config/config.js';
import { InfraModule } from './platform/infra/infra.module.js';
import { AuthModule } from './platform/auth/auth.module.js';
import { HealthModule } from './platform/health/health.module.js';
import { MetricsModule } from './platform/metrics/metrics.module.js';
import { MetricsService } from './platform/metrics/metrics.service.js';
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
import { SimulationModule } from './simulation/simulation.module.js';
import { NotificationsModule } from './notifications/notifications.module.js';
import { SshKeysModule } from './ssh-keys/ssh-keys.module.js';
import { TrustedIssuersModule } from './trusted-issuers/trusted-issuers.module.js';
import { API_AUTHENTICATION, type ApiAuthentication } from './platform/auth/api-authentication.js';
import { GraphqlWsAuthentication } from './platform/live/graphql-ws.js';
import { graphqlErrorFormatter } from './platform/errors/graphql-errors.js';
import { ApiLimitsModule } from './platform/api-limits/api-limits.module.js';
import { GraphqlOperationGate } from './platform/api-limits/graphql-limits.plugin.js';
import { parseOptionsFor, validationRulesFor } from './platform/api-limits/graphql-limits.js';

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
  SimulationModule,
  NotificationsModule,
  SshKeysModule,
  TrustedIssuersModule,
];

@Module({})
export class AppModule {
  static forRoot(config: ControlPlaneConfig, logger: Logger): DynamicModule {
    return {
      module: AppModule,
      imports: [
        InfraModule.forRoot(config, logger),
        AuthModule.forRoot(IdentityModule),
        HealthModule,
        MetricsModule,
        GraphQLModule.forRootAsync<ApolloDriverConfig>({
          driver: ApolloDriver,
          imports: [ApiLimitsModule],
          inject: [API_AUTHENTICATION, GraphqlOperationGate, MetricsService],
          useFactory: (authenticator: ApiAuthentication, gate: GraphqlOperationGate, metrics: MetricsService) => {
            const ws = new GraphqlWsAuthentication(authenticator, config.dashboard.url, logger, gate);
            return {
              path: '/graphql',
              // Built in memory at boot; the committed schema file is printed by `pnpm schema:print`
              // and a test keeps it in step with the code.
              autoSchemaFile: true,
              sortSchema: true,
              // Off: Apollo refuses __schema/__type at validation. Authenticated: the gate refuses
              // anonymous callers before execution (api-limits/graphql-limits.plugin.ts).
              introspection: config.graphql.introspection !== 'off',
              // Abuse limits, enforced before any resolver runs (api-limits/graphql-limits.ts).
              parseOptions: parseOptionsFor(config.graphql),
              validationRules: validationRulesFor(config.graphql),
              plugins: [gate.plugin(), metrics.graphqlPlugin()],
              playground: false,
              includeStacktraceInErrorResponses: false,
              context: ws.context,
              formatError: graphqlErrorFormatter(logger),
              // Subscriptions: graphql-ws on the same port and path (live/graphql-ws.ts).
              subscriptions: { 'graphql-ws': ws.options() },
            };
          },
        }),
        ...FEATURE_MODULES,
      ],
    };
  }
}
