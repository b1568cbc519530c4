// Original file: ../../proto/postern/agent/v1/control.proto


// Original file: ../../proto/postern/agent/v1/control.proto

export const _postern_agent_v1_ApprovalDecision_Outcome = {
  OUTCOME_UNSPECIFIED: 'OUTCOME_UNSPECIFIED',
  OUTCOME_APPROVED: 'OUTCOME_APPROVED',
  OUTCOME_REJECTED: 'OUTCOME_REJECTED',
  OUTCOME_EXPIRED: 'OUTCOME_EXPIRED',
} as const;

export type _postern_agent_v1_ApprovalDecision_Outcome =
  | 'OUTCOME_UNSPECIFIED'
  | 0
  | 'OUTCOME_APPROVED'
  | 1
  | 'OUTCOME_REJECTED'
  | 2
  | 'OUTCOME_EXPIRED'
  | 3

export type _postern_agent_v1_ApprovalDecision_Outcome__Output = typeof _postern_agent_v1_ApprovalDecision_Outcome[keyof typeof _postern_agent_v1_ApprovalDecision_Outcome]

export interface ApprovalDecision {
  'requestId'?: (string);
  'reviewId'?: (string);
  'outcome'?: (_postern_agent_v1_ApprovalDecision_Outcome);
  'decidedBy'?: (string);
  'comment'?: (string);
}

export interface ApprovalDecision__Output {
  'requestId': (string);
  'reviewId': (string);
  'outcome': (_postern_agent_v1_ApprovalDecision_Outcome__Output);
  'decidedBy': (string);
  'comment': (string);
}
