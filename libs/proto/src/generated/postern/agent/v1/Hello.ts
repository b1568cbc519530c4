// Original file: ../../proto/postern/agent/v1/control.proto

import type { Long } from '@grpc/proto-loader';

export interface Hello {
  'agentVersion'?: (string);
  'hostname'?: (string);
  'capabilities'?: (string)[];
  'policyVersion'?: (number | string | Long);
  'instanceId'?: (string);
}

export interface Hello__Output {
  'agentVersion': (string);
  'hostname': (string);
  'capabilities': (string)[];
  'policyVersion': (string);
  'instanceId': (string);
}
