/**
 * The kinds a `kubernetes` rule's `statementKinds` can name: the request's verb (RBAC's
 * vocabulary, upper case) and, for the subresources that open a process or a socket in a pod,
 * a kind of their own that comes first (an `exec` is also a `CREATE` or a `GET`).
 */
export const KUBERNETES_KINDS = {
  GET: 'GET',
  LIST: 'LIST',
  WATCH: 'WATCH',
  CREATE: 'CREATE',
  UPDATE: 'UPDATE',
  PATCH: 'PATCH',
  DELETE: 'DELETE',
  DELETECOLLECTION: 'DELETECOLLECTION',
  /** pods/exec */
  EXEC: 'EXEC',
  /** pods/attach */
  ATTACH: 'ATTACH',
  /** pods/portforward */
  PORTFORWARD: 'PORTFORWARD',
  /** pods/log */
  LOG: 'LOG',
  /** pods/ephemeralcontainers (kubectl debug) */
  EPHEMERALCONTAINERS: 'EPHEMERALCONTAINERS',
  /** pods/proxy, services/proxy, nodes/proxy */
  PROXY: 'PROXY',
  /** A non-resource URL (/version, /api, /apis, /openapi…, /healthz). */
  NONRESOURCE: 'NONRESOURCE',
} as const;

export const SUBRESOURCE_KINDS: Readonly<Record<string, string>> = {
  exec: KUBERNETES_KINDS.EXEC,
  attach: KUBERNETES_KINDS.ATTACH,
  portforward: KUBERNETES_KINDS.PORTFORWARD,
  log: KUBERNETES_KINDS.LOG,
  ephemeralcontainers: KUBERNETES_KINDS.EPHEMERALCONTAINERS,
  proxy: KUBERNETES_KINDS.PROXY,
};

const ALIASES: Readonly<Record<string, string>> = {
  'PORT-FORWARD': KUBERNETES_KINDS.PORTFORWARD,
  PORT_FORWARD: KUBERNETES_KINDS.PORTFORWARD,
  LOGS: KUBERNETES_KINDS.LOG,
  DEBUG: KUBERNETES_KINDS.EPHEMERALCONTAINERS,
  APPLY: KUBERNETES_KINDS.PATCH,
};

const KNOWN: ReadonlySet<string> = new Set(Object.values(KUBERNETES_KINDS));

export function canonicalKubernetesKind(kind: string): string | null {
  const upper = kind.trim().toUpperCase();
  if (KNOWN.has(upper)) return upper;
  return ALIASES[upper] ?? null;
}
