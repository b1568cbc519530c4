import { Catch } from '@nestjs/common';
import type { GqlExceptionFilter } from '@nestjs/graphql';
import { DomainError } from './domain-error.js';

/**
 * Lets domain errors thrown anywhere in a GraphQL operation (guards included) reach Apollo's
 * formatError unchanged, instead of Nest's default handler logging them as unexpected errors.
 */
@Catch(DomainError)
export class DomainErrorFilter implements GqlExceptionFilter {
  catch(error: DomainError): DomainError {
    return error;
  }
}
