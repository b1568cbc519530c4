/*
 * @postern/policy-http: HTTP's side of the policy — requests as a command dialect (`http`) of
 * libs/policy's rule model (method, path with ids normalised, headers, query), and masking of JSON
 * bodies by key path and detectors.
 */
export {
  analyzeHttp,
  canonicalPath,
  httpAnalyser,
  isIdSegment,
  MAX_REQUEST_TEXT,
  normalizePath,
  requestText,
  type HttpRequestFacts,
  type HttpRequestParts,
} from './analyze.js';
export { canonicalHttpKind, HTTP_DIALECT, HTTP_KINDS, HTTP_NAMES, REQUEST_PARTS } from './dialect.js';
export { compileJsonKeyPattern, JsonBodyMasker, type JsonKeyPattern } from './json-masking.js';
export { HTTP_PATH_PREFIX, KUBERNETES_PATH_PREFIX, routeHttpRequest, type HttpRoute } from './routing.js';
