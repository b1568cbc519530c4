// Original file: ../../proto/postern/agent/v1/policy.proto


export interface Connection {
  'id'?: (string);
  'name'?: (string);
  'protocol'?: (string);
  'targetHost'?: (string);
  'targetPort'?: (number);
  'targetDatabase'?: (string);
  'targetUser'?: (string);
  'secretRef'?: (string);
  'tlsMode'?: (string);
  'tlsCaRef'?: (string);
  'recordingMode'?: (string);
  'settings'?: ({[key: string]: string});
}

export interface Connection__Output {
  'id': (string);
  'name': (string);
  'protocol': (string);
  'targetHost': (string);
  'targetPort': (number);
  'targetDatabase': (string);
  'targetUser': (string);
  'secretRef': (string);
  'tlsMode': (string);
  'tlsCaRef': (string);
  'recordingMode': (string);
  'settings': ({[key: string]: string});
}
