// Original file: ../../proto/postern/agent/v1/policy.proto

import type { Principal as _postern_agent_v1_Principal, Principal__Output as _postern_agent_v1_Principal__Output } from '../../../postern/agent/v1/Principal.js';

export interface SshUserKey {
  'id'?: (string);
  'fingerprint'?: (string);
  'publicKey'?: (Buffer | Uint8Array | string);
  'principal'?: (_postern_agent_v1_Principal | null);
}

export interface SshUserKey__Output {
  'id': (string);
  'fingerprint': (string);
  'publicKey': (Buffer);
  'principal': (_postern_agent_v1_Principal__Output | null);
}
