/*
 * The upstream side: an undici 7 Pool per target (keep-alive connections, one request at a time
 * on each — no pipelining, so one slow answer never delays another's). undici rather than
 * node:http's Agent: its `request` gives a body stream with backpressure and an abort signal that
 * ends the upstream request, its pool bounds connections per origin, and it is Node's own fetch
 * engine (maintained with Node). The connection is made to the address the agent's reach
 * allow-list pinned, with the target's host name for SNI and certificate checks.
 */
import type { Readable } from 'node:stream';
import { buildConnector, Pool, type Dispatcher } from 'undici';

export interface UpstreamTarget {
  /** The target's base URL (http: or https:). */
  url: URL;
  /** The address to connect to, pinned by the agent's allow-list (dialTarget). */
  address: string;
  /**
   * TLS towards an https target: verify-full (chain and host name), verify-ca (chain only),
   * require/prefer (encrypted, not verified: only where an administrator chose it).
   */
  tlsMode: 'disable' | 'prefer' | 'require' | 'verify-ca' | 'verify-full';
  /** PEM CA for verify-ca/verify-full; null: the system's CAs. */
  ca: string | null;
}

export interface UpstreamPoolOptions {
  /** Connections kept per target. Default 16. */
  connections?: number;
  connectTimeoutMs?: number;
  /** Time allowed for the response head. */
  headersTimeoutMs?: number;
  /** Longest silence within a response body. */
  bodyTimeoutMs?: number;
  keepAliveTimeoutMs?: number;
}

/** A pool for one target. Refuses a TLS mode it does not know (fail closed). */
export function createUpstreamPool(target: UpstreamTarget, options: UpstreamPoolOptions = {}): Pool {
  const secure = target.url.protocol === 'https:';
  const port = Number(target.url.port) || (secure ? 443 : 80);
  const servername = target.url.hostname;
  let tlsOptions: Record<string, unknown> = {};
  if (secure) {
    switch (target.tlsMode) {
      case 'verify-full':
        tlsOptions = { rejectUnauthorized: true, ...(target.ca ? { ca: target.ca } : {}) };
        break;
      case 'verify-ca':
        tlsOptions = {
          rejectUnauthorized: true,
          ...(target.ca ? { ca: target.ca } : {}),
          checkServerIdentity: () => undefined,
        };
        break;
      case 'require':
      case 'prefer':
        tlsOptions = { rejectUnauthorized: false };
        break;
      default:
        throw new Error(`TLS mode ${target.tlsMode} cannot be used with an https target`);
    }
  } else if (target.tlsMode !== 'disable' && target.tlsMode !== 'prefer') {
    throw new Error(`TLS mode ${target.tlsMode} needs an https target`);
  }
  const connector = buildConnector({
    ...tlsOptions,
    ...(secure && /[a-z]/i.test(servername) && !servername.includes(':') ? { servername } : {}),
    timeout: options.connectTimeoutMs ?? 10_000,
  } as buildConnector.BuildOptions);
  const connect: buildConnector.connector = (opts, callback) =>
    connector({ ...opts, hostname: target.address, port: String(port) }, (error, socket) => {
      if (socket && 'setNoDelay' in socket) socket.setNoDelay(true);
      callback(error as Error & null, socket as never);
    });
  return new Pool(target.url.origin, {
    connect,
    connections: options.connections ?? 16,
    pipelining: 1,
    headersTimeout: options.headersTimeoutMs ?? 60_000,
    bodyTimeout: options.bodyTimeoutMs ?? 300_000,
    keepAliveTimeout: options.keepAliveTimeoutMs ?? 4_000,
  });
}

export interface UpstreamRequest {
  method: string;
  /** Path and query, already joined with the target's base path. */
  path: string;
  headers: Record<string, string | string[]>;
  /** The request body (the client's request stream), or null. */
  body: Readable | null;
  /** An AbortSignal, or an EventEmitter with `aborted`/`reason` that emits 'abort' (undici takes both). */
  signal: AbortSignal | (NodeJS.EventEmitter & { aborted: boolean });
}

/**
 * Sends one request. The answer's body is a stream with backpressure: reading it slowly slows
 * the upstream down. Rejects on connection failures, timeouts and aborts.
 */
export function sendUpstream(pool: Dispatcher, request: UpstreamRequest): Promise<Dispatcher.ResponseData> {
  return pool.request({
    method: request.method as Dispatcher.HttpMethod,
    path: request.path,
    headers: request.headers,
    body: request.body ?? undefined,
    signal: request.signal,
    // Redirects and decompression are the client's business: the answer is passed as it came.
    maxRedirections: 0,
  } as Dispatcher.RequestOptions);
}

/** Joins the target's base path and the request's path (`/api` + `/v1/x?y` → `/api/v1/x?y`). */
export function joinPath(base: URL, requestPath: string): string {
  const prefix = base.pathname.replace(/\/+$/, '');
  const path = requestPath.startsWith('/') ? requestPath : `/${requestPath}`;
  return `${prefix}${path}`;
}

/** Opens an upgraded (WebSocket) connection upstream; resolves with the 101's headers and the socket. */
export function upgradeUpstream(
  pool: Dispatcher,
  request: Omit<UpstreamRequest, 'body'> & { protocol: string },
): Promise<Dispatcher.UpgradeData> {
  return pool.upgrade({
    method: request.method,
    path: request.path,
    headers: request.headers,
    protocol: request.protocol,
    signal: request.signal,
  } as Dispatcher.UpgradeOptions);
}
