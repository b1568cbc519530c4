/*
 * @postern/policy-kubernetes: Kubernetes' side of the policy — API requests read as the API
 * server's RequestInfo reads them, as a command dialect (`kubernetes`) of libs/policy's rule
 * model, the Secret masking of API responses, and masking rules on ConfigMaps and pod logs.
 */
export {
  analyzeRequest,
  kubernetesAnalyser,
  MAX_REQUEST_TEXT,
  requestFacts,
  type KubernetesRequestFacts,
} from './analyze.js';
export { KUBERNETES_DIALECT, KUBERNETES_NAMES } from './dialect.js';
export { canonicalKubernetesKind, KUBERNETES_KINDS } from './kinds.js';
export {
  requestInfo,
  RequestInfoError,
  requestText,
  type KubernetesRequestInfo,
  type KubernetesVerb,
} from './request-info.js';
export { maskSecretsInDocument, maskSecretsInJson, MASKED_BASE64, MASKED_TEXT } from './secret-masking.js';
export { KubernetesValueMasker } from './value-masking.js';
export {
  controlFrame,
  dataFrame,
  dataFrames,
  decodeHeaders,
  encodeHeaders,
  FLAG_FIN,
  frameStreamId,
  goAway,
  HeaderCompressor,
  HeaderDecompressor,
  readSynStream,
  rstStream,
  SPDY3_DICTIONARY,
  SpdyFrameReader,
  SpdyType,
  synReply,
  synStream,
  type SpdyFrame,
} from './spdy.js';
