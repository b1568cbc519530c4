import { Catch, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import type { Response } from 'express';
import { DomainError } from './domain-error.js';
import { sendHttpError } from './http-errors.js';

/**
 * Domain errors thrown anywhere in an operation (guards included). In GraphQL they reach
 * Apollo's formatError unchanged, instead of Nest's default handler logging them as unexpected
 * errors; on plain HTTP routes (the audit export) they become a status and a JSON body.
 */
@Catch(DomainError)
export class DomainErrorFilter implements ExceptionFilter {
  catch(error: DomainError, host: ArgumentsHost): DomainError | undefined {
    if (host.getType<string>() === 'http') {
      sendHttpError(host.switchToHttp().getResponse<Response>(), error);
      return undefined;
    }
    return error;
  }
}
