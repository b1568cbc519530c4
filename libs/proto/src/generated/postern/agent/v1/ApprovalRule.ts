// Original file: ../../proto/postern/agent/v1/policy.proto


export interface ApprovalRule {
  'id'?: (string);
  'name'?: (string);
  'connectionIds'?: (string)[];
  'approverGroups'?: (string)[];
  'requiredApprovals'?: (number);
  'timeoutSeconds'?: (number);
  'specJson'?: (string);
  'groups'?: (string)[];
  'dialect'?: (string);
}

export interface ApprovalRule__Output {
  'id': (string);
  'name': (string);
  'connectionIds': (string)[];
  'approverGroups': (string)[];
  'requiredApprovals': (number);
  'timeoutSeconds': (number);
  'specJson': (string);
  'groups': (string)[];
  'dialect': (string);
}
