// The agent's engine kit: what every protocol engine builds on, none of it protocol-specific
// (eslint.config.js keeps codecs, protocol policy and engine folders out of this folder).
export { deadline, type Deadline } from './deadline.js';
export { FrameReader, PeerClosedError, type FrameSource } from './frame-reader.js';
export {
  coalesce,
  proxySession,
  type FilterIo,
  type FrameCodec,
  type FrameFilter,
  type FrameSplitter,
  type FrameVerdict,
  type ProxyFrame,
  type ProxyOptions,
  type ProxyOutcome,
} from './proxy.js';
export {
  describeError,
  endForAbort,
  SessionEnd,
  type EndReason,
  type SessionError,
  type SessionErrorKind,
} from './session-end.js';
export { auditPolicySummary, closeTarget } from './teardown.js';
export { tlsHandshake, type TlsHandshakeOptions } from './tls.js';
