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
  writeRawAnswer(socket, statusAnswer(reason, message));
}

/** An answer to an upgrade request, written as it is: a Status of the agent's or the API server's refusal. */
export interface RawAnswer {
  code: number;
  contentType: string;
  body: Buffer | string;
}

export function statusAnswer(reason: StatusReason, message: string): RawAnswer {
  return { code: CODES[reason], contentType: 'application/json', body: statusBody(reason, message) };
}

export function writeRawAnswer(socket: Duplex, answer: RawAnswer): void {
  const type =
    /^[\x20-\x7e]*$/.test(answer.contentType) && answer.contentType !== '' ? answer.contentType : 'text/plain';
  socket.write(
    `HTTP/1.1 ${answer.code} ${answer.code >= 500 ? 'Error' : 'Refused'}\r\ncontent-type: ${type}\r\ncontent-length: ${Buffer.byteLength(answer.body)}\r\nconnection: close\r\n\r\n`,
  );
  socket.end(answer.body);
}

/** The `message` of a Status body, else its text (for logs and recordings). */
export function answerMessage(answer: RawAnswer): string {
  const text = answer.body.toString().slice(0, 2048);
  try {
    const status = JSON.parse(text) as { message?: unknown };
    if (typeof status.message === 'string') return status.message;
  } catch {
    // not a Status
  }
  return text.trim() || `HTTP ${answer.code}`;
}
