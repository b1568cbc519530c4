import type { Response } from 'express';
import type { DomainError, DomainErrorCode } from './domain-error.js';

const HTTP_STATUS: Record<DomainErrorCode, number> = {
  UNAUTHENTICATED: 401,
  PERMISSION_DENIED: 403,
  NOT_FOUND: 404,
  ALREADY_EXISTS: 409,
  INVALID_ARGUMENT: 400,
  FAILED_PRECONDITION: 400,
  RESOURCE_EXHAUSTED: 429,
  UNAVAILABLE: 503,
};

/** A domain error on a plain HTTP route: its status, and `{ "error": { code, message } }`. */
export function sendHttpError(response: Response, error: DomainError): void {
  if (response.headersSent) {
    response.destroy(error);
    return;
  }
  response.status(HTTP_STATUS[error.code]).json({ error: { code: error.code, message: error.message } });
}
