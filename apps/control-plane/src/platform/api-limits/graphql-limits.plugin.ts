import { Inject, Injectable } from '@nestjs/common';
import type { ApolloServerPlugin, BaseContext, GraphQLRequestListener } from '@apollo/server';
import { GraphQLError, type DocumentNode, type OperationDefinitionNode } from 'graphql';
import type { Logger } from '@postern/logging';
import type { RequestWithActor } from '../auth/actor.js';
import { API_AUTHENTICATION, type ApiAuthentication } from '../auth/api-authentication.js';
import { tokenOf } from '../auth/credentials.js';
import { CONFIG, type ControlPlaneConfig } from '../config/config.js';
import { DomainError, PermissionDeniedError, UnauthenticatedError } from '../errors/domain-error.js';
import { LOGGER } from '../infra/logging/nest-logger.js';
import { mutationFieldCount, usesIntrospection, type GraphqlLimits } from './graphql-limits.js';
import { MutationRateLimiter } from './mutation-rate-limiter.js';

/** Error code of a response larger than POSTERN_GRAPHQL_MAX_RESPONSE_BYTES. */
export const RESPONSE_TOO_LARGE = 'RESPONSE_TOO_LARGE';

const HTTP_STATUS: Partial<Record<DomainError['code'], number>> = {
  UNAUTHENTICATED: 401,
  PERMISSION_DENIED: 403,
  RESOURCE_EXHAUSTED: 429,
  UNAVAILABLE: 503,
};

interface RequestLike extends RequestWithActor {
  socket?: { remoteAddress?: string };
}

/**
 * The checks of an operation that need to know who calls, after validation (graphql-limits.ts)
 * and before execution: introspection for authenticated callers only (or nobody), and the
 * mutation rate per identity. Shared by the HTTP path (the Apollo plugin below) and GraphQL over
 * WebSocket (live/graphql-ws.ts).
 */
@Injectable()
export class GraphqlOperationGate {
  readonly limits: GraphqlLimits;

  constructor(
    @Inject(API_AUTHENTICATION) private readonly authenticator: ApiAuthentication,
    private readonly rateLimiter: MutationRateLimiter,
    @Inject(CONFIG) config: ControlPlaneConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {
    this.limits = config.graphql;
  }

  async admit(document: DocumentNode, operation: OperationDefinitionNode, request: RequestLike): Promise<void> {
    const introspects = usesIntrospection(document);
    const mutations = mutationFieldCount(document, operation);
    if (!introspects && mutations === 0) return;
    const caller = await this.caller(request);
    if (introspects) {
      if (this.limits.introspection === 'off') throw new PermissionDeniedError('GraphQL introspection is disabled');
      if (!caller.authenticated) throw new UnauthenticatedError('GraphQL introspection requires a signed-in caller');
    }
    if (mutations > 0) await this.rateLimiter.take(caller.identity, mutations);
  }

  /** The caller's identity for rate limiting: the actor when the credential is valid, else the address. */
  private async caller(request: RequestLike): Promise<{ identity: string; authenticated: boolean }> {
    const token = tokenOf(request.headers, request.cookies);
    if (token) {
      try {
        const { actor } = await this.authenticator.authenticate(token);
        return { identity: `${actor.kind}:${actor.id}`, authenticated: true };
      } catch (error) {
        if (!(error instanceof DomainError)) this.logger.warn({ err: error }, 'caller lookup failed');
      }
    }
    return { identity: `address:${request.socket?.remoteAddress ?? 'unknown'}`, authenticated: false };
  }

  /** The Apollo plugin: the gate before execution, and the response size cap after it. */
  plugin(): ApolloServerPlugin<BaseContext> {
    const admit = (document: DocumentNode, operation: OperationDefinitionNode, request: RequestLike) =>
      this.admit(document, operation, request);
    const logger = this.logger;
    const maxBytes = this.limits.maxResponseBytes;
    return {
      async requestDidStart(): Promise<GraphQLRequestListener<BaseContext>> {
        return {
          async didResolveOperation({ document, operation, contextValue }) {
            if (!operation) return;
            try {
              await admit(document, operation, (contextValue as { req: RequestLike }).req);
            } catch (error) {
              if (!(error instanceof DomainError)) throw error;
              throw new GraphQLError(error.message, {
                originalError: error,
                extensions: { http: { status: HTTP_STATUS[error.code] ?? 400 } },
              });
            }
          },
          async willSendResponse({ response }) {
            if (response.body.kind !== 'single') return;
            // Bounded already by the cost limit; this is the backstop for what cost cannot see
            // (long strings, large lists).
            const bytes = Buffer.byteLength(JSON.stringify(response.body.singleResult));
            if (bytes <= maxBytes) return;
            logger.warn({ bytes, maxBytes }, 'GraphQL response over the size limit replaced by an error');
            response.body.singleResult = {
              errors: [
                {
                  message: `the response (${bytes} bytes) is larger than the limit of ${maxBytes} bytes; ask for fewer fields or a smaller page`,
                  extensions: { code: RESPONSE_TOO_LARGE },
                },
              ],
            };
          },
        };
      },
    };
  }
}
