// Original file: ../../proto/postern/agent/v1/policy.proto


export interface AccessRule {
  'id'?: (string);
  'connectionId'?: (string);
  'groups'?: (string)[];
  'operations'?: (string)[];
  'requiresApproval'?: (boolean);
  'maxSessionSeconds'?: (number);
}

export interface AccessRule__Output {
  'id': (string);
  'connectionId': (string);
  'groups': (string)[];
  'operations': (string)[];
  'requiresApproval': (boolean);
  'maxSessionSeconds': (number);
}
