// Original file: ../../proto/postern/agent/v1/control.proto

import type { Instant as _postern_agent_v1_Instant, Instant__Output as _postern_agent_v1_Instant__Output } from '../../../postern/agent/v1/Instant.js';
import type { Long } from '@grpc/proto-loader';

export interface Heartbeat {
  'seq'?: (number | string | Long);
  'sentAt'?: (_postern_agent_v1_Instant | null);
  'activeSessions'?: (number);
  'policyVersion'?: (number | string | Long);
}

export interface Heartbeat__Output {
  'seq': (string);
  'sentAt': (_postern_agent_v1_Instant__Output | null);
  'activeSessions': (number);
  'policyVersion': (string);
}
