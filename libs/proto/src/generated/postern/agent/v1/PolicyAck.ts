// Original file: ../../proto/postern/agent/v1/control.proto

import type { Long } from '@grpc/proto-loader';

export interface PolicyAck {
  'version'?: (number | string | Long);
  'applied'?: (boolean);
  'error'?: (string);
}

export interface PolicyAck__Output {
  'version': (string);
  'applied': (boolean);
  'error': (string);
}
