import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import type { Logger } from '@postern/logging';
import { DomainError } from './domain-error.js';

/**
 * Apollo's formatError: domain errors reach the client with their code in `extensions.code`;
 * validation errors of the GraphQL layer itself pass through; anything else is logged and
 * answered as a generic internal error, so no stack trace or SQL ever reaches a client.
 */
export function graphqlErrorFormatter(logger: Logger) {
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    const original = error instanceof GraphQLError ? error.originalError : error;
    if (original instanceof DomainError) {
      return { message: original.message, path: formatted.path, extensions: { code: original.code } };
    }
    if (!original || original instanceof GraphQLError) {
      // Parse/validation errors and the like: safe to return, minus any stack trace.
      const { stacktrace: _stacktrace, ...extensions } = formatted.extensions ?? {};
      return { ...formatted, extensions };
    }
    logger.error({ err: original, path: formatted.path }, 'unhandled error in GraphQL resolver');
    return { message: 'internal error', path: formatted.path, extensions: { code: 'INTERNAL' } };
  };
}
