// Original file: ../../proto/postern/agent/v1/control.proto


export interface EnrollRequest {
  'enrollmentToken'?: (string);
  'agentVersion'?: (string);
  'hostname'?: (string);
}

export interface EnrollRequest__Output {
  'enrollmentToken': (string);
  'agentVersion': (string);
  'hostname': (string);
}
