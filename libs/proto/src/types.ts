// Re-exports of the generated message and service types under short names. The generated files
// (src/generated, made by `pnpm --filter @postern/proto generate`) are committed and checked
// against the .proto files by a test, so they cannot drift.
export type { AgentMessage, AgentMessage__Output } from './generated/postern/agent/v1/AgentMessage.js';
export type { ControlMessage, ControlMessage__Output } from './generated/postern/agent/v1/ControlMessage.js';
export type { ControlClient, ControlHandlers } from './generated/postern/agent/v1/Control.js';
export type { RecordingClient, RecordingHandlers } from './generated/postern/agent/v1/Recording.js';
export type { EnrollRequest, EnrollRequest__Output } from './generated/postern/agent/v1/EnrollRequest.js';
export type { EnrollResponse, EnrollResponse__Output } from './generated/postern/agent/v1/EnrollResponse.js';
export type { Hello, Hello__Output } from './generated/postern/agent/v1/Hello.js';
export type { PublicHostKey, PublicHostKey__Output } from './generated/postern/agent/v1/PublicHostKey.js';
export type { Welcome, Welcome__Output } from './generated/postern/agent/v1/Welcome.js';
export type { Heartbeat, Heartbeat__Output } from './generated/postern/agent/v1/Heartbeat.js';
export type { PolicySnapshot, PolicySnapshot__Output } from './generated/postern/agent/v1/PolicySnapshot.js';
export type { PolicyUpdate, PolicyUpdate__Output } from './generated/postern/agent/v1/PolicyUpdate.js';
export type { Revoke, Revoke__Output } from './generated/postern/agent/v1/Revoke.js';
export type { ApprovalDecision, ApprovalDecision__Output } from './generated/postern/agent/v1/ApprovalDecision.js';
export type { ApprovalRequest, ApprovalRequest__Output } from './generated/postern/agent/v1/ApprovalRequest.js';
export type { SessionOpened, SessionOpened__Output } from './generated/postern/agent/v1/SessionOpened.js';
export type { SessionClosed, SessionClosed__Output } from './generated/postern/agent/v1/SessionClosed.js';
export type { AuditEvent, AuditEvent__Output } from './generated/postern/agent/v1/AuditEvent.js';
export type { OpenTunnel, OpenTunnel__Output } from './generated/postern/agent/v1/OpenTunnel.js';
export type { RecordingChunk, RecordingChunk__Output } from './generated/postern/agent/v1/RecordingChunk.js';
export type { RecordingAck, RecordingAck__Output } from './generated/postern/agent/v1/RecordingAck.js';
export type { Connection, Connection__Output } from './generated/postern/agent/v1/Connection.js';
export type { Principal, Principal__Output } from './generated/postern/agent/v1/Principal.js';
export type {
  ConnectionCredential,
  ConnectionCredential__Output,
} from './generated/postern/agent/v1/ConnectionCredential.js';
export type { AccessRule, AccessRule__Output } from './generated/postern/agent/v1/AccessRule.js';
export type { Guardrail, Guardrail__Output } from './generated/postern/agent/v1/Guardrail.js';
export type { ApprovalRule, ApprovalRule__Output } from './generated/postern/agent/v1/ApprovalRule.js';
export type { MaskingRule, MaskingRule__Output } from './generated/postern/agent/v1/MaskingRule.js';
