import { NestFactory } from '@nestjs/core';
import { GraphQLSchemaBuilderModule, GraphQLSchemaFactory } from '@nestjs/graphql';
import { lexicographicSortSchema, printSchema } from 'graphql';
import { AgentsResolver } from './agents/agents.resolver.js';
import { ConnectionsResolver } from './connections/connections.resolver.js';
import { UsersResolver } from './identity/users.resolver.js';
import { AccessResolver } from './access/access.resolver.js';
import { SessionsResolver } from './sessions/sessions.resolver.js';
import { ReviewsResolver } from './reviews/reviews.resolver.js';
import { RecordingsResolver } from './recordings/recordings.resolver.js';
import { RulesResolver } from './rules/rules.resolver.js';
import { AuditResolver } from './audit/audit.resolver.js';
import { SimulationResolver } from './simulation/simulation.resolver.js';
import { NotificationsResolver } from './notifications/notifications.resolver.js';
import { ReviewSubscriptionsResolver } from './reviews/review-subscriptions.resolver.js';
import { SessionEventsResolver } from './recordings/session-events.resolver.js';
import { GatewayResolver } from './relay/gateway.resolver.js';
import { SshKeysResolver } from './ssh-keys/ssh-keys.resolver.js';
import { ConnectionHostKeysResolver } from './relay/ssh/connection-host-keys.resolver.js';
import { TrustedIssuersResolver } from './trusted-issuers/trusted-issuers.resolver.js';

/** Every resolver class of the API; the schema file is printed from exactly these. */
export const RESOLVERS = [
  AgentsResolver,
  ConnectionsResolver,
  UsersResolver,
  AccessResolver,
  SessionsResolver,
  ReviewsResolver,
  RecordingsResolver,
  RulesResolver,
  AuditResolver,
  SimulationResolver,
  NotificationsResolver,
  ReviewSubscriptionsResolver,
  SessionEventsResolver,
  GatewayResolver,
  SshKeysResolver,
  ConnectionHostKeysResolver,
  TrustedIssuersResolver,
];

const HEADER =
  '# Postern control-plane GraphQL API. Generated from the code-first resolvers by\n' +
  '# `pnpm --filter @postern/control-plane schema:print`; do not edit by hand.\n\n';

/** Builds the code-first schema without starting the application, as SDL text. */
export async function printGraphqlSchema(): Promise<string> {
  const app = await NestFactory.create(GraphQLSchemaBuilderModule, { logger: false });
  try {
    await app.init();
    const schema = await app.get(GraphQLSchemaFactory).create(RESOLVERS);
    return HEADER + printSchema(lexicographicSortSchema(schema)) + '\n';
  } finally {
    await app.close();
  }
}
