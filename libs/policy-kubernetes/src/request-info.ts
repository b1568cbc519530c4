/*
 * What a Kubernetes API request is about, read from its method and URL the way the API server's
 * own RequestInfoFactory reads it (k8s.io/apiserver/pkg/endpoints/request/requestinfo.go): verb,
 * API group and version, resource, subresource, namespace and name. Pure: no I/O.
 */

/** The verbs of Kubernetes authorization (RBAC's vocabulary). */
export type KubernetesVerb =
  | 'get'
  | 'list'
  | 'watch'
  | 'create'
  | 'update'
  | 'patch'
  | 'delete'
  | 'deletecollection'
  | 'head'
  | 'options'
  | 'post'
  | 'put';

export interface KubernetesRequestInfo {
  /** False for non-resource URLs (/version, /api, /apis, /openapi/v3, /healthz…). */
  readonly isResourceRequest: boolean;
  /** The URL path, percent-decoded as the API server matches it. */
  readonly path: string;
  readonly verb: KubernetesVerb;
  /** `''` for the core group (/api), `apps`, `batch`… */
  readonly apiGroup: string;
  readonly apiVersion: string;
  /** Plural resource name (`pods`, `deployments`), '' for non-resource requests. */
  readonly resource: string;
  /** `exec`, `log`, `portforward`, `status`, `scale`, `ephemeralcontainers`… or ''. */
  readonly subresource: string;
  /** '' for cluster-scoped requests. A namespace object's own requests name it here too. */
  readonly namespace: string;
  /** The object's name; '' for collections (a list narrowed by `metadata.name=` names it). */
  readonly name: string;
}

/** Why a path cannot be read safely: refused rather than guessed at. */
export class RequestInfoError extends Error {
  override readonly name = 'RequestInfoError';
}

const API_PREFIXES = new Set(['api', 'apis']);
/** Namespace subresources: `/api/v1/namespaces/x/status` is the namespace's own status, not a resource. */
const NAMESPACE_SUBRESOURCES = new Set(['status', 'finalize']);
const METHOD_VERBS: Readonly<Record<string, KubernetesVerb>> = {
  GET: 'get',
  HEAD: 'get',
  POST: 'create',
  PUT: 'update',
  PATCH: 'patch',
  DELETE: 'delete',
};

/**
 * Reads one request. `url` is the request target as sent (path and query). Throws
 * RequestInfoError for paths the API server might read differently from this function: empty,
 * `.` or `..` segments, undecodable escapes, a NUL.
 */
export function requestInfo(method: string, url: string): KubernetesRequestInfo {
  const query = url.indexOf('?');
  const rawPath = query === -1 ? url : url.slice(0, query);
  const params = new URLSearchParams(query === -1 ? '' : url.slice(query + 1));
  let path: string;
  try {
    path = decodeURIComponent(rawPath);
  } catch {
    throw new RequestInfoError('the path has an invalid percent escape');
  }
  if (!path.startsWith('/')) throw new RequestInfoError('the path must start with /');
  if (path.includes('\u0000')) throw new RequestInfoError('the path contains a NUL character');
  const trimmed = path.replace(/^\/+|\/+$/g, '');
  const parts = trimmed === '' ? [] : trimmed.split('/');
  if (parts.some((part) => part === '' || part === '.' || part === '..')) {
    throw new RequestInfoError('the path has empty, "." or ".." segments');
  }
  const upper = method.toUpperCase();
  const nonResource = (): KubernetesRequestInfo => ({
    isResourceRequest: false,
    path,
    verb: (upper.toLowerCase() as KubernetesVerb) ?? 'get',
    apiGroup: '',
    apiVersion: '',
    resource: '',
    subresource: '',
    namespace: '',
    name: '',
  });

  const prefix = parts[0];
  if (prefix === undefined || !API_PREFIXES.has(prefix)) return nonResource();
  let rest = parts.slice(1);
  let apiGroup = '';
  if (prefix === 'apis') {
    if (rest.length === 0) return nonResource();
    apiGroup = rest[0]!;
    rest = rest.slice(1);
  }
  if (rest.length === 0) return nonResource();
  const apiVersion = rest[0]!;
  rest = rest.slice(1);
  // /api/v1 and /apis/apps/v1 are discovery documents.
  if (rest.length === 0) return nonResource();

  let verb: KubernetesVerb | undefined = METHOD_VERBS[upper];
  if (verb === undefined) throw new RequestInfoError(`method ${upper.slice(0, 16)} is not a Kubernetes API verb`);
  // The deprecated /watch/ path prefix.
  if (rest[0] === 'watch') {
    verb = 'watch';
    rest = rest.slice(1);
  }

  let namespace = '';
  if (rest[0] === 'namespaces' && rest.length > 1) {
    namespace = rest[1]!;
    if (rest.length > 2 && !NAMESPACE_SUBRESOURCES.has(rest[2]!)) rest = rest.slice(2);
  }
  const resource = rest[0] ?? '';
  let name = rest[1] ?? '';
  const subresource = rest[2] ?? '';
  if (rest.length > 3) throw new RequestInfoError('the path has more segments than resource/name/subresource');

  if (name === '' && verb === 'get') verb = 'list';
  if (verb === 'list' && ['1', 'true'].includes((params.get('watch') ?? '').toLowerCase())) verb = 'watch';
  if (name === '' && verb === 'delete') verb = 'deletecollection';
  if (name === '' && (verb === 'list' || verb === 'watch')) {
    // A list narrowed to one name is authorised as that name.
    const selector = params.get('fieldSelector') ?? '';
    const one = /^metadata\.name==?([^,]+)$/.exec(selector);
    if (one) name = one[1]!;
  }
  return { isResourceRequest: true, path, verb, apiGroup, apiVersion, resource, subresource, namespace, name };
}

/**
 * The text the `kubernetes` dialect's analyser reads for one request: `METHOD url`. It is also
 * what audit events and reviews show.
 */
export function requestText(method: string, url: string): string {
  return `${method.toUpperCase()} ${url}`;
}
