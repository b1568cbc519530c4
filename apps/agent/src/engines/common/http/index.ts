// The HTTP kit: what HTTP-speaking engines (http, kubernetes) share. Protocol-neutral within
// HTTP: no connection settings, no policy, no recording kinds. See docs/engines.md, "HTTP kit".
export { takeCookie, takeCredential, type CredentialSources, type PresentedCredential } from './credentials.js';
export { codingStreams, isJsonMediaType, readableCoding, type ReadableCoding } from './encoding.js';
export { serveHttp, type HttpFrontHandlers, type HttpFrontOptions, type HttpFrontResult } from './front.js';
export { endToEndHeaders, framingProblem, HOP_BY_HOP, REDACTED, redactHeaders, SECRET_HEADERS } from './headers.js';
export { JsonMaskError, JsonMaskingStream, type JsonPath, type JsonValueMasker } from './json-masker.js';
export { problemBody, sendProblem, writeRawProblem, type Problem } from './problem.js';
export { pipeUpgraded, switchingProtocols, type PipeUpgradedOptions, type UpgradedResult } from './upgraded.js';
export {
  createUpstreamPool,
  joinPath,
  sendUpstream,
  upgradeUpstream,
  type UpstreamPoolOptions,
  type UpstreamRequest,
  type UpstreamTarget,
} from './upstream.js';
