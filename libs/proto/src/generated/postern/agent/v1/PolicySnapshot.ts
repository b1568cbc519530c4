// Original file: ../../proto/postern/agent/v1/policy.proto

import type { Instant as _postern_agent_v1_Instant, Instant__Output as _postern_agent_v1_Instant__Output } from '../../../postern/agent/v1/Instant.js';
import type { Connection as _postern_agent_v1_Connection, Connection__Output as _postern_agent_v1_Connection__Output } from '../../../postern/agent/v1/Connection.js';
import type { AccessRule as _postern_agent_v1_AccessRule, AccessRule__Output as _postern_agent_v1_AccessRule__Output } from '../../../postern/agent/v1/AccessRule.js';
import type { Guardrail as _postern_agent_v1_Guardrail, Guardrail__Output as _postern_agent_v1_Guardrail__Output } from '../../../postern/agent/v1/Guardrail.js';
import type { MaskingRule as _postern_agent_v1_MaskingRule, MaskingRule__Output as _postern_agent_v1_MaskingRule__Output } from '../../../postern/agent/v1/MaskingRule.js';
import type { ApprovalRule as _postern_agent_v1_ApprovalRule, ApprovalRule__Output as _postern_agent_v1_ApprovalRule__Output } from '../../../postern/agent/v1/ApprovalRule.js';
import type { Grant as _postern_agent_v1_Grant, Grant__Output as _postern_agent_v1_Grant__Output } from '../../../postern/agent/v1/Grant.js';
import type { RevokedPrincipal as _postern_agent_v1_RevokedPrincipal, RevokedPrincipal__Output as _postern_agent_v1_RevokedPrincipal__Output } from '../../../postern/agent/v1/RevokedPrincipal.js';
import type { IdentitySettings as _postern_agent_v1_IdentitySettings, IdentitySettings__Output as _postern_agent_v1_IdentitySettings__Output } from '../../../postern/agent/v1/IdentitySettings.js';
import type { ConnectionCredential as _postern_agent_v1_ConnectionCredential, ConnectionCredential__Output as _postern_agent_v1_ConnectionCredential__Output } from '../../../postern/agent/v1/ConnectionCredential.js';
import type { SshUserKey as _postern_agent_v1_SshUserKey, SshUserKey__Output as _postern_agent_v1_SshUserKey__Output } from '../../../postern/agent/v1/SshUserKey.js';
import type { Long } from '@grpc/proto-loader';

export interface PolicySnapshot {
  'version'?: (number | string | Long);
  'generatedAt'?: (_postern_agent_v1_Instant | null);
  'connections'?: (_postern_agent_v1_Connection)[];
  'accessRules'?: (_postern_agent_v1_AccessRule)[];
  'guardrails'?: (_postern_agent_v1_Guardrail)[];
  'maskingRules'?: (_postern_agent_v1_MaskingRule)[];
  'approvalRules'?: (_postern_agent_v1_ApprovalRule)[];
  'grants'?: (_postern_agent_v1_Grant)[];
  'revokedPrincipals'?: (_postern_agent_v1_RevokedPrincipal)[];
  'identity'?: (_postern_agent_v1_IdentitySettings | null);
  'credentials'?: (_postern_agent_v1_ConnectionCredential)[];
  'sshKeys'?: (_postern_agent_v1_SshUserKey)[];
}

export interface PolicySnapshot__Output {
  'version': (string);
  'generatedAt': (_postern_agent_v1_Instant__Output | null);
  'connections': (_postern_agent_v1_Connection__Output)[];
  'accessRules': (_postern_agent_v1_AccessRule__Output)[];
  'guardrails': (_postern_agent_v1_Guardrail__Output)[];
  'maskingRules': (_postern_agent_v1_MaskingRule__Output)[];
  'approvalRules': (_postern_agent_v1_ApprovalRule__Output)[];
  'grants': (_postern_agent_v1_Grant__Output)[];
  'revokedPrincipals': (_postern_agent_v1_RevokedPrincipal__Output)[];
  'identity': (_postern_agent_v1_IdentitySettings__Output | null);
  'credentials': (_postern_agent_v1_ConnectionCredential__Output)[];
  'sshKeys': (_postern_agent_v1_SshUserKey__Output)[];
}
