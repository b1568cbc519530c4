// Original file: ../../proto/postern/agent/v1/policy.proto

import type { Instant as _postern_agent_v1_Instant, Instant__Output as _postern_agent_v1_Instant__Output } from '../../../postern/agent/v1/Instant.js';

export interface RevokedPrincipal {
  'principalId'?: (string);
  'revokedAt'?: (_postern_agent_v1_Instant | null);
}

export interface RevokedPrincipal__Output {
  'principalId': (string);
  'revokedAt': (_postern_agent_v1_Instant__Output | null);
}
