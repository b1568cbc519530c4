import { Agent, request, type RequestOptions } from 'node:https';
import type { ClientRequest, IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http';
import type { Principal, ResolvedConnection } from '../engine.js';
import type { KubernetesContext } from './rules.js';

/**
 * The API server as the agent reaches it: the connection's https URL, dialled at the address the
 * agent's allow-list pinned, its certificate verified (the connection's CA, else the system's;
 * verify-ca skips only the host-name check), and the agent's own service-account token.
 */
export interface Upstream {
  /** Path prefix of the API server URL ('' or '/something'), prepended to every request path. */
  basePath: string;
  hostHeader: string;
  agent: Agent;
  token: string;
  options: Pick<RequestOptions, 'host' | 'port' | 'servername' | 'ca' | 'checkServerIdentity'>;
}

/** Opens what every request of a session needs; throws (ReachRefusedError or an Error) when it cannot. */
export async function openUpstream(connection: ResolvedConnection, context: KubernetesContext): Promise<Upstream> {
  const url = new URL(connection.target.settings['url'] ?? '');
  if (url.protocol !== 'https:') throw new Error('the connection URL is not https');
  const mode = connection.target.tls.mode;
  if (mode !== 'verify-ca' && mode !== 'verify-full') throw new Error(`TLS mode ${mode} is not allowed for Kubernetes`);
  const port = Number(url.port || 443);
  const hostname = url.hostname.replace(/^\[|\]$/g, '');
  const address = await context.dialTarget(hostname, port);
  // The token file of a service account ends with no newline, but a kubeconfig's or a Secret's may.
  const token = (await context.resolveSecret(connection.target.secretRef)).trim();
  if (token === '' || /[\r\n]/.test(token)) throw new Error('the service-account token is empty or not one line');
  const ca = connection.target.tls.caRef === null ? undefined : await context.resolveSecret(connection.target.tls.caRef);
  return {
    basePath: url.pathname.replace(/\/+$/, ''),
    hostHeader: url.host,
    // One pool per session: a client connection's requests reuse the agent's connections to the API server.
    agent: new Agent({ keepAlive: true, maxSockets: 16 }),
    token,
    options: {
      host: address,
      port,
      servername: isIp(hostname) ? undefined : hostname,
      ...(ca === undefined ? {} : { ca }),
      ...(mode === 'verify-ca' ? { checkServerIdentity: () => undefined } : {}),
      // verify-full: node checks the certificate against `servername`, or against `host` (the pinned
      // address) when the URL names an IP — then the IP is the identity.
    },
  };
}

function isIp(host: string): boolean {
  return /^[\d.]+$/.test(host) || host.includes(':');
}

/** Headers that belong to one hop (RFC 9110 §7.6.1) plus the ones the agent sets itself. */
const DROPPED = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authorization',
  'proxy-authenticate',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'host',
  'authorization',
  'sec-websocket-extensions',
]);

/**
 * The client's headers as the API server gets them: hop-by-hop headers, the client's credential
 * and every `Impersonate-*` header it sent are dropped (a client must never choose who the API
 * server thinks it is); the agent's token and the verified identity are added.
 * `Sec-WebSocket-Extensions` is dropped too: compressed frames could not be recorded.
 */
export function upstreamHeaders(
  incoming: IncomingHttpHeaders,
  rawHeaders: string[],
  upstream: Upstream,
  principal: Principal,
  options: { upgrade: boolean; forceJson: boolean },
): OutgoingHttpHeaders {
  const connectionTokens = new Set(
    String(incoming.connection ?? '')
      .split(',')
      .map((token) => token.trim().toLowerCase())
      .filter(Boolean),
  );
  const headers: OutgoingHttpHeaders = {};
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i]!.toLowerCase();
    const value = rawHeaders[i + 1]!;
    if (DROPPED.has(name) || name.startsWith('impersonate-') || connectionTokens.has(name)) continue;
    const existing = headers[name];
    headers[name] = existing === undefined ? value : [...(Array.isArray(existing) ? existing : [String(existing)]), value];
  }
  headers['host'] = upstream.hostHeader;
  headers['authorization'] = `Bearer ${upstream.token}`;
  headers['impersonate-user'] = principal.loginName ?? principal.id;
  if (principal.groups.length > 0) headers['impersonate-group'] = [...principal.groups];
  if (options.upgrade) {
    headers['connection'] = 'Upgrade';
    headers['upgrade'] = String(incoming.upgrade ?? '');
  }
  if (options.forceJson) {
    // The engine must read what it masks: JSON only, and no compression.
    headers['accept'] = jsonAccept(String(incoming.accept ?? ''));
    headers['accept-encoding'] = 'identity';
  }
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

export function sendUpstream(
  upstream: Upstream,
  method: string,
  path: string,
  headers: OutgoingHttpHeaders,
  upgrade: boolean,
): ClientRequest {
  return request({
    ...upstream.options,
    method,
    path: `${upstream.basePath}${path}`,
    headers,
    // An upgraded connection leaves the pool.
    agent: upgrade ? false : upstream.agent,
  });
}
