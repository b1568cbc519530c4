// Original file: ../../proto/postern/agent/v1/control.proto

import type { Long } from '@grpc/proto-loader';

export interface HeartbeatAck {
  'seq'?: (number | string | Long);
}

export interface HeartbeatAck__Output {
  'seq': (string);
}
