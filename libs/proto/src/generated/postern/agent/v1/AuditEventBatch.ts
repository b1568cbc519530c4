// Original file: ../../proto/postern/agent/v1/control.proto

import type { AuditEvent as _postern_agent_v1_AuditEvent, AuditEvent__Output as _postern_agent_v1_AuditEvent__Output } from '../../../postern/agent/v1/AuditEvent.js';

export interface AuditEventBatch {
  'events'?: (_postern_agent_v1_AuditEvent)[];
}

export interface AuditEventBatch__Output {
  'events': (_postern_agent_v1_AuditEvent__Output)[];
}
