// Original file: ../../proto/postern/agent/v1/control.proto

import type { Principal as _postern_agent_v1_Principal, Principal__Output as _postern_agent_v1_Principal__Output } from '../../../postern/agent/v1/Principal.js';
import type { Long } from '@grpc/proto-loader';

export interface ApprovalRequest {
  'requestId'?: (string);
  'sessionId'?: (string);
  'ruleId'?: (string);
  'command'?: (string);
  'requester'?: (_postern_agent_v1_Principal | null);
  'timeoutSeconds'?: (number);
  'connectionId'?: (string);
  'policyVersion'?: (number | string | Long);
}

export interface ApprovalRequest__Output {
  'requestId': (string);
  'sessionId': (string);
  'ruleId': (string);
  'command': (string);
  'requester': (_postern_agent_v1_Principal__Output | null);
  'timeoutSeconds': (number);
  'connectionId': (string);
  'policyVersion': (string);
}
