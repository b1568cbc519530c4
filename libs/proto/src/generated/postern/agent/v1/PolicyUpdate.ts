// Original file: ../../proto/postern/agent/v1/policy.proto

import type { PolicySnapshot as _postern_agent_v1_PolicySnapshot, PolicySnapshot__Output as _postern_agent_v1_PolicySnapshot__Output } from '../../../postern/agent/v1/PolicySnapshot.js';
import type { Long } from '@grpc/proto-loader';

export interface PolicyUpdate {
  'baseVersion'?: (number | string | Long);
  'version'?: (number | string | Long);
  'upserts'?: (_postern_agent_v1_PolicySnapshot | null);
  'removedConnectionIds'?: (string)[];
  'removedAccessRuleIds'?: (string)[];
  'removedGuardrailIds'?: (string)[];
  'removedMaskingRuleIds'?: (string)[];
  'removedApprovalRuleIds'?: (string)[];
  'removedGrantIds'?: (string)[];
  'removedCredentialIds'?: (string)[];
  'removedRevokedPrincipalIds'?: (string)[];
  'removedSshKeyIds'?: (string)[];
}

export interface PolicyUpdate__Output {
  'baseVersion': (string);
  'version': (string);
  'upserts': (_postern_agent_v1_PolicySnapshot__Output | null);
  'removedConnectionIds': (string)[];
  'removedAccessRuleIds': (string)[];
  'removedGuardrailIds': (string)[];
  'removedMaskingRuleIds': (string)[];
  'removedApprovalRuleIds': (string)[];
  'removedGrantIds': (string)[];
  'removedCredentialIds': (string)[];
  'removedRevokedPrincipalIds': (string)[];
  'removedSshKeyIds': (string)[];
}
