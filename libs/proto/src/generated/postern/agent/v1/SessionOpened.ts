// Original file: ../../proto/postern/agent/v1/control.proto

import type { Principal as _postern_agent_v1_Principal, Principal__Output as _postern_agent_v1_Principal__Output } from '../../../postern/agent/v1/Principal.js';
import type { Instant as _postern_agent_v1_Instant, Instant__Output as _postern_agent_v1_Instant__Output } from '../../../postern/agent/v1/Instant.js';
import type { Long } from '@grpc/proto-loader';

export interface SessionOpened {
  'sessionId'?: (string);
  'connectionId'?: (string);
  'principal'?: (_postern_agent_v1_Principal | null);
  'clientAddress'?: (string);
  'ingress'?: (string);
  'startedAt'?: (_postern_agent_v1_Instant | null);
  'policyVersion'?: (number | string | Long);
  'traceparent'?: (string);
}

export interface SessionOpened__Output {
  'sessionId': (string);
  'connectionId': (string);
  'principal': (_postern_agent_v1_Principal__Output | null);
  'clientAddress': (string);
  'ingress': (string);
  'startedAt': (_postern_agent_v1_Instant__Output | null);
  'policyVersion': (string);
  'traceparent': (string);
}
