/*
 * Which connection a request is for, from the request alone (the agent's HTTP engine and the
 * relay's HTTP front door read it the same way):
 * - by Host: `<connection>.<gateway domain>` (POSTERN_AGENT_HTTP_DOMAIN, e.g. `orders-api.api.corp`
 *   with the domain `api.corp`), the request's path forwarded as it is;
 * - by path prefix: `/c/<connection>/<rest>` on any host, forwarded as `/<rest>` — for clients
 *   that cannot choose a host name (one ingress address, no wildcard DNS).
 */

export interface HttpRoute {
  connection: string;
  /** The path and query to forward (origin form). */
  target: string;
}

const CONNECTION_NAME = /^[a-z0-9](?:[a-z0-9_-]{0,62})$/i;
export const HTTP_PATH_PREFIX = '/c/';

export function routeHttpRequest(host: string | undefined, target: string, domain: string | null): HttpRoute | null {
  if (target.startsWith(HTTP_PATH_PREFIX)) {
    const rest = target.slice(HTTP_PATH_PREFIX.length);
    const end = rest.search(/[/?]/);
    const name = decodeSafe(end < 0 ? rest : rest.slice(0, end));
    if (name === null || !CONNECTION_NAME.test(name)) return null;
    const after = end < 0 ? '' : rest.slice(end);
    return { connection: name, target: after === '' || after.startsWith('?') ? `/${after}` : after };
  }
  if (domain !== null && host !== undefined) {
    const hostname = host.replace(/:\d+$/, '').toLowerCase().replace(/\.$/, '');
    const suffix = `.${domain.toLowerCase()}`;
    if (hostname.endsWith(suffix)) {
      const name = hostname.slice(0, -suffix.length);
      if (CONNECTION_NAME.test(name)) return { connection: name, target };
    }
  }
  return null;
}

function decodeSafe(text: string): string | null {
  try {
    return decodeURIComponent(text);
  } catch {
    return null;
  }
}
