// Original file: ../../proto/postern/agent/v1/policy.proto


export interface MaskingRule {
  'id'?: (string);
  'name'?: (string);
  'connectionIds'?: (string)[];
  'exemptGroups'?: (string)[];
  'specJson'?: (string);
  'dialect'?: (string);
}

export interface MaskingRule__Output {
  'id': (string);
  'name': (string);
  'connectionIds': (string)[];
  'exemptGroups': (string)[];
  'specJson': (string);
  'dialect': (string);
}
