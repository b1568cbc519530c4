import type { Duplex } from 'node:stream';
import { util, type Dispatcher } from 'undici';

/** The API server's answer to a stream request it did not upgrade (RBAC's 403, a missing pod…). */
export interface RefusedUpgrade {
  code: number;
  contentType: string;
  body: Buffer;
}

export type UpgradeOutcome =
  | { upgraded: true; headers: Record<string, string | string[] | undefined>; socket: Duplex }
  | { upgraded: false; refusal: RefusedUpgrade };

/** Bytes of a refusal kept for the client; a Status is a few hundred. */
const MAX_REFUSAL_BYTES = 64 * 1024;

/**
 * Asks the API server to upgrade a stream request (exec, attach, port-forward) over the session's
 * pool. Unlike undici's `upgrade()`, which throws away an answer other than 101, a refusal is
 * read (up to 64 KiB) and returned, so the client sees the API server's own words.
 */
export function upgradeStream(
  pool: Dispatcher,
  request: { method: string; path: string; headers: Record<string, string | string[]>; signal: AbortSignal },
): Promise<UpgradeOutcome> {
  return new Promise((resolve, reject) => {
    let code = 0;
    let contentType = '';
    const chunks: Buffer[] = [];
    let kept = 0;
    let abort: ((reason?: Error) => void) | null = null;
    const onAbort = () => abort?.(new Error('the stream request was aborted'));
    const settle = () => request.signal.removeEventListener('abort', onAbort);
    pool.dispatch(
      {
        method: request.method as Dispatcher.HttpMethod,
        path: request.path,
        headers: request.headers,
        upgrade: 'websocket',
      },
      {
        onConnect(abortRequest: (reason?: Error) => void) {
          abort = abortRequest;
          if (request.signal.aborted) abortRequest(new Error('the stream request was aborted'));
          else request.signal.addEventListener('abort', onAbort, { once: true });
        },
        onUpgrade(_statusCode: number, rawHeaders: Buffer[] | string[] | null, socket: Duplex) {
          settle();
          const headers = util.parseHeaders(rawHeaders ?? []) as Record<string, string | string[] | undefined>;
          resolve({ upgraded: true, headers, socket });
        },
        onHeaders(statusCode: number, rawHeaders: Buffer[]) {
          code = statusCode;
          const headers = util.parseHeaders(rawHeaders) as Record<string, string | string[] | undefined>;
          contentType = String(headers['content-type'] ?? '');
          return true;
        },
        onData(chunk: Buffer) {
          if (kept < MAX_REFUSAL_BYTES) {
            chunks.push(chunk.subarray(0, MAX_REFUSAL_BYTES - kept));
            kept += Math.min(chunk.length, MAX_REFUSAL_BYTES - kept);
          }
          return true;
        },
        onComplete() {
          settle();
          resolve({ upgraded: false, refusal: { code, contentType, body: Buffer.concat(chunks) } });
        },
        onError(error: Error) {
          settle();
          reject(error);
        },
      } as unknown as Dispatcher.DispatchHandler,
    );
  });
}
