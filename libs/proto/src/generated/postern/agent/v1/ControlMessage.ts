// Original file: ../../proto/postern/agent/v1/control.proto

import type { Welcome as _postern_agent_v1_Welcome, Welcome__Output as _postern_agent_v1_Welcome__Output } from '../../../postern/agent/v1/Welcome.js';
import type { PolicySnapshot as _postern_agent_v1_PolicySnapshot, PolicySnapshot__Output as _postern_agent_v1_PolicySnapshot__Output } from '../../../postern/agent/v1/PolicySnapshot.js';
import type { PolicyUpdate as _postern_agent_v1_PolicyUpdate, PolicyUpdate__Output as _postern_agent_v1_PolicyUpdate__Output } from '../../../postern/agent/v1/PolicyUpdate.js';
import type { Revoke as _postern_agent_v1_Revoke, Revoke__Output as _postern_agent_v1_Revoke__Output } from '../../../postern/agent/v1/Revoke.js';
import type { ApprovalDecision as _postern_agent_v1_ApprovalDecision, ApprovalDecision__Output as _postern_agent_v1_ApprovalDecision__Output } from '../../../postern/agent/v1/ApprovalDecision.js';
import type { OpenTunnel as _postern_agent_v1_OpenTunnel, OpenTunnel__Output as _postern_agent_v1_OpenTunnel__Output } from '../../../postern/agent/v1/OpenTunnel.js';
import type { HeartbeatAck as _postern_agent_v1_HeartbeatAck, HeartbeatAck__Output as _postern_agent_v1_HeartbeatAck__Output } from '../../../postern/agent/v1/HeartbeatAck.js';
import type { ReportAck as _postern_agent_v1_ReportAck, ReportAck__Output as _postern_agent_v1_ReportAck__Output } from '../../../postern/agent/v1/ReportAck.js';

export interface ControlMessage {
  'welcome'?: (_postern_agent_v1_Welcome | null);
  'policySnapshot'?: (_postern_agent_v1_PolicySnapshot | null);
  'policyUpdate'?: (_postern_agent_v1_PolicyUpdate | null);
  'revoke'?: (_postern_agent_v1_Revoke | null);
  'approvalDecision'?: (_postern_agent_v1_ApprovalDecision | null);
  'openTunnel'?: (_postern_agent_v1_OpenTunnel | null);
  'heartbeatAck'?: (_postern_agent_v1_HeartbeatAck | null);
  'reportAck'?: (_postern_agent_v1_ReportAck | null);
  'body'?: "welcome"|"policySnapshot"|"policyUpdate"|"revoke"|"approvalDecision"|"openTunnel"|"heartbeatAck"|"reportAck";
}

export interface ControlMessage__Output {
  'welcome'?: (_postern_agent_v1_Welcome__Output | null);
  'policySnapshot'?: (_postern_agent_v1_PolicySnapshot__Output | null);
  'policyUpdate'?: (_postern_agent_v1_PolicyUpdate__Output | null);
  'revoke'?: (_postern_agent_v1_Revoke__Output | null);
  'approvalDecision'?: (_postern_agent_v1_ApprovalDecision__Output | null);
  'openTunnel'?: (_postern_agent_v1_OpenTunnel__Output | null);
  'heartbeatAck'?: (_postern_agent_v1_HeartbeatAck__Output | null);
  'reportAck'?: (_postern_agent_v1_ReportAck__Output | null);
  'body'?: "welcome"|"policySnapshot"|"policyUpdate"|"revoke"|"approvalDecision"|"openTunnel"|"heartbeatAck"|"reportAck";
}
