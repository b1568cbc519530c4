// Original file: ../../proto/postern/agent/v1/control.proto

import type { Instant as _postern_agent_v1_Instant, Instant__Output as _postern_agent_v1_Instant__Output } from '../../../postern/agent/v1/Instant.js';
import type { Long } from '@grpc/proto-loader';

export interface SessionClosed {
  'sessionId'?: (string);
  'endedAt'?: (_postern_agent_v1_Instant | null);
  'endReason'?: (string);
  'bytesFromClient'?: (number | string | Long);
  'bytesFromTarget'?: (number | string | Long);
  'statementCount'?: (number | string | Long);
  'error'?: (string);
  'traceparent'?: (string);
}

export interface SessionClosed__Output {
  'sessionId': (string);
  'endedAt': (_postern_agent_v1_Instant__Output | null);
  'endReason': (string);
  'bytesFromClient': (string);
  'bytesFromTarget': (string);
  'statementCount': (string);
  'error': (string);
  'traceparent': (string);
}
