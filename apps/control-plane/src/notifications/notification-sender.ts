import { CONTROL_PLANE_VERSION } from '../version.js';
import type { AttemptResult } from './notification.types.js';

/** How long one attempt may take, connection and response included. */
export const ATTEMPT_TIMEOUT_MS = 10_000;
/** Response bytes read (and dropped) before the connection is released. */
const MAX_RESPONSE_BYTES = 64 * 1024;

/**
 * POSTs a notification once. A 2xx answer is a success; anything else — another status, a
 * redirect (never followed: the endpoint's URL is what admins approved), a network error, the
 * timeout — is a failure described without the URL (Slack URLs are secrets).
 */
export async function postNotification(
  url: string,
  body: string,
  headers: Record<string, string>,
  timeoutMs = ATTEMPT_TIMEOUT_MS,
): Promise<AttemptResult> {
  let response: Response;
  try {
    response = await fetch(url, {
      method: 'POST',
      redirect: 'manual',
      signal: AbortSignal.timeout(timeoutMs),
      headers: {
        'content-type': 'application/json',
        'user-agent': `Postern-Notifications/${CONTROL_PLANE_VERSION}`,
        ...headers,
      },
      body,
    });
  } catch (error) {
    return { ok: false, statusCode: null, error: describe(error, timeoutMs) };
  }
  await drain(response);
  if (response.status >= 200 && response.status < 300) return { ok: true, statusCode: response.status, error: null };
  const redirect = response.status >= 300 && response.status < 400 ? ' (redirects are not followed)' : '';
  return { ok: false, statusCode: response.status, error: `HTTP ${response.status}${redirect}` };
}

async function drain(response: Response): Promise<void> {
  if (!response.body) return;
  const reader = response.body.getReader();
  let read = 0;
  try {
    while (read < MAX_RESPONSE_BYTES) {
      const chunk = await reader.read();
      if (chunk.done) return;
      read += chunk.value.byteLength;
    }
    await reader.cancel();
  } catch {
    // The answer's status is what counts; a body cut short is no failure.
  }
}

function describe(error: unknown, timeoutMs: number): string {
  if (error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError')) {
    return `timed out after ${timeoutMs / 1000} s`;
  }
  const cause = error instanceof Error ? (error.cause as { code?: unknown } | undefined) : undefined;
  if (typeof cause?.code === 'string') return `connection failed: ${cause.code}`;
  return 'connection failed';
}
