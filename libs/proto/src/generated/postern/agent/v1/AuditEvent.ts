// Original file: ../../proto/postern/agent/v1/control.proto

import type { Instant as _postern_agent_v1_Instant, Instant__Output as _postern_agent_v1_Instant__Output } from '../../../postern/agent/v1/Instant.js';
import type { Long } from '@grpc/proto-loader';

export interface AuditEvent {
  'eventId'?: (string);
  'sessionId'?: (string);
  'at'?: (_postern_agent_v1_Instant | null);
  'kind'?: (string);
  'decision'?: (string);
  'ruleId'?: (string);
  'policyVersion'?: (number | string | Long);
  'detailsJson'?: (string);
}

export interface AuditEvent__Output {
  'eventId': (string);
  'sessionId': (string);
  'at': (_postern_agent_v1_Instant__Output | null);
  'kind': (string);
  'decision': (string);
  'ruleId': (string);
  'policyVersion': (string);
  'detailsJson': (string);
}
