// Original file: ../../proto/postern/agent/v1/control.proto


export interface EnrollResponse {
  'agentId'?: (string);
  'agentName'?: (string);
  'credential'?: (string);
}

export interface EnrollResponse__Output {
  'agentId': (string);
  'agentName': (string);
  'credential': (string);
}
