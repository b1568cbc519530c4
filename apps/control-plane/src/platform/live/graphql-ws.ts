import { createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import {
  GraphQLError,
  NoSchemaIntrospectionCustomRule,
  execute,
  getOperationAST,
  parse,
  specifiedRules,
  validate,
  type DocumentNode,
  type ExecutionArgs,
  type ExecutionResult,
  type GraphQLSchema,
  type ValidationRule,
} from 'graphql';
import type { Context } from 'graphql-ws';
import type { Logger } from '@postern/logging';
import type { ApiAuthentication } from '../auth/api-authentication.js';
import { bearerToken, sessionCookie } from '../auth/credentials.js';
import { graphqlErrorFormatter } from '../errors/graphql-errors.js';
import { DomainError } from '../errors/domain-error.js';
import { parseOptionsFor, validationRulesFor } from '../api-limits/graphql-limits.js';
import type { GraphqlOperationGate } from '../api-limits/graphql-limits.plugin.js';

/** What graphql-ws keeps per socket: the upgrade request and the socket (ws). */
interface SocketExtra {
  request: IncomingMessage;
  socket: { close(code?: number, reason?: string): void; once(event: 'close', listener: () => void): unknown };
}
/** graphql-ws types `extra` as unknown; with the `ws` server (what Nest runs) it is SocketExtra. */
type WsContext = Context<Record<string, unknown> | undefined, unknown>;

/** Longest a timer may wait in Node (about 24.8 days). */
const MAX_TIMER_MS = 2 ** 31 - 1;
/** graphql-ws close code for a connection whose credential expired (4401 Unauthorized). */
const CLOSE_TOKEN_EXPIRED = 4401;

/**
 * GraphQL over WebSocket (the graphql-transport-ws protocol of `graphql-ws`) on the HTTP port and
 * `/graphql` path. Authentication happens once, at `connection_init`: the payload's
 * `authorization: "Bearer <token>"`, else the `postern_session` cookie of the upgrade request
 * (only when the browser's Origin is this host or the dashboard, against cross-site WebSocket
 * hijacking). A refused credential closes the socket with 4403; an accepted one is closed with
 * 4401 when the token expires. Each operation then runs with that credential through the same
 * global guard as HTTP, so @Roles applies to subscriptions unchanged.
 */
export class GraphqlWsAuthentication {
  private readonly credentials = new WeakMap<object, string>();
  /** Open sockets by the sha256 (hex) of their token: closed when its session ends (logout). */
  private readonly sockets = new Map<string, Set<SocketExtra['socket']>>();
  private readonly formatError: ReturnType<typeof graphqlErrorFormatter>;
  private readonly rules: ValidationRule[];

  constructor(
    private readonly authenticator: ApiAuthentication,
    private readonly dashboardUrl: string | null,
    private readonly logger: Logger,
    private readonly gate: GraphqlOperationGate,
  ) {
    this.formatError = graphqlErrorFormatter(logger);
    this.rules = [
      ...specifiedRules,
      ...validationRulesFor(gate.limits),
      ...(gate.limits.introspection === 'off' ? [NoSchemaIntrospectionCustomRule] : []),
    ];
    authenticator.onSessionEnded((digest) => {
      for (const socket of this.sockets.get(digest) ?? []) socket.close(CLOSE_TOKEN_EXPIRED, 'session ended');
    });
  }

  /** The GraphQL context for HTTP requests (Apollo's `{ req }`) and WebSocket operations. */
  readonly context = (ctx: { req?: unknown } | WsContext): { req: unknown } => {
    if ('req' in ctx && ctx.req !== undefined) return { req: ctx.req };
    const token = this.credentials.get(ctx);
    return { req: { headers: token ? { authorization: `Bearer ${token}` } : {} } };
  };

  /** Options for `subscriptions: { 'graphql-ws': … }`. */
  options() {
    return {
      connectionInitWaitTimeout: 10_000,
      onConnect: (ctx: WsContext) => this.onConnect(ctx),
      // The same limits as HTTP: parser tokens, depth/aliases/cost (and introspection when off)
      // at validation, then the operation gate (introspection, mutation rate) before execution.
      onSubscribe: (_ctx: WsContext, _id: string, payload: { query: string }) => this.checkParse(payload.query),
      parse: (source: string) => parse(source, parseOptionsFor(this.gate.limits)),
      validate: (schema: GraphQLSchema, document: DocumentNode) => validate(schema, document, this.rules),
      execute: (args: ExecutionArgs) => this.execute(args),
      onNext: (_ctx: WsContext, _id: string, _payload: unknown, _args: unknown, result: ExecutionResult) =>
        this.format(result),
    };
  }

  /** A document over the token limit is refused with the parser's error instead of closing the socket. */
  private checkParse(query: unknown): readonly GraphQLError[] | undefined {
    if (typeof query !== 'string') return undefined;
    try {
      parse(query, parseOptionsFor(this.gate.limits));
      return undefined;
    } catch (error) {
      return error instanceof GraphQLError ? [error] : undefined;
    }
  }

  private async execute(args: ExecutionArgs): Promise<ExecutionResult> {
    const operation = getOperationAST(args.document, args.operationName);
    if (operation) {
      try {
        const request = (args.contextValue as { req: { headers: Record<string, string> } }).req;
        await this.gate.admit(args.document, operation, request);
      } catch (error) {
        if (!(error instanceof DomainError)) throw error;
        return { errors: [new GraphQLError(error.message, { originalError: error })] };
      }
    }
    return execute(args);
  }

  private async onConnect(ctx: WsContext): Promise<boolean> {
    const extra = ctx.extra as SocketExtra;
    const token = bearerToken(ctx.connectionParams?.['authorization']) ?? this.cookieToken(extra.request);
    if (!token) return false;
    let expiresAt: Date | null;
    try {
      ({ expiresAt } = await this.authenticator.authenticate(token));
    } catch (error) {
      this.logger.info({ reason: error instanceof Error ? error.message : 'error' }, 'subscription connection refused');
      return false;
    }
    this.credentials.set(ctx, token);
    const digest = createHash('sha256').update(token, 'utf8').digest('hex');
    const open = this.sockets.get(digest) ?? new Set();
    open.add(extra.socket);
    this.sockets.set(digest, open);
    extra.socket.once('close', () => {
      open.delete(extra.socket);
      if (open.size === 0 && this.sockets.get(digest) === open) this.sockets.delete(digest);
    });
    if (expiresAt) {
      const timer = setTimeout(
        () => extra.socket.close(CLOSE_TOKEN_EXPIRED, 'token expired'),
        Math.min(Math.max(expiresAt.getTime() - Date.now(), 0), MAX_TIMER_MS),
      );
      timer.unref();
      extra.socket.once('close', () => clearTimeout(timer));
    }
    return true;
  }

  private cookieToken(request: IncomingMessage): string | undefined {
    const origin = request.headers.origin;
    if (origin !== undefined && !this.trustedOrigin(origin, request.headers.host)) return undefined;
    return sessionCookie(request.headers.cookie);
  }

  private trustedOrigin(origin: string, host: string | undefined): boolean {
    if (!URL.canParse(origin)) return false;
    const parsed = new URL(origin);
    if (host !== undefined && parsed.host === host) return true;
    return this.dashboardUrl !== null && parsed.origin === new URL(this.dashboardUrl).origin;
  }

  /** Errors of subscription events get the same codes and redaction as HTTP responses. */
  private format(result: ExecutionResult) {
    if (!result.errors) return result;
    return {
      ...result,
      errors: result.errors.map((error) =>
        this.formatError(error.toJSON(), error instanceof GraphQLError ? error : new GraphQLError(String(error))),
      ),
    };
  }
}
