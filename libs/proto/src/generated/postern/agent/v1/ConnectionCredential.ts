// Original file: ../../proto/postern/agent/v1/policy.proto

import type { Principal as _postern_agent_v1_Principal, Principal__Output as _postern_agent_v1_Principal__Output } from '../../../postern/agent/v1/Principal.js';
import type { Instant as _postern_agent_v1_Instant, Instant__Output as _postern_agent_v1_Instant__Output } from '../../../postern/agent/v1/Instant.js';

export interface ConnectionCredential {
  'id'?: (string);
  'secretHash'?: (Buffer | Uint8Array | string);
  'connectionId'?: (string);
  'principal'?: (_postern_agent_v1_Principal | null);
  'expiresAt'?: (_postern_agent_v1_Instant | null);
}

export interface ConnectionCredential__Output {
  'id': (string);
  'secretHash': (Buffer);
  'connectionId': (string);
  'principal': (_postern_agent_v1_Principal__Output | null);
  'expiresAt': (_postern_agent_v1_Instant__Output | null);
}
