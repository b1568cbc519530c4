// Original file: ../../proto/postern/agent/v1/policy.proto


export interface Guardrail {
  'id'?: (string);
  'name'?: (string);
  'connectionIds'?: (string)[];
  'groups'?: (string)[];
  'action'?: (string);
  'specJson'?: (string);
  'dialect'?: (string);
}

export interface Guardrail__Output {
  'id': (string);
  'name': (string);
  'connectionIds': (string)[];
  'groups': (string)[];
  'action': (string);
  'specJson': (string);
  'dialect': (string);
}
