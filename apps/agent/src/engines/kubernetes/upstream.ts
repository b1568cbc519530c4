import type { IncomingHttpHeaders } from 'node:http';
import type { Pool } from 'undici';
import { createUpstreamPool, HOP_BY_HOP } from '../common/http/index.js';
import type { Principal, ResolvedConnection } from '../engine.js';
import type { KubernetesContext } from './rules.js';

/**
 * The API server as the agent reaches it: the connection's https URL, dialled at the address the
 * agent's allow-list pinned, its certificate verified (the connection's CA, else the system's;
 * verify-ca skips only the host-name check) — the HTTP kit's upstream pool — and the agent's own
 * service-account token.
 */
export interface Upstream {
  url: URL;
  pool: Pool;
  token: string;
}

/** Opens what every request of a session needs; throws (ReachRefusedError or an Error) when it cannot. */
export async function openUpstream(connection: ResolvedConnection, context: KubernetesContext): Promise<Upstream> {
  const url = new URL(connection.target.settings['url'] ?? '');
  if (url.protocol !== 'https:') throw new Error('the connection URL is not https');
  const mode = connection.target.tls.mode;
  if (mode !== 'verify-ca' && mode !== 'verify-full') throw new Error(`TLS mode ${mode} is not allowed for Kubernetes`);
  const port = Number(url.port || 443);
  const address = await context.dialTarget(url.hostname.replace(/^\[|\]$/g, ''), port);
  // The token file of a service account ends with no newline, but a kubeconfig's or a Secret's may.
  const token = (await context.resolveSecret(connection.target.secretRef)).trim();
  if (token === '' || /[\r\n]/.test(token)) throw new Error('the service-account token is empty or not one line');
  const ca = connection.target.tls.caRef === null ? null : await context.resolveSecret(connection.target.tls.caRef);
  // Streams (logs -f, watches) may be silent for long: no body timeout; kubectl bounds watches itself.
  const pool = createUpstreamPool({ url, address, tlsMode: mode, ca }, { bodyTimeoutMs: 0 });
  return { url, pool, token };
}

/** The agent sets these itself. `Sec-WebSocket-Extensions` is dropped: compressed frames could not be recorded. */
const REPLACED = new Set(['host', 'authorization', 'sec-websocket-extensions', 'expect']);

/**
 * The client's headers as the API server gets them: hop-by-hop headers, the client's credential
 * and every `Impersonate-*` header it sent are dropped (a client must never choose who the API
 * server thinks it is); the agent's token and the verified identity are added.
 */
export function upstreamHeaders(
  incoming: IncomingHttpHeaders,
  rawHeaders: string[],
  upstream: Pick<Upstream, 'token'>,
  principal: Principal,
  /** forceJson: JSON, uncompressed (a body the engine masks); identity: uncompressed only (a log it masks). */
  options: { forceJson: boolean; identity?: boolean },
): Record<string, string | string[]> {
  const connectionTokens = new Set(
    String(incoming.connection ?? '')
      .split(',')
      .map((token) => token.trim().toLowerCase())
      .filter(Boolean),
  );
  const headers: Record<string, string | string[]> = {};
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i]!.toLowerCase();
    const value = rawHeaders[i + 1]!;
    if (HOP_BY_HOP.has(name) || REPLACED.has(name) || name.startsWith('impersonate-') || connectionTokens.has(name)) {
      continue;
    }
    const existing = headers[name];
    headers[name] = existing === undefined ? value : [...(Array.isArray(existing) ? existing : [existing]), value];
  }
  headers['authorization'] = `Bearer ${upstream.token}`;
  headers['impersonate-user'] = principal.loginName ?? principal.id;
  if (principal.groups.length > 0) headers['impersonate-group'] = [...principal.groups];
  if (options.forceJson) {
    // The engine must read what it masks: JSON only, and no compression.
    headers['accept'] = jsonAccept(String(incoming.accept ?? ''));
    headers['accept-encoding'] = 'identity';
  }
  if (options.identity) headers['accept-encoding'] = 'identity';
  return headers;
}

/** The client's Accept without protobuf (tables as JSON are kept: `kubectl get -o wide`). */
export function jsonAccept(accept: string): string {
  const kept = accept
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part !== '' && part.startsWith('application/json'));
  return kept.length > 0 ? kept.join(',') : 'application/json';
}

/** The upstream path for a request target: the API server URL's own path prefix, then the target. */
export function upstreamPath(upstream: Pick<Upstream, 'url'>, target: string): string {
  return `${upstream.url.pathname.replace(/\/+$/, '')}${target}`;
}
