// Original file: ../../proto/postern/agent/v1/control.proto

import type { Instant as _postern_agent_v1_Instant, Instant__Output as _postern_agent_v1_Instant__Output } from '../../../postern/agent/v1/Instant.js';

// Original file: ../../proto/postern/agent/v1/control.proto

export const _postern_agent_v1_Revoke_Scope = {
  SCOPE_UNSPECIFIED: 'SCOPE_UNSPECIFIED',
  SCOPE_SESSION: 'SCOPE_SESSION',
  SCOPE_PRINCIPAL: 'SCOPE_PRINCIPAL',
  SCOPE_GRANT: 'SCOPE_GRANT',
  SCOPE_CONNECTION: 'SCOPE_CONNECTION',
} as const;

export type _postern_agent_v1_Revoke_Scope =
  | 'SCOPE_UNSPECIFIED'
  | 0
  | 'SCOPE_SESSION'
  | 1
  | 'SCOPE_PRINCIPAL'
  | 2
  | 'SCOPE_GRANT'
  | 3
  | 'SCOPE_CONNECTION'
  | 4

export type _postern_agent_v1_Revoke_Scope__Output = typeof _postern_agent_v1_Revoke_Scope[keyof typeof _postern_agent_v1_Revoke_Scope]

export interface Revoke {
  'scope'?: (_postern_agent_v1_Revoke_Scope);
  'id'?: (string);
  'reason'?: (string);
  'at'?: (_postern_agent_v1_Instant | null);
}

export interface Revoke__Output {
  'scope': (_postern_agent_v1_Revoke_Scope__Output);
  'id': (string);
  'reason': (string);
  'at': (_postern_agent_v1_Instant__Output | null);
}
