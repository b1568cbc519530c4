import type * as grpc from '@grpc/grpc-js';
import type { MessageTypeDefinition } from '@grpc/proto-loader';

import type { AccessRule as _postern_agent_v1_AccessRule, AccessRule__Output as _postern_agent_v1_AccessRule__Output } from './postern/agent/v1/AccessRule.js';
import type { AgentMessage as _postern_agent_v1_AgentMessage, AgentMessage__Output as _postern_agent_v1_AgentMessage__Output } from './postern/agent/v1/AgentMessage.js';
import type { ApprovalDecision as _postern_agent_v1_ApprovalDecision, ApprovalDecision__Output as _postern_agent_v1_ApprovalDecision__Output } from './postern/agent/v1/ApprovalDecision.js';
import type { ApprovalRequest as _postern_agent_v1_ApprovalRequest, ApprovalRequest__Output as _postern_agent_v1_ApprovalRequest__Output } from './postern/agent/v1/ApprovalRequest.js';
import type { ApprovalRule as _postern_agent_v1_ApprovalRule, ApprovalRule__Output as _postern_agent_v1_ApprovalRule__Output } from './postern/agent/v1/ApprovalRule.js';
import type { AuditEvent as _postern_agent_v1_AuditEvent, AuditEvent__Output as _postern_agent_v1_AuditEvent__Output } from './postern/agent/v1/AuditEvent.js';
import type { AuditEventBatch as _postern_agent_v1_AuditEventBatch, AuditEventBatch__Output as _postern_agent_v1_AuditEventBatch__Output } from './postern/agent/v1/AuditEventBatch.js';
import type { Connection as _postern_agent_v1_Connection, Connection__Output as _postern_agent_v1_Connection__Output } from './postern/agent/v1/Connection.js';
import type { ConnectionCredential as _postern_agent_v1_ConnectionCredential, ConnectionCredential__Output as _postern_agent_v1_ConnectionCredential__Output } from './postern/agent/v1/ConnectionCredential.js';
import type { ControlClient as _postern_agent_v1_ControlClient, ControlDefinition as _postern_agent_v1_ControlDefinition } from './postern/agent/v1/Control.js';
import type { ControlMessage as _postern_agent_v1_ControlMessage, ControlMessage__Output as _postern_agent_v1_ControlMessage__Output } from './postern/agent/v1/ControlMessage.js';
import type { EnrollRequest as _postern_agent_v1_EnrollRequest, EnrollRequest__Output as _postern_agent_v1_EnrollRequest__Output } from './postern/agent/v1/EnrollRequest.js';
import type { EnrollResponse as _postern_agent_v1_EnrollResponse, EnrollResponse__Output as _postern_agent_v1_EnrollResponse__Output } from './postern/agent/v1/EnrollResponse.js';
import type { Grant as _postern_agent_v1_Grant, Grant__Output as _postern_agent_v1_Grant__Output } from './postern/agent/v1/Grant.js';
import type { Guardrail as _postern_agent_v1_Guardrail, Guardrail__Output as _postern_agent_v1_Guardrail__Output } from './postern/agent/v1/Guardrail.js';
import type { Heartbeat as _postern_agent_v1_Heartbeat, Heartbeat__Output as _postern_agent_v1_Heartbeat__Output } from './postern/agent/v1/Heartbeat.js';
import type { HeartbeatAck as _postern_agent_v1_HeartbeatAck, HeartbeatAck__Output as _postern_agent_v1_HeartbeatAck__Output } from './postern/agent/v1/HeartbeatAck.js';
import type { Hello as _postern_agent_v1_Hello, Hello__Output as _postern_agent_v1_Hello__Output } from './postern/agent/v1/Hello.js';
import type { IdentitySettings as _postern_agent_v1_IdentitySettings, IdentitySettings__Output as _postern_agent_v1_IdentitySettings__Output } from './postern/agent/v1/IdentitySettings.js';
import type { Instant as _postern_agent_v1_Instant, Instant__Output as _postern_agent_v1_Instant__Output } from './postern/agent/v1/Instant.js';
import type { MaskingRule as _postern_agent_v1_MaskingRule, MaskingRule__Output as _postern_agent_v1_MaskingRule__Output } from './postern/agent/v1/MaskingRule.js';
import type { OpenTunnel as _postern_agent_v1_OpenTunnel, OpenTunnel__Output as _postern_agent_v1_OpenTunnel__Output } from './postern/agent/v1/OpenTunnel.js';
import type { PolicyAck as _postern_agent_v1_PolicyAck, PolicyAck__Output as _postern_agent_v1_PolicyAck__Output } from './postern/agent/v1/PolicyAck.js';
import type { PolicySnapshot as _postern_agent_v1_PolicySnapshot, PolicySnapshot__Output as _postern_agent_v1_PolicySnapshot__Output } from './postern/agent/v1/PolicySnapshot.js';
import type { PolicyUpdate as _postern_agent_v1_PolicyUpdate, PolicyUpdate__Output as _postern_agent_v1_PolicyUpdate__Output } from './postern/agent/v1/PolicyUpdate.js';
import type { Principal as _postern_agent_v1_Principal, Principal__Output as _postern_agent_v1_Principal__Output } from './postern/agent/v1/Principal.js';
import type { PublicHostKey as _postern_agent_v1_PublicHostKey, PublicHostKey__Output as _postern_agent_v1_PublicHostKey__Output } from './postern/agent/v1/PublicHostKey.js';
import type { ReportAck as _postern_agent_v1_ReportAck, ReportAck__Output as _postern_agent_v1_ReportAck__Output } from './postern/agent/v1/ReportAck.js';
import type { Revoke as _postern_agent_v1_Revoke, Revoke__Output as _postern_agent_v1_Revoke__Output } from './postern/agent/v1/Revoke.js';
import type { RevokedPrincipal as _postern_agent_v1_RevokedPrincipal, RevokedPrincipal__Output as _postern_agent_v1_RevokedPrincipal__Output } from './postern/agent/v1/RevokedPrincipal.js';
import type { SessionClosed as _postern_agent_v1_SessionClosed, SessionClosed__Output as _postern_agent_v1_SessionClosed__Output } from './postern/agent/v1/SessionClosed.js';
import type { SessionOpened as _postern_agent_v1_SessionOpened, SessionOpened__Output as _postern_agent_v1_SessionOpened__Output } from './postern/agent/v1/SessionOpened.js';
import type { SshUserKey as _postern_agent_v1_SshUserKey, SshUserKey__Output as _postern_agent_v1_SshUserKey__Output } from './postern/agent/v1/SshUserKey.js';
import type { Welcome as _postern_agent_v1_Welcome, Welcome__Output as _postern_agent_v1_Welcome__Output } from './postern/agent/v1/Welcome.js';

type SubtypeConstructor<Constructor extends new (...args: any) => any, Subtype> = {
  new(...args: ConstructorParameters<Constructor>): Subtype;
};

export interface ProtoGrpcType {
  postern: {
    agent: {
      v1: {
        AccessRule: MessageTypeDefinition<_postern_agent_v1_AccessRule, _postern_agent_v1_AccessRule__Output>
        AgentMessage: MessageTypeDefinition<_postern_agent_v1_AgentMessage, _postern_agent_v1_AgentMessage__Output>
        ApprovalDecision: MessageTypeDefinition<_postern_agent_v1_ApprovalDecision, _postern_agent_v1_ApprovalDecision__Output>
        ApprovalRequest: MessageTypeDefinition<_postern_agent_v1_ApprovalRequest, _postern_agent_v1_ApprovalRequest__Output>
        ApprovalRule: MessageTypeDefinition<_postern_agent_v1_ApprovalRule, _postern_agent_v1_ApprovalRule__Output>
        AuditEvent: MessageTypeDefinition<_postern_agent_v1_AuditEvent, _postern_agent_v1_AuditEvent__Output>
        AuditEventBatch: MessageTypeDefinition<_postern_agent_v1_AuditEventBatch, _postern_agent_v1_AuditEventBatch__Output>
        Connection: MessageTypeDefinition<_postern_agent_v1_Connection, _postern_agent_v1_Connection__Output>
        ConnectionCredential: MessageTypeDefinition<_postern_agent_v1_ConnectionCredential, _postern_agent_v1_ConnectionCredential__Output>
        Control: SubtypeConstructor<typeof grpc.Client, _postern_agent_v1_ControlClient> & { service: _postern_agent_v1_ControlDefinition }
        ControlMessage: MessageTypeDefinition<_postern_agent_v1_ControlMessage, _postern_agent_v1_ControlMessage__Output>
        EnrollRequest: MessageTypeDefinition<_postern_agent_v1_EnrollRequest, _postern_agent_v1_EnrollRequest__Output>
        EnrollResponse: MessageTypeDefinition<_postern_agent_v1_EnrollResponse, _postern_agent_v1_EnrollResponse__Output>
        Grant: MessageTypeDefinition<_postern_agent_v1_Grant, _postern_agent_v1_Grant__Output>
        Guardrail: MessageTypeDefinition<_postern_agent_v1_Guardrail, _postern_agent_v1_Guardrail__Output>
        Heartbeat: MessageTypeDefinition<_postern_agent_v1_Heartbeat, _postern_agent_v1_Heartbeat__Output>
        HeartbeatAck: MessageTypeDefinition<_postern_agent_v1_HeartbeatAck, _postern_agent_v1_HeartbeatAck__Output>
        Hello: MessageTypeDefinition<_postern_agent_v1_Hello, _postern_agent_v1_Hello__Output>
        IdentitySettings: MessageTypeDefinition<_postern_agent_v1_IdentitySettings, _postern_agent_v1_IdentitySettings__Output>
        Instant: MessageTypeDefinition<_postern_agent_v1_Instant, _postern_agent_v1_Instant__Output>
        MaskingRule: MessageTypeDefinition<_postern_agent_v1_MaskingRule, _postern_agent_v1_MaskingRule__Output>
        OpenTunnel: MessageTypeDefinition<_postern_agent_v1_OpenTunnel, _postern_agent_v1_OpenTunnel__Output>
        PolicyAck: MessageTypeDefinition<_postern_agent_v1_PolicyAck, _postern_agent_v1_PolicyAck__Output>
        PolicySnapshot: MessageTypeDefinition<_postern_agent_v1_PolicySnapshot, _postern_agent_v1_PolicySnapshot__Output>
        PolicyUpdate: MessageTypeDefinition<_postern_agent_v1_PolicyUpdate, _postern_agent_v1_PolicyUpdate__Output>
        Principal: MessageTypeDefinition<_postern_agent_v1_Principal, _postern_agent_v1_Principal__Output>
        PublicHostKey: MessageTypeDefinition<_postern_agent_v1_PublicHostKey, _postern_agent_v1_PublicHostKey__Output>
        ReportAck: MessageTypeDefinition<_postern_agent_v1_ReportAck, _postern_agent_v1_ReportAck__Output>
        Revoke: MessageTypeDefinition<_postern_agent_v1_Revoke, _postern_agent_v1_Revoke__Output>
        RevokedPrincipal: MessageTypeDefinition<_postern_agent_v1_RevokedPrincipal, _postern_agent_v1_RevokedPrincipal__Output>
        SessionClosed: MessageTypeDefinition<_postern_agent_v1_SessionClosed, _postern_agent_v1_SessionClosed__Output>
        SessionOpened: MessageTypeDefinition<_postern_agent_v1_SessionOpened, _postern_agent_v1_SessionOpened__Output>
        SshUserKey: MessageTypeDefinition<_postern_agent_v1_SshUserKey, _postern_agent_v1_SshUserKey__Output>
        Welcome: MessageTypeDefinition<_postern_agent_v1_Welcome, _postern_agent_v1_Welcome__Output>
      }
    }
  }
}

