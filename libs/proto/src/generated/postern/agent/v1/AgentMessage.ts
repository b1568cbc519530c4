// Original file: ../../proto/postern/agent/v1/control.proto

import type { Hello as _postern_agent_v1_Hello, Hello__Output as _postern_agent_v1_Hello__Output } from '../../../postern/agent/v1/Hello.js';
import type { Heartbeat as _postern_agent_v1_Heartbeat, Heartbeat__Output as _postern_agent_v1_Heartbeat__Output } from '../../../postern/agent/v1/Heartbeat.js';
import type { SessionOpened as _postern_agent_v1_SessionOpened, SessionOpened__Output as _postern_agent_v1_SessionOpened__Output } from '../../../postern/agent/v1/SessionOpened.js';
import type { SessionClosed as _postern_agent_v1_SessionClosed, SessionClosed__Output as _postern_agent_v1_SessionClosed__Output } from '../../../postern/agent/v1/SessionClosed.js';
import type { AuditEventBatch as _postern_agent_v1_AuditEventBatch, AuditEventBatch__Output as _postern_agent_v1_AuditEventBatch__Output } from '../../../postern/agent/v1/AuditEventBatch.js';
import type { ApprovalRequest as _postern_agent_v1_ApprovalRequest, ApprovalRequest__Output as _postern_agent_v1_ApprovalRequest__Output } from '../../../postern/agent/v1/ApprovalRequest.js';
import type { PolicyAck as _postern_agent_v1_PolicyAck, PolicyAck__Output as _postern_agent_v1_PolicyAck__Output } from '../../../postern/agent/v1/PolicyAck.js';
import type { Long } from '@grpc/proto-loader';

export interface AgentMessage {
  'hello'?: (_postern_agent_v1_Hello | null);
  'heartbeat'?: (_postern_agent_v1_Heartbeat | null);
  'sessionOpened'?: (_postern_agent_v1_SessionOpened | null);
  'sessionClosed'?: (_postern_agent_v1_SessionClosed | null);
  'auditEvents'?: (_postern_agent_v1_AuditEventBatch | null);
  'approvalRequest'?: (_postern_agent_v1_ApprovalRequest | null);
  'policyAck'?: (_postern_agent_v1_PolicyAck | null);
  'reportSeq'?: (number | string | Long);
  'body'?: "hello"|"heartbeat"|"sessionOpened"|"sessionClosed"|"auditEvents"|"approvalRequest"|"policyAck";
}

export interface AgentMessage__Output {
  'hello'?: (_postern_agent_v1_Hello__Output | null);
  'heartbeat'?: (_postern_agent_v1_Heartbeat__Output | null);
  'sessionOpened'?: (_postern_agent_v1_SessionOpened__Output | null);
  'sessionClosed'?: (_postern_agent_v1_SessionClosed__Output | null);
  'auditEvents'?: (_postern_agent_v1_AuditEventBatch__Output | null);
  'approvalRequest'?: (_postern_agent_v1_ApprovalRequest__Output | null);
  'policyAck'?: (_postern_agent_v1_PolicyAck__Output | null);
  'reportSeq': (string);
  'body'?: "hello"|"heartbeat"|"sessionOpened"|"sessionClosed"|"auditEvents"|"approvalRequest"|"policyAck";
}
