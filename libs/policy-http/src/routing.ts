/*
 * Which connection a request is for, from the request alone (the agent's HTTP and Kubernetes
 * engines and the relay's HTTP front door read it the same way):
 * - by path prefix: `/c/<connection>/<rest>` on any host, forwarded as `/<rest>` — for clients
 *   that cannot choose a host name (one ingress address, no wildcard DNS);
 * - by Host: `<connection>.<gateway domain>` (POSTERN_AGENT_HTTP_DOMAIN, e.g. `orders-api.api.corp`
 *   with the domain `api.corp`), the request's path forwarded as it is;
 * - Kubernetes: `/k8s/<connection>/<API path>` (a kubeconfig's server URL ends in
 *   `/k8s/<connection>` and client-go appends the API path), forwarded as `/<API path>`. Tried
 *   after the Host, so an HTTP connection by Host keeps any path of its own.
 */

export interface HttpRoute {
  /** The engine that serves it: `http` (an HTTP connection) or `kubernetes`. */
  protocol: 'http' | 'kubernetes';
  connection: string;
  /** The path and query to forward (origin form). */
  target: string;
}

const CONNECTION_NAME = /^[a-z0-9](?:[a-z0-9_-]{0,62})$/i;
export const HTTP_PATH_PREFIX = '/c/';
export const KUBERNETES_PATH_PREFIX = '/k8s/';

export function routeHttpRequest(host: string | undefined, target: string, domain: string | null): HttpRoute | null {
  if (target.startsWith(HTTP_PATH_PREFIX)) return byPrefix('http', target.slice(HTTP_PATH_PREFIX.length));
  if (domain !== null && host !== undefined) {
    const hostname = host.replace(/:\d+$/, '').toLowerCase().replace(/\.$/, '');
    const suffix = `.${domain.toLowerCase()}`;
    if (hostname.endsWith(suffix)) {
      const name = hostname.slice(0, -suffix.length);
      if (CONNECTION_NAME.test(name)) return { protocol: 'http', connection: name, target };
    }
  }
  if (target.startsWith(KUBERNETES_PATH_PREFIX)) {
    return byPrefix('kubernetes', target.slice(KUBERNETES_PATH_PREFIX.length));
  }
  return null;
}

/** `<connection>[/rest][?query]` after a prefix: the name (a valid connection name) and `/rest?query`. */
function byPrefix(protocol: HttpRoute['protocol'], rest: string): HttpRoute | null {
  const end = rest.search(/[/?]/);
  const name = decodeSafe(end < 0 ? rest : rest.slice(0, end));
  if (name === null || !CONNECTION_NAME.test(name)) return null;
  const after = end < 0 ? '' : rest.slice(end);
  return { protocol, connection: name, target: after === '' || after.startsWith('?') ? `/${after}` : after };
}

function decodeSafe(text: string): string | null {
  try {
    return decodeURIComponent(text);
  } catch {
    return null;
  }
}
