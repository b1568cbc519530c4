/*
 * Errors as RFC 9457 problem details (`application/problem+json`), the one shape every
 * HTTP-speaking engine answers with: a refused request, a guardrail, a held request, a failed
 * upstream.
 */
import type { ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { STATUS_CODES } from 'node:http';

export interface Problem {
  status: number;
  /** A short, stable identifier: `urn:postern:<slug>` is written as `type`. */
  slug: string;
  title: string;
  detail?: string;
  /** Extra members (rule, reviewId, retryAfter…). */
  [member: string]: unknown;
}

export function problemBody(problem: Problem): string {
  const { slug, status, title, ...rest } = problem;
  return JSON.stringify({ type: `urn:postern:${slug}`, title, status, ...rest });
}

/** Answers with a problem, unless the response has started (then the connection is cut). */
export function sendProblem(response: ServerResponse, problem: Problem, headers: Record<string, string> = {}): void {
  if (response.headersSent) {
    response.destroy();
    return;
  }
  const body = problemBody(problem);
  response.writeHead(problem.status, {
    ...headers,
    'content-type': 'application/problem+json',
    'content-length': Buffer.byteLength(body),
    'cache-control': 'no-store',
  });
  response.end(body);
}

/** A problem written straight to a socket (no response object: parse errors, refused upgrades), then closed. */
export function writeRawProblem(socket: Duplex, problem: Problem): void {
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  const body = problemBody(problem);
  socket.end(
    `HTTP/1.1 ${problem.status} ${STATUS_CODES[problem.status] ?? 'Error'}\r\n` +
      'content-type: application/problem+json\r\n' +
      `content-length: ${Buffer.byteLength(body)}\r\n` +
      'connection: close\r\n\r\n' +
      body,
  );
}
