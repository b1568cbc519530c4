import type { ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';

/**
 * Errors in the Kubernetes API's own shape (a `Status` object), so kubectl and client-go print
 * the agent's message ("Error from server (Forbidden): …") as they would the API server's.
 */
export type StatusReason =
  'Unauthorized' | 'Forbidden' | 'NotFound' | 'BadRequest' | 'ServiceUnavailable' | 'InternalError' | 'TooManyRequests';

const CODES: Readonly<Record<StatusReason, number>> = {
  Unauthorized: 401,
  Forbidden: 403,
  NotFound: 404,
  BadRequest: 400,
  ServiceUnavailable: 503,
  InternalError: 500,
  TooManyRequests: 429,
};

export function statusBody(reason: StatusReason, message: string): string {
  return JSON.stringify({
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message,
    reason,
    code: CODES[reason],
  });
}

export function statusCode(reason: StatusReason): number {
  return CODES[reason];
}

export function sendStatus(response: ServerResponse, reason: StatusReason, message: string): void {
  if (response.headersSent) {
    response.destroy();
    return;
  }
  const body = statusBody(reason, message);
  response.writeHead(CODES[reason], {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(body),
    'cache-control': 'no-store',
  });
  response.end(body);
}

/** The same Status on a socket whose request asked for an upgrade (no ServerResponse exists). */
export function writeRawStatus(socket: Duplex, reason: StatusReason, message: string): void {
  const body = statusBody(reason, message);
  socket.end(
    `HTTP/1.1 ${CODES[reason]} ${reason}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
  );
}
