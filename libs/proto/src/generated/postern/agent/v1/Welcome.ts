// Original file: ../../proto/postern/agent/v1/control.proto


export interface Welcome {
  'agentId'?: (string);
  'agentName'?: (string);
  'heartbeatIntervalMs'?: (number);
  'heartbeatTimeoutMs'?: (number);
  'controlPlaneVersion'?: (string);
  'controlPlaneInstance'?: (string);
}

export interface Welcome__Output {
  'agentId': (string);
  'agentName': (string);
  'heartbeatIntervalMs': (number);
  'heartbeatTimeoutMs': (number);
  'controlPlaneVersion': (string);
  'controlPlaneInstance': (string);
}
