// Original file: ../../proto/postern/agent/v1/control.proto

import type { PublicHostKey as _postern_agent_v1_PublicHostKey, PublicHostKey__Output as _postern_agent_v1_PublicHostKey__Output } from '../../../postern/agent/v1/PublicHostKey.js';
import type { Long } from '@grpc/proto-loader';

export interface Hello {
  'agentVersion'?: (string);
  'hostname'?: (string);
  'capabilities'?: (string)[];
  'policyVersion'?: (number | string | Long);
  'instanceId'?: (string);
  'hostKeys'?: (_postern_agent_v1_PublicHostKey)[];
}

export interface Hello__Output {
  'agentVersion': (string);
  'hostname': (string);
  'capabilities': (string)[];
  'policyVersion': (string);
  'instanceId': (string);
  'hostKeys': (_postern_agent_v1_PublicHostKey__Output)[];
}
