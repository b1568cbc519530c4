import type { RecordedEvent } from './timeline';

/** One HTTP call of a session's recording (an `http.request` or `http.upgrade` event). */
export interface HttpCall {
  key: string;
  at: string;
  method: string;
  path: string;
  /** 0: no answer reached the caller; 101 for upgrades. */
  status: number;
  durationMs: number;
  requestBytes: number;
  responseBytes: number;
  requestHeaders: Record<string, string>;
  responseHeaders: Record<string, string>;
  /** As recorded (masked as the caller saw it), or null when none was kept. */
  requestBody: string | null;
  responseBody: string | null;
  base64: boolean;
  truncated: boolean;
  error: string | null;
}

const text = (v: unknown, fallback = '') => (typeof v === 'string' ? v : fallback);
const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : 0);
const strings = (v: unknown): Record<string, string> =>
  v !== null && typeof v === 'object'
    ? Object.fromEntries(Object.entries(v).filter((e): e is [string, string] => typeof e[1] === 'string'))
    : {};

/** The calls of a recording, in order; other events (start, decisions, end) are left out. */
export function httpCallsOf(events: readonly RecordedEvent[]): HttpCall[] {
  const calls: HttpCall[] = [];
  for (const event of events) {
    if (event.type !== 'http.request' && event.type !== 'http.upgrade') continue;
    let body: Record<string, unknown>;
    try {
      body = JSON.parse(event.json) as Record<string, unknown>;
    } catch {
      continue;
    }
    const upgrade = event.type === 'http.upgrade';
    calls.push({
      key: `${event.seq}:${event.index}`,
      at: event.at,
      method: upgrade ? `UPGRADE ${text(body['protocol'], '?')}` : text(body['method'], '?'),
      path: text(body['path']),
      status: upgrade ? 101 : num(body['status']),
      durationMs: num(body['durationMs']),
      requestBytes: upgrade ? num(body['bytesFromClient']) : num(body['requestBytes']),
      responseBytes: upgrade ? num(body['bytesFromTarget']) : num(body['responseBytes']),
      requestHeaders: strings(body['requestHeaders']),
      responseHeaders: strings(body['responseHeaders']),
      requestBody: typeof body['requestBody'] === 'string' ? body['requestBody'] : null,
      responseBody: typeof body['responseBody'] === 'string' ? body['responseBody'] : null,
      base64: body['base64'] === true,
      truncated: body['truncated'] === true,
      error: typeof body['error'] === 'string' ? body['error'] : null,
    });
  }
  return calls;
}

/** 1234 → "1.2 KiB". */
export function byteSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}
