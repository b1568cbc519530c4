// Original file: ../../proto/postern/agent/v1/tunnel.proto

import type { TunnelOpen as _postern_agent_v1_TunnelOpen, TunnelOpen__Output as _postern_agent_v1_TunnelOpen__Output } from '../../../postern/agent/v1/TunnelOpen.js';
import type { TunnelClose as _postern_agent_v1_TunnelClose, TunnelClose__Output as _postern_agent_v1_TunnelClose__Output } from '../../../postern/agent/v1/TunnelClose.js';

export interface TunnelFrame {
  'open'?: (_postern_agent_v1_TunnelOpen | null);
  'data'?: (Buffer | Uint8Array | string);
  'close'?: (_postern_agent_v1_TunnelClose | null);
  'body'?: "open"|"data"|"close";
}

export interface TunnelFrame__Output {
  'open'?: (_postern_agent_v1_TunnelOpen__Output | null);
  'data'?: (Buffer);
  'close'?: (_postern_agent_v1_TunnelClose__Output | null);
  'body'?: "open"|"data"|"close";
}
