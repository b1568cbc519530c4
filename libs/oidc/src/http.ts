/**
 * The slice of WHATWG `fetch` this library uses, so callers can inject the global `fetch`, an
 * undici dispatcher with a proxy or custom CA, or a fake in tests.
 */
export interface FetchInit {
  method?: 'GET' | 'POST';
  headers?: Record<string, string>;
  body?: string;
  signal?: AbortSignal;
}

export interface FetchResponseLike {
  ok: boolean;
  status: number;
  json(): Promise<unknown>;
}

export type FetchLike = (url: string, init?: FetchInit) => Promise<FetchResponseLike>;

/** Fetches a JSON document; any transport error, timeout, non-2xx status or bad JSON throws. */
export async function fetchJson(
  fetch: FetchLike,
  url: string,
  timeoutMs: number,
  init: FetchInit = {},
): Promise<unknown> {
  const response = await fetch(url, {
    ...init,
    headers: { accept: 'application/json', ...init.headers },
    // A hung IdP must not hold verifications forever: they are waiting on this request.
    signal: AbortSignal.timeout(timeoutMs),
  });
  if (!response.ok) throw new Error(`${init.method ?? 'GET'} ${url} answered HTTP ${response.status}`);
  return response.json();
}

export function describeError(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
