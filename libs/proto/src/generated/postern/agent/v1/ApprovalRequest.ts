// Original file: ../../proto/postern/agent/v1/control.proto

import type { Principal as _postern_agent_v1_Principal, Principal__Output as _postern_agent_v1_Principal__Output } from '../../../postern/agent/v1/Principal.js';

export interface ApprovalRequest {
  'requestId'?: (string);
  'sessionId'?: (string);
  'ruleId'?: (string);
  'command'?: (string);
  'requester'?: (_postern_agent_v1_Principal | null);
  'timeoutSeconds'?: (number);
}

export interface ApprovalRequest__Output {
  'requestId': (string);
  'sessionId': (string);
  'ruleId': (string);
  'command': (string);
  'requester': (_postern_agent_v1_Principal__Output | null);
  'timeoutSeconds': (number);
}
